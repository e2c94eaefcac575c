package mock

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/gen/ops"
)

// ---- store ------------------------------------------------------------------------------------------

// asymFor checks, under the lock, that c may use key id for op now (lookup, permission, state, as for
// symmetric keys) and that its usage is want; it returns the key's pair, to be used outside the lock
// (generating an RSA-4096 pair must not stall the whole store). Grants cannot name sign, verify or
// get-publickey (CreateGrant's operation list has none of them), so only the key's project uses them: a
// recorded mock choice.
func (s *store) asymFor(c Caller, id, op, want string) (*asymKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.liveKeyLocked(c, id, op)
	if err != nil {
		return nil, err
	}
	switch {
	case k.Usage == usageMAC:
		return nil, ErrMACKeyUsage
	case want == "" && k.asym == nil:
		return nil, ErrNoPublicKey
	case k.Usage == usageAgreement && want != usageAgreement && want != "":
		return nil, fmt.Errorf("%w: a KEY_AGREEMENT key only derives shared secrets", ErrAlgorithmMismatch)
	case want == usageAgreement && k.Usage != usageAgreement:
		return nil, fmt.Errorf("%w: only KEY_AGREEMENT keys derive shared secrets", ErrAlgorithmMismatch)
	case want == usageSign && k.Usage != usageSign:
		return nil, ErrKeyUsageEncrypt
	case want == usageEncrypt && k.Usage != usageEncrypt:
		return nil, ErrKeyUsageSign
	case k.asym == nil: // a symmetric key asked for an asymmetric algorithm
		return nil, ErrAlgorithmMismatch
	}
	return k.asym, nil
}

// Sign signs msg (a digest, or a RAW message hashed here) with key id's private key.
func (s *store) Sign(c Caller, id, algName, msgType string, msg []byte) ([]byte, error) {
	a, alg, digest, err := s.signInput(c, id, ops.Sign, algName, msgType, msg)
	if err != nil {
		return nil, err
	}
	priv, err := a.get()
	if err != nil {
		return nil, err
	}
	return signDigest(priv, alg, digest)
}

// Verify says whether sig is key id's signature over msg.
func (s *store) Verify(c Caller, id, algName, msgType string, msg, sig []byte) (bool, error) {
	a, alg, digest, err := s.signInput(c, id, ops.Verify, algName, msgType, msg)
	if err != nil {
		return false, err
	}
	priv, err := a.get()
	if err != nil {
		return false, err
	}
	return verifyDigest(priv, alg, digest, sig), nil
}

func (s *store) signInput(c Caller, id, op, algName, msgType string, msg []byte) (*asymKey, sigAlg, []byte, error) {
	alg, ok := sigAlgs()[algName]
	if !ok {
		return nil, sigAlg{}, nil, fmt.Errorf("%w: signing algorithm %q", ErrAlgorithmMismatch, algName)
	}
	a, err := s.asymFor(c, id, op, usageSign)
	if err != nil {
		return nil, sigAlg{}, nil, err
	}
	if specFamily(a.spec) != alg.family {
		return nil, sigAlg{}, nil, fmt.Errorf("%w: %s with a %s key", ErrAlgorithmMismatch, algName, a.spec)
	}
	digest, err := digestFor(alg, msgType, msg)
	return a, alg, digest, err
}

// PublicKey returns key id's public key as PEM.
func (s *store) PublicKey(c Caller, id string) (string, error) {
	a, err := s.asymFor(c, id, ops.GetPublickey, "")
	if err != nil {
		return "", err
	}
	priv, err := a.get()
	if err != nil {
		return "", err
	}
	return publicPEM(priv)
}

// EncryptAsym encrypts plaintext with key id's public key under alg.
func (s *store) EncryptAsym(c Caller, id, alg string, plaintext []byte) ([]byte, error) {
	a, err := s.asymFor(c, id, OpEncryptData, usageEncrypt)
	if err != nil {
		return nil, err
	}
	if !encryptionAllowed(a.spec, alg) {
		return nil, fmt.Errorf("%w: %s with a %s key", ErrAlgorithmMismatch, alg, a.spec)
	}
	if len(plaintext) == 0 || len(plaintext) > maxAsymPlaintext(a.spec) {
		return nil, ErrPlaintextTooLong
	}
	priv, err := a.get()
	if err != nil {
		return nil, err
	}
	return asymEncrypt(priv, plaintext)
}

// DecryptAsym decrypts ciphertext with key id's private key under alg.
func (s *store) DecryptAsym(c Caller, id, alg string, ciphertext []byte) ([]byte, error) {
	a, err := s.asymFor(c, id, OpDecryptData, usageEncrypt)
	if err != nil {
		return nil, err
	}
	if !encryptionAllowed(a.spec, alg) {
		return nil, fmt.Errorf("%w: %s with a %s key", ErrAlgorithmMismatch, alg, a.spec)
	}
	priv, err := a.get()
	if err != nil {
		return nil, err
	}
	return asymDecrypt(priv, ciphertext)
}

