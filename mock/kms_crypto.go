package mock

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/dewconform/dewconform/gen/kms"
)

// CreateDatakey returns the data key and its ciphertext, both upper-case hex as in the service's
// examples.
func (a *kmsAPI) CreateDatakey(ctx context.Context, req kms.CreateDatakeyRequestObject) (kms.CreateDatakeyResponseObject, error) {
	b := req.Body
	bits, err := datakeyBits(b)
	var plain, env []byte
	if err == nil {
		plain, env, err = a.s.store.CreateDataKey(caller(ctx), b.KeyId, bits, aad(b.AdditionalAuthenticatedData))
	}
	if err != nil {
		return nil, err
	}
	return kms.CreateDatakey200JSONResponse{Body: kms.CreateDatakeyResponseBody{
		KeyId:      b.KeyId,
		PlainText:  strings.ToUpper(hex.EncodeToString(plain)),
		CipherText: strings.ToUpper(hex.EncodeToString(env)),
	}}, nil
}

// EncryptData encrypts up to 4096 bytes; the base64 ciphertext names its key.
func (a *kmsAPI) EncryptData(ctx context.Context, req kms.EncryptDataRequestObject) (kms.EncryptDataResponseObject, error) {
	b := req.Body
	if asymmetricAlg(b.EncryptionAlgorithm) {
		return a.encryptAsym(ctx, b)
	}
	err := symmetricOnly(b.EncryptionAlgorithm)
	var env []byte
	if err == nil {
		env, err = a.s.store.EncryptData(caller(ctx), b.KeyId, []byte(b.PlainText), aad(b.AdditionalAuthenticatedData))
	}
	if err != nil {
		return nil, err
	}
	return kms.EncryptData200JSONResponse{Body: kms.EncryptDataResponseBody{
		KeyId: b.KeyId, CipherText: base64.StdEncoding.EncodeToString(env),
	}}, nil
}

// DecryptData needs no key_id: the ciphertext carries it. A key_id that disagrees with it is an
// invalid ciphertext.
func (a *kmsAPI) DecryptData(ctx context.Context, req kms.DecryptDataRequestObject) (kms.DecryptDataResponseObject, error) {
	b := req.Body
	if asymmetricAlg(b.EncryptionAlgorithm) {
		return a.decryptAsym(ctx, b)
	}
	err := symmetricOnly(b.EncryptionAlgorithm)
	var (
		keyID string
		plain []byte
	)
	if err == nil {
		env, decErr := base64.StdEncoding.DecodeString(b.CipherText)
		switch {
		case decErr != nil:
			err = ErrInvalidCiphertext
		case b.KeyId != nil:
			if id, idErr := envelopeKeyID(env); idErr != nil || id != *b.KeyId {
				err = ErrInvalidCiphertext
			}
		}
		if err == nil {
			keyID, plain, err = a.s.store.DecryptData(caller(ctx), env, aad(b.AdditionalAuthenticatedData))
		}
	}
	if err != nil {
		return nil, err
	}
	return kms.DecryptData200JSONResponse{Body: kms.DecryptDataResponseBody{
		KeyId: keyID, PlainText: string(plain), PlainTextBase64: ptr(base64.StdEncoding.EncodeToString(plain)),
	}}, nil
}

// datakeyBits is the data key length: datakey_length wins over key_spec; 256 bits when neither is
// given (CreateDatakey definition).
func datakeyBits(b *kms.CreateDatakeyRequestBody) (int, error) {
	if b.DatakeyLength != nil {
		n, err := strconv.Atoi(*b.DatakeyLength)
		if err != nil {
			return 0, ErrInvalidDatakeyLength
		}
		return n, nil
	}
	if b.KeySpec != nil {
		switch *b.KeySpec {
		case kms.CreateDatakeyRequestBodyKeySpecAES128, kms.CreateDatakeyRequestBodyKeySpecSM4:
			return 128, nil
		case kms.CreateDatakeyRequestBodyKeySpecHMAC384:
			return 384, nil
		case kms.CreateDatakeyRequestBodyKeySpecHMAC512:
			return 512, nil
		}
	}
	return 256, nil
}

func aad(s *string) []byte {
	if s == nil {
		return nil
	}
	return []byte(*s)
}

// symmetricOnly refuses asymmetric algorithms: the mock models symmetric keys only.
func symmetricOnly(alg *kms.EncryptionAlgorithm) error {
	if alg != nil && *alg != kms.EncryptionAlgorithmSymmetricDefault {
		return ErrKMSInvalidEncryptionAlg
	}
	return nil
}
