package mock

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/dewconform/dewconform/gen/kms"
)

// Data key pairs (CreateRsaDatakeyPair, CreateEcDatakeyPair): a fresh key pair whose private key comes
// back wrapped under the CMK (an enabled symmetric ENCRYPT_DECRYPT key, as for create-datakey), and in
// plaintext too unless with_plain_text is false. The pages give no encodings; the mock answers base64 of
// DER everywhere (UNCONFIRMED): the public key as a SubjectPublicKeyInfo (the form DeriveSharedSecret
// takes), the private key as PKCS#8, and the wrapped private key as the mock's own envelope, which
// decrypt-data opens. P-521 exists only here: no CMK has that spec.

// newDataKeyPair generates a pair of spec and returns its public key (SPKI DER) and private key (PKCS#8 DER).
func newDataKeyPair(spec string) (pub, priv []byte, err error) {
	var key any
	switch spec {
	case "RSA_2048", "RSA_3072", "RSA_4096":
		bits := map[string]int{"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}[spec]
		key, err = rsa.GenerateKey(rand.Reader, bits)
	case "ECC_NIST_P256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ECC_NIST_P384":
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ECC_NIST_P521":
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "SM2":
		var k *sm2.PrivateKey
		if k, err = sm2.GenerateKey(rand.Reader); err == nil {
			if priv, err = smx509.MarshalPKCS8PrivateKey(k); err == nil {
				pub, err = smx509.MarshalPKIXPublicKey(&k.PublicKey)
			}
		}
		return pub, priv, err
	case "ECC_SECG_P256K1":
		var k *secp256k1.PrivateKey
		if k, err = secp256k1.GeneratePrivateKey(); err != nil {
			return nil, nil, err
		}
		if pub, err = publicDER(k); err != nil {
			return nil, nil, err
		}
		priv, err = secp256k1PKCS8(k)
		return pub, priv, err
	default:
		return nil, nil, fmt.Errorf("%w: data key pair spec %q", ErrKMSInvalidParam, spec)
	}
	if err != nil {
		return nil, nil, err
	}
	if priv, err = x509.MarshalPKCS8PrivateKey(key); err != nil {
		return nil, nil, err
	}
	pub, err = x509.MarshalPKIXPublicKey(key.(crypto.Signer).Public())
	return pub, priv, err
}

// secp256k1PKCS8 encodes a secp256k1 private key as PKCS#8 (RFC 5208) around a SEC 1 ECPrivateKey
// (RFC 5915): Go's x509 does not know the curve.
func secp256k1PKCS8(k *secp256k1.PrivateKey) ([]byte, error) {
	curve := asn1.ObjectIdentifier{1, 3, 132, 0, 10}
	inner, err := asn1.Marshal(struct {
		Version    int
		PrivateKey []byte
		PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
	}{1, k.Serialize(), asn1.BitString{Bytes: k.PubKey().SerializeUncompressed(), BitLength: 65 * 8}})
	if err != nil {
		return nil, err
	}
	params, err := asn1.Marshal(curve)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct {
		Version int
		Algo    struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue
		}
		PrivateKey []byte
	}{0, struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}{asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, asn1.RawValue{FullBytes: params}}, inner})
}

// CreateDataKeyPair generates a pair of spec and wraps its private key under key id.
func (s *store) CreateDataKeyPair(c Caller, id, op, spec string, aad []byte) (pub, priv, wrapped []byte, err error) {
	aead, err := s.aeadFor(c, id, op)
	if err != nil {
		return nil, nil, nil, err
	}
	if pub, priv, err = newDataKeyPair(spec); err != nil {
		return nil, nil, nil, err
	}
	wrapped, err = seal(aead, id, priv, aad)
	return pub, priv, wrapped, err
}

func (a *kmsAPI) dataKeyPair(ctx context.Context, op, keyID, spec string, withPlain *bool, aadText *string) (kms.CreateDataKeyPairResponseBody, error) {
	pub, priv, wrapped, err := a.s.store.CreateDataKeyPair(caller(ctx), keyID, op, spec, aad(aadText))
	if err != nil {
		return kms.CreateDataKeyPairResponseBody{}, err
	}
	out := kms.CreateDataKeyPairResponseBody{
		KeyId: keyID, KeySpec: ptr(kms.CreateDataKeyPairResponseBodyKeySpec(spec)),
		PublicKey:            base64.StdEncoding.EncodeToString(pub),
		PrivateKeyCipherText: base64.StdEncoding.EncodeToString(wrapped),
	}
	if withPlain == nil || *withPlain { // with_plain_text defaults to true
		out.PrivateKeyPlainText = ptr(base64.StdEncoding.EncodeToString(priv))
	}
	return out, nil
}

// CreateRsaDatakeyPair is create-rsa-datakey-pair.
func (a *kmsAPI) CreateRsaDatakeyPair(ctx context.Context, req kms.CreateRsaDatakeyPairRequestObject) (kms.CreateRsaDatakeyPairResponseObject, error) {
	b := req.Body
	out, err := a.dataKeyPair(ctx, OpCreateDatakey, b.KeyId, string(b.KeySpec), b.WithPlainText, b.AdditionalAuthenticatedData)
	if err != nil {
		return nil, err
	}
	return kms.CreateRsaDatakeyPair200JSONResponse{Body: out}, nil
}

// CreateEcDatakeyPair is create-ec-datakey-pair.
func (a *kmsAPI) CreateEcDatakeyPair(ctx context.Context, req kms.CreateEcDatakeyPairRequestObject) (kms.CreateEcDatakeyPairResponseObject, error) {
	b := req.Body
	out, err := a.dataKeyPair(ctx, OpCreateDatakey, b.KeyId, string(b.KeySpec), b.WithPlainText, b.AdditionalAuthenticatedData)
	if err != nil {
		return nil, err
	}
	return kms.CreateEcDatakeyPair200JSONResponse{Body: out}, nil
}