// ---- handlers ---------------------------------------------------------------------------------------

// Sign answers {key_id, signature}; the signature is base64.
func (a *kmsAPI) Sign(ctx context.Context, req kms.SignRequestObject) (kms.SignResponseObject, error) {
	b := req.Body
	msg, err := decodeMessage(b.Message)
	var sig []byte
	if err == nil {
		sig, err = a.s.store.Sign(caller(ctx), b.KeyId, string(b.SigningAlgorithm), messageType(b.MessageType), msg)
	}
	if err != nil {
		return nil, err
	}
	return kms.Sign200JSONResponse{Body: kms.SignResponseBody{KeyId: b.KeyId, Signature: base64.StdEncoding.EncodeToString(sig)}}, nil
}

// ValidateSignature is verify: a signature that does not hold is signature_valid "false", not an error
// (the response field documents both values).
func (a *kmsAPI) ValidateSignature(ctx context.Context, req kms.ValidateSignatureRequestObject) (kms.ValidateSignatureResponseObject, error) {
	b := req.Body
	msg, err := decodeMessage(b.Message)
	var sig []byte
	if err == nil {
		if sig, err = base64.StdEncoding.DecodeString(b.Signature); err != nil {
			err = fmt.Errorf("%w: signature is not base64", ErrKMSInvalidParam)
		}
	}
	var ok bool
	if err == nil {
		ok, err = a.s.store.Verify(caller(ctx), b.KeyId, string(b.SigningAlgorithm), messageType(b.MessageType), msg, sig)
	}
	if err != nil {
		return nil, err
	}
	valid := kms.VerifyResponseBodySignatureValidFalse
	if ok {
		valid = kms.VerifyResponseBodySignatureValidTrue
	}
	return kms.ValidateSignature200JSONResponse{Body: kms.VerifyResponseBody{KeyId: b.KeyId, SignatureValid: valid}}, nil
}

// ShowPublicKey is get-publickey.
func (a *kmsAPI) ShowPublicKey(ctx context.Context, req kms.ShowPublicKeyRequestObject) (kms.ShowPublicKeyResponseObject, error) {
	pub, err := a.s.store.PublicKey(caller(ctx), req.Body.KeyId)
	if err != nil {
		return nil, err
	}
	return kms.ShowPublicKey200JSONResponse{Body: kms.ShowPublicKeyResponseBody{KeyId: req.Body.KeyId, PublicKey: pub}}, nil
}

// asymmetricAlg says whether encrypt-data/decrypt-data asks for an asymmetric algorithm.
func asymmetricAlg(alg *kms.EncryptionAlgorithm) bool {
	return alg != nil && *alg != kms.EncryptionAlgorithmSymmetricDefault
}

// encryptAsym is encrypt-data with RSAES_OAEP_SHA_256 or SM2_ENCRYPT: the ciphertext is the bare
// algorithm output, base64 (asymmetric ciphertexts carry no key id: decrypt-data must name key and
// algorithm, EncryptData page). Additional authenticated data has no meaning here and is ignored.
func (a *kmsAPI) encryptAsym(ctx context.Context, b *kms.EncryptDataRequestBody) (kms.EncryptDataResponseObject, error) {
	ct, err := a.s.store.EncryptAsym(caller(ctx), b.KeyId, string(*b.EncryptionAlgorithm), []byte(b.PlainText))
	if err != nil {
		return nil, err
	}
	return kms.EncryptData200JSONResponse{Body: kms.EncryptDataResponseBody{
		KeyId: b.KeyId, CipherText: base64.StdEncoding.EncodeToString(ct),
	}}, nil
}

// decryptAsym is decrypt-data with an asymmetric algorithm: key_id is required (DecryptData page).
func (a *kmsAPI) decryptAsym(ctx context.Context, b *kms.DecryptDataRequestBody) (kms.DecryptDataResponseObject, error) {
	if b.KeyId == nil {
		return nil, fmt.Errorf("%w: key_id is required with an asymmetric algorithm", ErrKMSMissingParam)
	}
	ct, err := base64.StdEncoding.DecodeString(b.CipherText)
	if err != nil {
		return nil, ErrInvalidCiphertext
	}
	plain, err := a.s.store.DecryptAsym(caller(ctx), *b.KeyId, string(*b.EncryptionAlgorithm), ct)
	if err != nil {
		return nil, err
	}
	return kms.DecryptData200JSONResponse{Body: kms.DecryptDataResponseBody{
		KeyId: *b.KeyId, PlainText: string(plain), PlainTextBase64: ptr(base64.StdEncoding.EncodeToString(plain)),
	}}, nil
}

func decodeMessage(m string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(m)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: message must be non-empty base64", ErrInvalidMessage)
	}
	return b, nil
}

// messageType defaults to DIGEST (Sign definition).
func messageType(t *kms.MessageType) string {
	if t == nil {
		return msgDigest
	}
	return string(*t)
}
