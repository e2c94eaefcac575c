package steps

// Steps of data key pairs (create-rsa-datakey-pair, create-ec-datakey-pair). The pair is checked here,
// outside the target: the plaintext private key is parsed with Go's x509 (RSA, NIST curves), tjfoc/gmsm
// (SM2) or plain ASN.1 (secp256k1), its public half recomputed and compared with public_key; and the
// wrapped private key must open, through decrypt-data under the same key, to the same private key.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"

	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"

	kmsapi "github.com/dewconform/dewconform/gen/kms"
)

func (w *World) dataKeyPairDefinitions() []stepDef {
	const who = `(\w+)`
	return []stepDef{
		{`^` + who + ` creates an? (RSA|EC) data key pair "([A-Z0-9_]+)" with that key$`, w.createsDataKeyPair},
		{`^` + who + ` creates an? (RSA|EC) data key pair "([A-Z0-9_]+)" without its plaintext private key with that key$`, w.createsDataKeyPairNoPlain},
		{thenExpr(`^the data key pair's public key, private key and wrapped private key belong together$`), then0(w, w.dataKeyPairConsistent)},
		{thenExpr(`^the answer has no plaintext private key$`), then0(w, w.noPlainPrivateKey)},
	}
}

func (w *World) createDataKeyPair(ctx context.Context, actor, family, spec string, plain bool) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	var err error
	if family == "RSA" {
		_, err = w.kms.CreateRsaDatakeyPairWithResponse(cctx, project, kmsapi.CreateRsaDatakeyPairRequestBody{
			KeyId: w.key.id, KeySpec: kmsapi.CreateRsaDatakeyPairRequestBodyKeySpec(spec), WithPlainText: &plain})
	} else {
		_, err = w.kms.CreateEcDatakeyPairWithResponse(cctx, project, kmsapi.CreateEcDatakeyPairRequestBody{
			KeyId: w.key.id, KeySpec: kmsapi.CreateEcDatakeyPairRequestBodyKeySpec(spec), WithPlainText: &plain})
	}
	if err != nil {
		return fmt.Errorf("create data key pair: %w", err)
	}
	return nil
}

func (w *World) createsDataKeyPair(ctx context.Context, actor, family, spec string) error {
	return w.createDataKeyPair(ctx, actor, family, spec, true)
}

func (w *World) createsDataKeyPairNoPlain(ctx context.Context, actor, family, spec string) error {
	return w.createDataKeyPair(ctx, actor, family, spec, false)
}

func (w *World) pairField(name string) ([]byte, *response, error) {
	v, r, err := w.field(name)
	if err != nil {
		return nil, r, err
	}
	s, _ := v.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, r, fmt.Errorf("the answer's %s is not base64", name)
	}
	return b, r, nil
}

func (w *World) dataKeyPairConsistent(ctx context.Context) error {
	pubDER, r, err := w.pairField("public_key")
	if err != nil {
		return w.judge(r, err)
	}
	privDER, _, err := w.pairField("private_key_plain_text")
	if err != nil {
		return w.judge(r, err)
	}
	wrapped, _, err := w.pairField("private_key_cipher_text")
	if err != nil {
		return w.judge(r, err)
	}
	if err := PairMatches(pubDER, privDER); err != nil {
		return w.judge(r, err)
	}
	// The wrapped private key opens under the same key (decrypt-data, a check call) to the same bytes.
	cctx, project := w.call(ctx, w.key.owner, PurposeCheck)
	d, err := w.kms.DecryptDataWithResponse(cctx, project, kmsapi.DecryptDataRequestBody{CipherText: base64.StdEncoding.EncodeToString(wrapped)})
	if err != nil {
		return fmt.Errorf("decrypt data: %w", err)
	}
	if d.JSON200 == nil || d.JSON200.PlainTextBase64 == nil {
		a := answerOf(d.HTTPResponse, d.Body)
		if err := a.expect("decrypt the wrapped private key", http.StatusOK); err != nil {
			return w.judge(r, err)
		}
		return w.judge(r, errors.New("decrypt-data of the wrapped private key has no plain_text_base64"))
	}
	opened, err := base64.StdEncoding.DecodeString(*d.JSON200.PlainTextBase64)
	if err != nil || !bytes.Equal(opened, privDER) {
		return w.judge(r, errors.New("the wrapped private key does not open to the plaintext private key"))
	}
	return nil
}

// PairMatches parses a PKCS#8 private key and a SubjectPublicKeyInfo public key and says whether they are
// one pair. Exported for the SDK test.
func PairMatches(pubDER, privDER []byte) error {
	pub, err := ParsePublicKeyPEM(string(pemOf(pubDER)))
	if err != nil {
		return fmt.Errorf("public_key: %w", err)
	}
	switch p := pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		priv, err := x509.ParsePKCS8PrivateKey(privDER)
		if err != nil {
			return fmt.Errorf("private_key_plain_text is not PKCS#8: %w", err)
		}
		signer, ok := priv.(crypto.Signer)
		if !ok {
			return fmt.Errorf("private_key_plain_text holds a %T", priv)
		}
		if !signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(p) {
			return errors.New("the private key's public half is not public_key")
		}
	case *tjsm2.PublicKey:
		priv, err := tjx509.ParsePKCS8UnecryptedPrivateKey(privDER)
		if err != nil {
			return fmt.Errorf("private_key_plain_text is not an SM2 PKCS#8 key: %w", err)
		}
		if priv.PublicKey.X.Cmp(p.X) != 0 || priv.PublicKey.Y.Cmp(p.Y) != 0 {
			return errors.New("the SM2 private key's public half is not public_key")
		}
	case k1Public:
		var info struct {
			Version    int
			Algo       asn1.RawValue
			PrivateKey []byte
		}
		var ec struct {
			Version    int
			PrivateKey []byte
		}
		if _, err := asn1.Unmarshal(privDER, &info); err != nil {
			return fmt.Errorf("private_key_plain_text is not PKCS#8: %w", err)
		}
		if _, err := asn1.Unmarshal(info.PrivateKey, &ec); err != nil {
			return fmt.Errorf("private_key_plain_text holds no ECPrivateKey: %w", err)
		}
		q := k1Mul(k1G(), new(big.Int).SetBytes(ec.PrivateKey))
		if q == nil || q.X.Cmp(p.X) != 0 || q.Y.Cmp(p.Y) != 0 {
			return errors.New("the secp256k1 private key's public half is not public_key")
		}
	default:
		return fmt.Errorf("public_key of type %T", pub)
	}
	return nil
}

func pemOf(der []byte) []byte {
	return []byte("-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----\n")
}

func (w *World) noPlainPrivateKey(context.Context) error {
	r, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if v, _, ferr := w.field("private_key_plain_text"); ferr == nil && v != nil && scalar(v) != "" {
		return w.judge(r, errors.New("the answer carries the private key in plaintext although with_plain_text is false"))
	}
	return nil
}
