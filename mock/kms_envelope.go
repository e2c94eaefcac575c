package mock

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/dewconform/dewconform/gen/kms"
	"github.com/tjfoc/gmsm/sm3"
	"github.com/tjfoc/gmsm/sm4"
)

// Envelope encryption: data keys without plaintext, encrypt-datakey, decrypt-datakey, re-encrypt and
// gen-random. Data key ciphertexts are the envelope of crypto.go holding the data key alone, hex; the
// digest is computed when the key is opened, never stored.

const (
	digestLen     = 32   // SHA-256 and SM3 digests
	maxDatakeyLen = 1024 // bytes: datakey_plain_length / datakey_cipher_length "1~1024"
	aes256Len     = 32
	sm4Len        = 16
)

// sm4GCM marks an AEAD that runs SM4 in GCM mode, so that seal writes envelopeSM4.
type sm4GCM struct{ cipher.AEAD }

// materialLen is the length of fresh material for a key spec: SM4 is a 128-bit cipher.
func materialLen(spec string) int {
	if spec == specSM4 {
		return sm4Len
	}
	return aes256Len
}

// keyAEAD builds a key's cipher from its material. SM4 keys with 16 bytes run SM4-GCM; 32 bytes are
// AES-256-GCM whatever the spec, so SM4 keys from state files written before SM4 was modelled still
// open their old ciphertexts.
func keyAEAD(spec string, material []byte) (cipher.AEAD, error) {
	if spec == specSM4 && len(material) == sm4Len {
		block, err := sm4.NewCipher(material)
		if err != nil {
			return nil, fmt.Errorf("key material: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key material: %w", err)
		}
		return sm4GCM{aead}, nil
	}
	if len(material) != aes256Len {
		return nil, fmt.Errorf("key material: %d bytes, want %d", len(material), aes256Len)
	}
	block, err := aes.NewCipher(material)
	if err != nil {
		return nil, fmt.Errorf("key material: %w", err)
	}
	return cipher.NewGCM(block)
}

func envelopeVersionOf(aead cipher.AEAD) byte {
	if _, ok := aead.(sm4GCM); ok {
		return envelopeSM4
	}
	return envelopeVersion
}

// datakeyDigest is the digest decrypt-datakey returns and encrypt-datakey expects after the data key:
// SM3 under an SM4 cipher, SHA-256 otherwise (UNCONFIRMED for SM4: only Huawei's EncryptDatakey
// definition says SM3; the prose pages say SHA-256 everywhere).
func datakeyDigest(aead cipher.AEAD, dek []byte) []byte {
	if _, ok := aead.(sm4GCM); ok {
		return sm3.Sm3Sum(dek)
	}
	sum := sha256.Sum256(dek)
	return sum[:]
}

// CreateDataKeyWithoutPlaintext returns only the envelope of a fresh data key.
func (s *store) CreateDataKeyWithoutPlaintext(c Caller, id string, bits int, aad []byte) ([]byte, error) {
	if bits < 8 || bits > 8192 || bits%8 != 0 {
		return nil, ErrInvalidDatakeyLength
	}
	aead, err := s.aeadFor(c, id, OpCreateDatakeyWithoutPlaintext)
	if err != nil {
		return nil, err
	}
	dek, err := s.randomBytes(bits / 8)
	if err != nil {
		return nil, err
	}
	return seal(aead, id, dek, aad)
}

// EncryptDataKey wraps the caller's data key; plain is the data key followed by its digest.
func (s *store) EncryptDataKey(c Caller, id string, plain []byte, n int, aad []byte) ([]byte, error) {
	if n < 1 || n > maxDatakeyLen || len(plain) != n+digestLen {
		return nil, ErrInvalidDatakeyLength
	}
	aead, err := s.aeadFor(c, id, OpEncryptDatakey)
	if err != nil {
		return nil, err
	}
	dek := plain[:n]
	if !bytes.Equal(plain[n:], datakeyDigest(aead, dek)) {
		return nil, ErrDatakeyDigest
	}
	return seal(aead, id, dek, aad)
}

// DecryptDataKey opens a data key envelope under key id, which must be the key the envelope names;
// n is the data key's length in bytes, which must match. It returns the data key and its digest.
func (s *store) DecryptDataKey(c Caller, id string, env []byte, n int, aad []byte) (dek, digest []byte, err error) {
	if n < 1 || n > maxDatakeyLen {
		return nil, nil, ErrInvalidDatakeyLength
	}
	aead, err := s.aeadFor(c, id, OpDecryptDatakey)
	if err != nil {
		return nil, nil, err
	}
	if named, err := envelopeKeyID(env); err != nil || named != id {
		return nil, nil, ErrInvalidCiphertext
	}
	dek, err = open(aead, env, aad)
	if err != nil {
		return nil, nil, err
	}
	if len(dek) != n {
		return nil, nil, ErrInvalidDatakeyLength
	}
	return dek, datakeyDigest(aead, dek), nil
}

