package mock

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
)

// Ciphertext envelope. decrypt-data takes no key_id for symmetric keys, so, as on the real service,
// the ciphertext names its key:
//
//	version(1) | key id (36 ASCII) | nonce(12) | GCM(frame) with AAD = header || caller's AAD
//	frame = uint16 big-endian plaintext length | plaintext | zero padding
//
// version 1 is AES-256-GCM (AES_256 keys, and SM4 keys made before SM4 was modelled), version 2 is
// SM4-GCM (SM4 keys); docs/kms.md writes the envelope down for callers that build one themselves.
//
// The padding makes every envelope at least minEnvelope bytes, so that its base64 form meets
// DecryptData's documented pattern ^[0-9a-zA-Z+/=]{128,5648}$ even for a one-byte plaintext; the
// largest plaintext (4096 bytes) gives 5552 base64 characters.
const (
	envelopeVersion = 1 // AES-256-GCM
	envelopeSM4     = 2 // SM4-GCM
	keyIDLen        = 36
	nonceLen        = 12
	headerLen       = 1 + keyIDLen + nonceLen
	tagLen          = 16
	minEnvelope     = 96 // 96 bytes = 128 base64 characters
	// MaxPlaintext is encrypt-data's documented limit in bytes.
	MaxPlaintext = 4096
)

// seal encrypts plaintext for keyID. Nonces come from crypto/rand even when ids are deterministic:
// reusing a GCM nonce would be a real weakness, and nothing needs them reproducible.
func seal(aead cipher.AEAD, keyID string, plaintext, aad []byte) ([]byte, error) {
	if len(keyID) != keyIDLen {
		return nil, fmt.Errorf("key id length %d", len(keyID))
	}
	if len(plaintext) > 0xffff {
		return nil, ErrPlaintextTooLong
	}
	frameLen := max(2+len(plaintext), minEnvelope-headerLen-tagLen)
	frame := make([]byte, frameLen)
	binary.BigEndian.PutUint16(frame, uint16(len(plaintext)))
	copy(frame[2:], plaintext)

	env := make([]byte, headerLen, headerLen+frameLen+tagLen)
	env[0] = envelopeVersionOf(aead)
	copy(env[1:], keyID)
	if _, err := rand.Read(env[1+keyIDLen : headerLen]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return aead.Seal(env, env[1+keyIDLen:headerLen], frame, slices.Concat(env[:headerLen], aad)), nil
}

// envelopeKeyID returns the key id an envelope names, or ErrInvalidCiphertext when it is not one of ours.
func envelopeKeyID(env []byte) (string, error) {
	if len(env) < minEnvelope || (env[0] != envelopeVersion && env[0] != envelopeSM4) {
		return "", ErrInvalidCiphertext
	}
	return string(env[1 : 1+keyIDLen]), nil
}

// open decrypts an envelope; any tampering, a wrong key or a wrong AAD is ErrInvalidCiphertext.
func open(aead cipher.AEAD, env, aad []byte) ([]byte, error) {
	if _, err := envelopeKeyID(env); err != nil {
		return nil, err
	}
	if env[0] != envelopeVersionOf(aead) {
		return nil, ErrInvalidCiphertext // an SM4 envelope never opens under AES, nor the reverse
	}
	frame, err := aead.Open(nil, env[1+keyIDLen:headerLen], env[headerLen:], slices.Concat(env[:headerLen], aad))
	if err != nil || len(frame) < 2 {
		return nil, ErrInvalidCiphertext
	}
	n := int(binary.BigEndian.Uint16(frame))
	if n > len(frame)-2 {
		return nil, ErrInvalidCiphertext
	}
	return frame[2 : 2+n], nil
}

// liveKeyLocked checks that c may use key id for op and that the key's state lets it do cryptography
// now, whatever its kind. Order: lookup, permission, state. Callers hold s.mu.
func (s *store) liveKeyLocked(c Caller, id, op string) (*keyRec, error) {
	k, err := s.lookupKey(c.ProjectID, id)
	if err != nil {
		return nil, err
	}
	if !k.allows(c, op) {
		return nil, ErrKeyAccessDenied
	}
	switch k.State {
	case KeyEnabled:
	case KeyDisabled:
		return nil, ErrKeyDisabled
	case KeyPendingDeletion:
		return nil, ErrKeyPendingDeletion
	default:
		return nil, ErrKeyNotUsable
	}
	return k, nil
}

// usableKeyLocked is liveKeyLocked for a symmetric ENCRYPT_DECRYPT key.
func (s *store) usableKeyLocked(c Caller, id, op string) (*keyRec, error) {
	k, err := s.liveKeyLocked(c, id, op)
	if err != nil {
		return nil, err
	}
	if !symmetric(k.Spec) || k.Usage != usageEncrypt {
		return nil, fmt.Errorf("%w: key spec %s cannot encrypt in the mock", ErrKeyNotUsable, k.Spec)
	}
	return k, nil
}

func (s *store) aeadFor(c Caller, id, op string) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.usableKeyLocked(c, id, op)
	if err != nil {
		return nil, err
	}
	return k.aead, nil
}

// CreateDataKey returns a fresh data key of bits bits and its envelope under key id.
func (s *store) CreateDataKey(c Caller, id string, bits int, aad []byte) (plain, env []byte, err error) {
	if bits < 8 || bits > 8192 || bits%8 != 0 {
		return nil, nil, ErrInvalidDatakeyLength
	}
	aead, err := s.aeadFor(c, id, OpCreateDatakey)
	if err != nil {
		return nil, nil, err
	}
	plain = make([]byte, bits/8)
	if _, err := rand.Read(plain); err != nil {
		return nil, nil, fmt.Errorf("data key: %w", err)
	}
	env, err = seal(aead, id, plain, aad)
	return plain, env, err
}

// EncryptData encrypts up to MaxPlaintext bytes under key id.
func (s *store) EncryptData(c Caller, id string, plaintext, aad []byte) ([]byte, error) {
	if len(plaintext) == 0 || len(plaintext) > MaxPlaintext {
		return nil, ErrPlaintextTooLong
	}
	aead, err := s.aeadFor(c, id, OpEncryptData)
	if err != nil {
		return nil, err
	}
	return seal(aead, id, plaintext, aad)
}

// DecryptData decrypts an envelope made by EncryptData; the key comes from the envelope.
func (s *store) DecryptData(c Caller, env, aad []byte) (keyID string, plaintext []byte, err error) {
	keyID, err = envelopeKeyID(env)
	if err != nil {
		return "", nil, err
	}
	aead, err := s.aeadFor(c, keyID, OpDecryptData)
	if err != nil {
		return "", nil, err
	}
	plaintext, err = open(aead, env, aad)
	return keyID, plaintext, err
}
