package mock

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/gen/ops"
)

// Key agreement. DeriveSharedSecret requires a key whose key_usage is KEY_AGREEMENT, which CreateKey
// cannot set: as for MAC keys, the mock takes such keys from its seed (EC_P256 or EC_P384). The shared
// secret is the x-coordinate of the shared point, unhashed, as SEC 1 ECDH and Go's crypto/ecdh give it
// (UNCONFIRMED: the page does not say whether a KDF follows). SECP256K1 and SM2 agreement keys, which the
// page also names, are not modelled (refused with KMS.0308).
const usageAgreement = "KEY_AGREEMENT"

// DeriveSharedSecret computes ECDH between key id's private key and the peer's DER public key.
func (s *store) DeriveSharedSecret(c Caller, id string, peerDER []byte) ([]byte, error) {
	a, err := s.asymFor(c, id, ops.DeriveSharedSecret, usageAgreement)
	if err != nil {
		return nil, err
	}
	priv, err := a.get()
	if err != nil {
		return nil, err
	}
	k, ok := priv.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: key agreement with a %s key is not modelled", ErrAlgorithmMismatch, a.spec)
	}
	mine, err := k.ECDH()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAlgorithmMismatch, err)
	}
	peerAny, err := x509.ParsePKIXPublicKey(peerDER)
	peer, ok := peerAny.(*ecdsa.PublicKey)
	if err != nil || !ok || peer.Curve != k.Curve {
		return nil, fmt.Errorf("%w: public_key must be a DER public key on the key's curve", ErrKMSInvalidParam)
	}
	peerECDH, err := peer.ECDH()
	if err != nil {
		return nil, fmt.Errorf("%w: public_key: %v", ErrKMSInvalidParam, err)
	}
	return mine.ECDH(peerECDH)
}

// DeriveSharedSecret answers {key_id, key_agreement_algorithm, shared_secret (base64)}.
func (a *kmsAPI) DeriveSharedSecret(ctx context.Context, req kms.DeriveSharedSecretRequestObject) (kms.DeriveSharedSecretResponseObject, error) {
	b := req.Body
	peer, err := base64.StdEncoding.DecodeString(b.PublicKey)
	var secret []byte
	if err != nil {
		err = fmt.Errorf("%w: public_key is not base64", ErrKMSInvalidParam)
	} else {
		secret, err = a.s.store.DeriveSharedSecret(caller(ctx), b.KeyId, peer)
	}
	if err != nil {
		return nil, err
	}
	return kms.DeriveSharedSecret200JSONResponse{Body: kms.DeriveSharedSecretResponseBody{
		KeyId: b.KeyId, KeyAgreementAlgorithm: kms.DeriveSharedSecretResponseBodyKeyAgreementAlgorithmECDH,
		SharedSecret: ptr(base64.StdEncoding.EncodeToString(secret)),
	}}, nil
}