// ReEncryptInput is a re-encrypt request, decoded.
type ReEncryptInput struct {
	Env       []byte // the source envelope
	DataKey   bool   // a data key envelope (hex on the wire), not an encrypt-data one (base64)
	SourceID  string // "" = the key the envelope names
	DestID    string
	SourceAAD []byte
	DestAAD   []byte
	Length    int // datakey_cipher_length; 0 = not given
}

// ReEncrypt opens an envelope under its source key and seals the plaintext under the destination key,
// in one critical section so that the plaintext never leaves the store. Which grants it needs is a
// mock choice (no grant operation names re-encrypt): decrypt-datakey (decrypt-data) on the source and
// encrypt-datakey (encrypt-data) on the destination.
func (s *store) ReEncrypt(c Caller, in ReEncryptInput) (sourceID string, env []byte, err error) {
	sourceID, err = envelopeKeyID(in.Env)
	if err != nil {
		return "", nil, err
	}
	if in.SourceID != "" && in.SourceID != sourceID {
		return "", nil, ErrInvalidCiphertext
	}
	opFrom, opTo := OpDecryptData, OpEncryptData
	if in.DataKey {
		opFrom, opTo = OpDecryptDatakey, OpEncryptDatakey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	src, err := s.usableKeyLocked(c, sourceID, opFrom)
	if err != nil {
		return "", nil, err
	}
	dst, err := s.usableKeyLocked(c, in.DestID, opTo)
	if err != nil {
		return "", nil, err
	}
	plain, err := open(src.aead, in.Env, in.SourceAAD)
	if err != nil {
		return "", nil, err
	}
	if in.DataKey && in.Length != 0 && in.Length != len(plain) {
		return "", nil, ErrInvalidDatakeyLength
	}
	env, err = seal(dst.aead, in.DestID, plain, in.DestAAD)
	return sourceID, env, err
}

// GenRandom returns bits random bits. Like list-keys it is a project-level call: a caller who holds
// only grants on keys cannot make it.
func (s *store) GenRandom(c Caller, bits int) ([]byte, error) {
	if !c.Full {
		return nil, ErrKeyAccessDenied
	}
	if bits < 8 || bits > 8192 || bits%8 != 0 {
		return nil, ErrInvalidRandomLength
	}
	return s.randomBytes(bits / 8)
}

// ---- HTTP ----

func upperHex(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// byteLength parses datakey_plain_length / datakey_cipher_length.
func byteLength(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxDatakeyLen {
		return 0, ErrInvalidDatakeyLength
	}
	return n, nil
}

// hexEnvelope decodes a data key ciphertext; anything that is not one is an invalid ciphertext.
func hexEnvelope(s string) ([]byte, error) {
	env, err := hex.DecodeString(s)
	if err != nil {
		return nil, ErrInvalidCiphertext
	}
	return env, nil
}

// emptyAsNil treats re-encrypt's empty AAD (the definition's example sends "") as no AAD.
func emptyAsNil(s *string) []byte {
	if s == nil || *s == "" {
		return nil
	}
	return []byte(*s)
}

// CreateDatakeyWithoutPlaintext returns only the ciphertext, hex as create-datakey's.
func (a *kmsAPI) CreateDatakeyWithoutPlaintext(ctx context.Context, req kms.CreateDatakeyWithoutPlaintextRequestObject) (kms.CreateDatakeyWithoutPlaintextResponseObject, error) {
	b := req.Body
	bits, err := datakeyBits(b)
	var env []byte
	if err == nil {
		env, err = a.s.store.CreateDataKeyWithoutPlaintext(caller(ctx), b.KeyId, bits, aad(b.AdditionalAuthenticatedData))
	}
	if err != nil {
		return nil, err
	}
	return kms.CreateDatakeyWithoutPlaintext200JSONResponse{Body: kms.CreateDatakeyWithoutPlaintextResponseBody{
		KeyId: b.KeyId, CipherText: upperHex(env),
	}}, nil
}

// EncryptDatakey wraps the caller's data key after checking its digest.
func (a *kmsAPI) EncryptDatakey(ctx context.Context, req kms.EncryptDatakeyRequestObject) (kms.EncryptDatakeyResponseObject, error) {
	b := req.Body
	n, err := byteLength(b.DatakeyPlainLength)
	var env []byte
	if err == nil {
		plain, decErr := hex.DecodeString(b.PlainText)
		if decErr != nil {
			return nil, withDetail(ErrKMSInvalidParam, "plain_text is not hexadecimal")
		}
		env, err = a.s.store.EncryptDataKey(caller(ctx), b.KeyId, plain, n, aad(b.AdditionalAuthenticatedData))
	}
	if err != nil {
		return nil, err
	}
	return kms.EncryptDatakey200JSONResponse{Body: kms.EncryptDatakeyResponseBody{
		KeyId: b.KeyId, CipherText: upperHex(env), DatakeyLength: strconv.Itoa(n),
	}}, nil
}

// DecryptDatakey returns the data key and its digest, hex.
func (a *kmsAPI) DecryptDatakey(ctx context.Context, req kms.DecryptDatakeyRequestObject) (kms.DecryptDatakeyResponseObject, error) {
	b := req.Body
	n, err := byteLength(b.DatakeyCipherLength)
	var env, dek, digest []byte
	if err == nil {
		env, err = hexEnvelope(b.CipherText)
	}
	if err == nil {
		dek, digest, err = a.s.store.DecryptDataKey(caller(ctx), b.KeyId, env, n, aad(b.AdditionalAuthenticatedData))
	}
	if err != nil {
		return nil, err
	}
	return kms.DecryptDatakey200JSONResponse{Body: kms.DecryptDatakeyResponseBody{
		DataKey: upperHex(dek), DatakeyLength: strconv.Itoa(len(dek)), DatakeyDgst: upperHex(digest),
	}}, nil
}

// ReEncrypt tells a data key ciphertext (hex) from an encrypt-data one (base64) by its encoding: our
// base64 envelopes start "AT"/"AW" (version 1) or "Aj"/"Am" (version 2), the version byte followed by a
// key id character, never hex, so the two cannot be confused. The output keeps the input's kind and
// encoding.
func (a *kmsAPI) ReEncrypt(ctx context.Context, req kms.ReEncryptRequestObject) (kms.ReEncryptResponseObject, error) {
	b := req.Body
	if err := symmetricOnly(b.SourceEncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := symmetricOnly(b.DestinationEncryptionAlgorithm); err != nil {
		return nil, err
	}
	in := ReEncryptInput{
		DestID: b.DestinationKeyId, SourceAAD: emptyAsNil(b.SourceAdditionalAuthenticatedData),
		DestAAD: emptyAsNil(b.DestinationAdditionalAuthenticatedData),
	}
	if b.SourceKeyId != nil {
		in.SourceID = *b.SourceKeyId
	}
	if env, err := hex.DecodeString(b.CipherText); err == nil {
		in.Env, in.DataKey = env, true
	} else if env, err := base64.StdEncoding.DecodeString(b.CipherText); err == nil {
		in.Env = env
	} else {
		return nil, ErrInvalidCiphertext
	}
	if b.DatakeyCipherLength != nil {
		n, err := byteLength(*b.DatakeyCipherLength)
		if err != nil {
			return nil, err
		}
		in.Length = n
	}
	sourceID, env, err := a.s.store.ReEncrypt(caller(ctx), in)
	if err != nil {
		return nil, err
	}
	out := base64.StdEncoding.EncodeToString(env)
	if in.DataKey {
		out = upperHex(env)
	}
	return kms.ReEncrypt200JSONResponse{Body: kms.ReEncryptResponseBody{
		KeyId: b.DestinationKeyId, SourceKeyId: sourceID, CipherText: out,
		SourceEncryptionAlgorithm:      kms.EncryptionAlgorithmSymmetricDefault,
		DestinationEncryptionAlgorithm: kms.EncryptionAlgorithmSymmetricDefault,
	}}, nil
}

// CreateRandom returns random_data_length bits, upper-case hex like the definition's example.
func (a *kmsAPI) CreateRandom(ctx context.Context, req kms.CreateRandomRequestObject) (kms.CreateRandomResponseObject, error) {
	bits, err := strconv.Atoi(req.Body.RandomDataLength)
	if err != nil {
		return nil, ErrInvalidRandomLength
	}
	data, err := a.s.store.GenRandom(caller(ctx), bits)
	if err != nil {
		return nil, err
	}
	return kms.CreateRandom200JSONResponse{Body: kms.GenRandomResponseBody{RandomData: upperHex(data)}}, nil
}
