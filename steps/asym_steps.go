package steps

// Steps of asymmetric keys: sign, verify, get-publickey and asymmetric encrypt-data/decrypt-data.
// Every check of a signature or a public key is made here, outside the target, with Go's crypto (RSA,
// ECDSA on the NIST curves), github.com/tjfoc/gmsm (SM2: Z_A, SM3 and verification) and a few lines of
// big-integer arithmetic (secp256k1): none of it shares code with the mock's implementation.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"net/http"
	"strings"

	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjsm3 "github.com/tjfoc/gmsm/sm3"
	tjx509 "github.com/tjfoc/gmsm/x509"

	kmsapi "github.com/dewconform/dewconform/gen/kms"
)

// asymState is what the scenario's signing steps remember: "that signature" and what it was made over.
type asymState struct {
	spec      string // the key spec of "that key", when an asymmetric Given made it
	message   []byte // the message as the scenario wrote it
	sent      []byte // what was sent as `message` (the digest for DIGEST)
	msgType   kmsapi.MessageType
	algorithm kmsapi.SigningAlgorithm
	signature string // base64, from the last successful sign

	macSecret  []byte // the HMAC key of "that key", when a MAC key was seeded with it
	macMessage []byte
	macAlg     kmsapi.MacAlgorithm
	mac        string // base64, from the last successful generate-mac

	ecdhPrivate  *ecdh.PrivateKey // the caller's half of the last key agreement
	sharedSecret string           // base64, from the last successful derive-shared-secret
}

func (w *World) asymDefinitions() []stepDef {
	const who = `(\w+)`
	return []stepDef{
		{`^` + who + ` has a key "([A-Z0-9_]+)" for "([A-Z_]+)"$`, w.hasAsymKey},
		{`^` + who + ` creates a key "([A-Z0-9_]+)" for "([A-Z_]+)"$`, w.createsAsymKey},
		{`^` + who + ` has signed the message "([^"]*)" with that key using "([A-Z0-9_]+)"$`, w.hasSigned},
		{`^` + who + ` signs the message "([^"]*)" with that key using "([A-Z0-9_]+)"$`, w.signsRaw},
		{`^` + who + ` signs the digest of "([^"]*)" with that key using "([A-Z0-9_]+)"$`, w.signsDigest},
		{`^` + who + ` signs a digest of (\d+) bytes with that key using "([A-Z0-9_]+)"$`, w.signsShortDigest},
		{`^` + who + ` verifies that signature with that key$`, w.verifiesSignature},
		{`^` + who + ` verifies that signature over the message "([^"]*)" with that key$`, w.verifiesOtherMessage},
		{`^` + who + ` verifies that signature with one bit changed with that key$`, w.verifiesChangedSignature},
		{`^` + who + ` gets the public key of that key$`, w.getsPublicKey},
		{`^` + who + ` encrypts "([^"]*)" with that key using "([A-Z0-9_]+)"$`, w.encryptsAsym},
		{`^` + who + ` encrypts (\d+) bytes with that key using "([A-Z0-9_]+)"$`, w.encryptsBytesAsym},
		{`^` + who + ` decrypts that cipher text with that key using "([A-Z0-9_]+)"$`, w.decryptsAsym},
		{`^` + who + ` has encrypted "([^"]*)" outside the service with the public key of that key$`, w.encryptedOutside},
		{`^` + who + ` has a MAC key "([A-Z0-9_]+)"$`, w.hasMACKey},
		{`^` + who + ` generates a MAC of "([^"]*)" with that key using "([A-Z0-9_]+)"$`, w.generatesMAC},
		{`^` + who + ` verifies that MAC with that key$`, w.verifiesMAC},
		{`^` + who + ` verifies that MAC over the message "([^"]*)" with that key$`, w.verifiesMACOther},
		{`^` + who + ` has a key agreement key "(EC_P256|EC_P384)"$`, w.hasAgreementKey},
		{`^` + who + ` derives a shared secret with that key and a fresh (P-256|P-384) key pair of its own$`, w.derivesSharedSecret},
		{thenExpr(`^the shared secret is the ECDH of that key's public key and the caller's private key$`), then0(w, w.sharedSecretIsECDH)},
		{thenExpr(`^that MAC is the HMAC of the message under the key's secret$`), then0(w, w.macIsHMAC)},
		{thenExpr(`^the MAC verification does not succeed$`), then0(w, w.macVerificationFails)},
		{thenExpr(`^that signature verifies outside the service with the public key of that key$`), then0(w, w.signatureVerifiesOutside)},
		{thenExpr(`^that signature verifies outside the service with the response's public_key$`), then0(w, w.signatureVerifiesWithResponseKey)},
		{thenExpr(`^the response's public_key is the PEM public key of an? "([A-Z0-9_]+)" key$`), then1(w, w.publicKeyIsSpec)},
		{thenExpr(`^the verification does not succeed$`), then0(w, w.verificationFails)},
		{thenExpr(`^` + who + ` cannot sign with that key$`), then1(w, w.cannotSign)},
	}
}

// ---- Given / When -------------------------------------------------------------------------------------

func (w *World) createAsymKey(ctx context.Context, actor string, purpose Purpose, spec, usage string) (answer, *keyRef, error) {
	ks, ku := kmsapi.KeySpec(spec), kmsapi.KeyUsage(usage)
	return w.createKeyWith(ctx, actor, purpose, kmsapi.CreateKeyRequestBody{KeySpec: &ks, KeyUsage: &ku})
}

func (w *World) hasAsymKey(ctx context.Context, actor, spec, usage string) error {
	a, k, err := w.createAsymKey(ctx, actor, PurposeSetup, spec, usage)
	if err != nil {
		return err
	}
	if k == nil {
		return a.expect(fmt.Sprintf("%s creates a %s key for %s", actor, spec, usage), http.StatusOK)
	}
	w.key, w.asym.spec = k, spec
	return nil
}

func (w *World) createsAsymKey(ctx context.Context, actor, spec, usage string) error {
	_, k, err := w.createAsymKey(ctx, actor, PurposeAct, spec, usage)
	if k != nil {
		w.key, w.asym.spec = k, spec
	}
	return err
}

func (w *World) sign(ctx context.Context, actor string, purpose Purpose, alg kmsapi.SigningAlgorithm, mt kmsapi.MessageType, sent []byte) (answer, string, error) {
	if err := w.requireKey(); err != nil {
		return answer{}, "", err
	}
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.SignWithResponse(cctx, project, kmsapi.SignRequestBody{
		KeyId: w.key.id, Message: base64.StdEncoding.EncodeToString(sent), SigningAlgorithm: alg, MessageType: &mt,
	})
	if err != nil {
		return answer{}, "", fmt.Errorf("sign: %w", err)
	}
	if r.JSON200 == nil {
		return answerOf(r.HTTPResponse, r.Body), "", nil
	}
	return answerOf(r.HTTPResponse, r.Body), r.JSON200.Signature, nil
}

func (w *World) signAndKeep(ctx context.Context, actor string, alg kmsapi.SigningAlgorithm, mt kmsapi.MessageType, message, sent []byte) error {
	w.asym.message, w.asym.sent, w.asym.msgType, w.asym.algorithm = message, sent, mt, alg
	_, sig, err := w.sign(ctx, actor, PurposeAct, alg, mt, sent)
	w.asym.signature = sig
	return err
}

// hasSigned signs a RAW message as setup: "that signature", for a later get-publickey under test.
func (w *World) hasSigned(ctx context.Context, actor, message, alg string) error {
	w.asym.message, w.asym.sent, w.asym.msgType, w.asym.algorithm = []byte(message), []byte(message), kmsapi.MessageTypeRAW, kmsapi.SigningAlgorithm(alg)
	a, sig, err := w.sign(ctx, actor, PurposeSetup, w.asym.algorithm, w.asym.msgType, w.asym.sent)
	if err != nil {
		return err
	}
	if sig == "" {
		return a.expect(fmt.Sprintf("%s signs with key %s", actor, w.key.id), http.StatusOK)
	}
	w.asym.signature = sig
	return nil
}

func (w *World) signsRaw(ctx context.Context, actor, message, alg string) error {
	return w.signAndKeep(ctx, actor, kmsapi.SigningAlgorithm(alg), kmsapi.MessageTypeRAW, []byte(message), []byte(message))
}

// signsDigest sends the algorithm's digest of message: SHA-2 for RSA and ECDSA, SM3(Z_A‖M) with the
// default user id for SM2 (which needs the public key, read first as a setup call).
func (w *World) signsDigest(ctx context.Context, actor, message, alg string) error {
	digest, err := w.digestOf(ctx, kmsapi.SigningAlgorithm(alg), []byte(message))
	if err != nil {
		return err
	}
	return w.signAndKeep(ctx, actor, kmsapi.SigningAlgorithm(alg), kmsapi.MessageTypeDIGEST, []byte(message), digest)
}

func (w *World) signsShortDigest(ctx context.Context, actor string, n int, alg string) error {
	if n < 1 || n > 1024 {
		return fmt.Errorf("a digest of %d bytes: want 1 to 1024", n)
	}
	d := make([]byte, n)
	if _, err := rand.Read(d); err != nil {
		return err
	}
	return w.signAndKeep(ctx, actor, kmsapi.SigningAlgorithm(alg), kmsapi.MessageTypeDIGEST, d, d)
}

func (w *World) digestOf(ctx context.Context, alg kmsapi.SigningAlgorithm, message []byte) ([]byte, error) {
	if alg == kmsapi.SigningAlgorithmSM2DSASM3 {
		pub, err := w.publicKeyOf(ctx)
		if err != nil {
			return nil, err
		}
		sm2pub, ok := pub.(*tjsm2.PublicKey)
		if !ok {
			return nil, fmt.Errorf("SM2DSA_SM3 needs an SM2 public key, get-publickey gave %T", pub)
		}
		d, err := sm2pub.Sm3Digest(message, nil) // nil: GM/T 0009's default user id 1234567812345678
		if err != nil || len(d) > 32 {
			return nil, fmt.Errorf("SM3(Z_A||M): %d bytes, %v", len(d), err)
		}
		// tjfoc/gmsm returns the digest as a big integer's bytes, so a leading zero byte (1 time in 256) is
		// dropped: pad back to SM3's 32 bytes.
		return append(make([]byte, 32-len(d)), d...), nil
	}
	h, err := algHash(alg)
	if err != nil {
		return nil, err
	}
	hh := newStepHash(h)
	hh.Write(message)
	return hh.Sum(nil), nil
}

func (w *World) verify(ctx context.Context, actor string, message []byte, signature string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	if w.asym.signature == "" && signature == "" {
		return errors.New("the scenario has no signature (a sign step must succeed first)")
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	mt := w.asym.msgType
	_, err := w.kms.ValidateSignatureWithResponse(cctx, project, kmsapi.VerifyRequestBody{
		KeyId: w.key.id, Message: base64.StdEncoding.EncodeToString(message), Signature: signature,
		SigningAlgorithm: w.asym.algorithm, MessageType: &mt,
	})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}

func (w *World) verifiesSignature(ctx context.Context, actor string) error {
	return w.verify(ctx, actor, w.asym.sent, w.asym.signature)
}

// verifiesOtherMessage verifies that signature over another message, sent the way the signed one was
// (its digest for DIGEST).
func (w *World) verifiesOtherMessage(ctx context.Context, actor, message string) error {
	sent := []byte(message)
	if w.asym.msgType == kmsapi.MessageTypeDIGEST {
		d, err := w.digestOf(ctx, w.asym.algorithm, sent)
		if err != nil {
			return err
		}
		sent = d
	}
	return w.verify(ctx, actor, sent, w.asym.signature)
}

func (w *World) verifiesChangedSignature(ctx context.Context, actor string) error {
	sig, err := base64.StdEncoding.DecodeString(w.asym.signature)
	if err != nil || len(sig) == 0 {
		return errors.New("the scenario has no signature (a sign step must succeed first)")
	}
	sig[len(sig)/2] ^= 0x01 // inside r, s or the RSA block: still well-formed DER for ECDSA and SM2
	return w.verify(ctx, actor, w.asym.sent, base64.StdEncoding.EncodeToString(sig))
}

func (w *World) getsPublicKey(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	if _, err := w.kms.ShowPublicKeyWithResponse(cctx, project, kmsapi.OperateKeyRequestBody{KeyId: w.key.id}); err != nil {
		return fmt.Errorf("get public key: %w", err)
	}
	return nil
}

func (w *World) encryptsAsym(ctx context.Context, actor, text, alg string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	ea := kmsapi.EncryptionAlgorithm(alg)
	r, err := w.kms.EncryptDataWithResponse(cctx, project, kmsapi.EncryptDataRequestBody{KeyId: w.key.id, PlainText: text, EncryptionAlgorithm: &ea})
	if err != nil {
		return fmt.Errorf("encrypt data: %w", err)
	}
	if r.JSON200 != nil {
		w.cipher = r.JSON200.CipherText
	}
	return nil
}

func (w *World) encryptsBytesAsym(ctx context.Context, actor string, n int, alg string) error {
	if n < 1 || n > 4096 {
		return fmt.Errorf("%d bytes: want 1 to 4096", n)
	}
	return w.encryptsAsym(ctx, actor, strings.Repeat("a", n), alg)
}

func (w *World) decryptsAsym(ctx context.Context, actor, alg string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	if w.cipher == "" {
		return errors.New("the scenario has no cipher text (an encryption must succeed first)")
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	ea := kmsapi.EncryptionAlgorithm(alg)
	id := w.key.id
	if _, err := w.kms.DecryptDataWithResponse(cctx, project, kmsapi.DecryptDataRequestBody{CipherText: w.cipher, KeyId: &id, EncryptionAlgorithm: &ea}); err != nil {
		return fmt.Errorf("decrypt data: %w", err)
	}
	return nil
}

// encryptedOutside encrypts text with the key's public key here: RSAES-OAEP with SHA-256 (Go's crypto) or
// SM2 with the GM/T 0009 ASN.1 ciphertext (tjfoc/gmsm).
func (w *World) encryptedOutside(ctx context.Context, _ string, text string) error {
	pub, err := w.publicKeyOf(ctx)
	if err != nil {
		return err
	}
	var ct []byte
	switch p := pub.(type) {
	case *rsa.PublicKey:
		ct, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, p, []byte(text), nil)
	case *tjsm2.PublicKey:
		ct, err = tjsm2.EncryptAsn1(p, []byte(text), rand.Reader)
	default:
		return fmt.Errorf("a %T public key does not encrypt", pub)
	}
	if err != nil {
		return fmt.Errorf("encrypt outside: %w", err)
	}
	w.cipher = base64.StdEncoding.EncodeToString(ct)
	return nil
}

// ---- Then ---------------------------------------------------------------------------------------------

// publicKeyOf reads that key's public key with a check call and parses it here.
func (w *World) publicKeyOf(ctx context.Context) (any, error) {
	if err := w.requireKey(); err != nil {
		return nil, err
	}
	cctx, project := w.call(ctx, w.key.owner, PurposeCheck)
	r, err := w.kms.ShowPublicKeyWithResponse(cctx, project, kmsapi.OperateKeyRequestBody{KeyId: w.key.id})
	if err != nil {
		return nil, fmt.Errorf("get public key: %w", err)
	}
	if r.JSON200 == nil {
		a := answerOf(r.HTTPResponse, r.Body)
		if err := a.expect("get the public key of key "+w.key.id, http.StatusOK); err != nil {
			return nil, err
		}
		return nil, errors.New("get-publickey: 200 without a body")
	}
	return ParsePublicKeyPEM(r.JSON200.PublicKey)
}

// k1Public is a secp256k1 public point, checked with secp256k1Verify.
type k1Public struct{ X, Y *big.Int }

// ParsePublicKeyPEM parses a get-publickey answer: *rsa.PublicKey, *ecdsa.PublicKey (P-256, P-384),
// *tjsm2.PublicKey or k1Public. Exported for the SDK test in mock.
func ParsePublicKeyPEM(s string) (any, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("public_key is not a PEM PUBLIC KEY block")
	}
	var spki struct {
		Algo struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue
		}
		Key asn1.BitString
	}
	if _, err := asn1.Unmarshal(block.Bytes, &spki); err != nil {
		return nil, fmt.Errorf("public_key is not a SubjectPublicKeyInfo: %w", err)
	}
	var curve asn1.ObjectIdentifier
	_, _ = asn1.Unmarshal(spki.Algo.Parameters.FullBytes, &curve)
	switch {
	case curve.Equal(asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}): // the SM2 curve
		return tjx509.ParseSm2PublicKey(block.Bytes)
	case curve.Equal(asn1.ObjectIdentifier{1, 3, 132, 0, 10}): // secp256k1
		b := spki.Key.Bytes
		if len(b) != 65 || b[0] != 4 {
			return nil, errors.New("secp256k1 public key is not an uncompressed point")
		}
		p := k1Public{new(big.Int).SetBytes(b[1:33]), new(big.Int).SetBytes(b[33:])}
		if !secp256k1OnCurve(p) {
			return nil, errors.New("secp256k1 public key is not on the curve")
		}
		return p, nil
	}
	return x509.ParsePKIXPublicKey(block.Bytes)
}

func (w *World) publicKeyIsSpec(_ context.Context, spec string) error {
	v, r, err := w.field("public_key")
	if err != nil {
		return err
	}
	s, _ := v.(string)
	pub, err := ParsePublicKeyPEM(s)
	if err != nil {
		return w.judge(r, err)
	}
	return w.judge(r, PublicKeyMatchesSpec(pub, spec))
}

// PublicKeyMatchesSpec says whether pub is a public key of the key spec.
func PublicKeyMatchesSpec(pub any, spec string) error {
	got := ""
	switch p := pub.(type) {
	case *rsa.PublicKey:
		got = fmt.Sprintf("RSA_%d", p.N.BitLen())
	case *ecdsa.PublicKey:
		got = "EC_P" + strings.TrimPrefix(p.Curve.Params().Name, "P-")
	case *tjsm2.PublicKey:
		got = "SM2"
	case k1Public:
		got = "SECP256K1"
	}
	if got != spec {
		return fmt.Errorf("want the public key of a %s key, got %s (%T)", spec, got, pub)
	}
	return nil
}

func (w *World) signatureVerifiesOutside(ctx context.Context) error {
	if w.asym.signature == "" {
		return errors.New("the scenario has no signature (a sign step must succeed first)")
	}
	pub, err := w.publicKeyOf(ctx)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(w.asym.signature)
	if err != nil {
		return fmt.Errorf("signature is not base64: %w", err)
	}
	return VerifyOutside(pub, string(w.asym.algorithm), w.asym.msgType == kmsapi.MessageTypeRAW, w.asym.message, w.asym.sent, sig)
}

// VerifyOutside checks a KMS signature with the public key alone. message is the original message;
// sent is what was signed (the message for RAW, its digest for DIGEST). SM2 is verified from the
// original message (tjfoc computes Z_A and SM3 itself), so a digest the target computed wrongly fails.
func VerifyOutside(pub any, alg string, raw bool, message, sent, sig []byte) error {
	if p, ok := pub.(*tjsm2.PublicKey); ok {
		if alg != string(kmsapi.SigningAlgorithmSM2DSASM3) || !p.Verify(message, sig) {
			return errors.New("the SM2 signature does not verify with the public key (tjfoc/gmsm, default user id)")
		}
		return nil
	}
	h, err := algHash(kmsapi.SigningAlgorithm(alg))
	if err != nil {
		return err
	}
	digest := sent
	if raw {
		hh := newStepHash(h)
		hh.Write(message)
		digest = hh.Sum(nil)
	}
	ok := false
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if strings.HasPrefix(alg, "RSASSA_PSS") {
			ok = rsa.VerifyPSS(p, h, digest, sig, nil) == nil
		} else {
			ok = rsa.VerifyPKCS1v15(p, h, digest, sig) == nil
		}
	case *ecdsa.PublicKey:
		ok = strings.HasPrefix(alg, "ECDSA") && ecdsa.VerifyASN1(p, digest, sig)
	case k1Public:
		ok = strings.HasPrefix(alg, "ECDSA") && secp256k1Verify(p, digest, sig)
	}
	if !ok {
		return fmt.Errorf("the %s signature does not verify with the public key (%T)", alg, pub)
	}
	return nil
}

// signatureVerifiesWithResponseKey checks "that signature" with the public key the call under test
// (get-publickey) answered: the key must be the key's own.
func (w *World) signatureVerifiesWithResponseKey(context.Context) error {
	if w.asym.signature == "" {
		return errors.New("the scenario has no signature (a sign step must succeed first)")
	}
	v, r, err := w.field("public_key")
	if err != nil {
		return err
	}
	s, _ := v.(string)
	pub, err := ParsePublicKeyPEM(s)
	if err != nil {
		return w.judge(r, err)
	}
	sig, err := base64.StdEncoding.DecodeString(w.asym.signature)
	if err != nil {
		return fmt.Errorf("signature is not base64: %w", err)
	}
	return w.judge(r, VerifyOutside(pub, string(w.asym.algorithm), w.asym.msgType == kmsapi.MessageTypeRAW, w.asym.message, w.asym.sent, sig))
}

func (w *World) verificationFails(context.Context) error {
	return w.validityFails("signature_valid", "signature")
}

// validityFails judges a verify or verify-mac answer that must not vouch for what it was given: a 200 whose
// field is not "true", or a refusal.
func (w *World) validityFails(field, what string) error {
	r, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if r.status == http.StatusOK {
		if v, _, ferr := w.field(field); ferr == nil && scalar(v) != "true" {
			return nil
		}
		return w.judge(r, fmt.Errorf("want the verification of a wrong %s to fail: %s", what, r.describe()))
	}
	return w.judge(r, (&answer{actor: r.actor, status: r.status, body: r.body}).refused("verify a wrong "+what))
}

func (w *World) cannotSign(ctx context.Context, actor string) error {
	digest := make([]byte, 32)
	a, _, err := w.sign(ctx, actor, PurposeCheck, kmsapi.SigningAlgorithmRSASSAPKCS1V15SHA256, kmsapi.MessageTypeDIGEST, digest)
	if err != nil {
		return err
	}
	return a.refused(fmt.Sprintf("%s signs with key %s", actor, w.key.id))
}

// ---- MAC keys -------------------------------------------------------------------------------------------

// hasMACKey seeds a MAC key of actor's with a secret known here, through the mock's control API: no
// documented client call creates a GENERATE_VERIFY_MAC key (CreateKey lists no HMAC key spec), so against
// another target the step skips its scenario.
func (w *World) hasMACKey(ctx context.Context, actor, spec string) error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	id := fmt.Sprintf("%s-%s-4%s-8%s-%s", randomHex(4), randomHex(2), randomHex(2)[1:], randomHex(2)[1:], randomHex(6))
	alias := w.s.Prefix() + randomHex(6)
	if err := w.control(ctx, "/_dewconform/seed", map[string]any{"keys": []map[string]any{{
		"owner": actor, "alias": alias, "id": id, "spec": spec, "usage": "GENERATE_VERIFY_MAC", "material": fmt.Sprintf("%x", secret),
	}}}); err != nil {
		return err
	}
	k := &keyRef{id: id, owner: actor, alias: alias}
	w.onCleanup("key "+k.id, func(ctx context.Context) error { return w.cleanupKey(ctx, k) })
	w.key, w.asym.spec, w.asym.macSecret = k, spec, secret
	return nil
}

func (w *World) generatesMAC(ctx context.Context, actor, message, alg string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	w.asym.macMessage, w.asym.macAlg, w.asym.mac = []byte(message), kmsapi.MacAlgorithm(alg), ""
	cctx, project := w.call(ctx, actor, PurposeAct)
	r, err := w.kms.GenerateMacWithResponse(cctx, project, kmsapi.GenerateMacRequestBody{
		KeyId: w.key.id, MacAlgorithm: w.asym.macAlg, Message: base64.StdEncoding.EncodeToString([]byte(message))})
	if err != nil {
		return fmt.Errorf("generate mac: %w", err)
	}
	if r.JSON200 != nil {
		w.asym.mac = r.JSON200.Mac
	}
	return nil
}

func (w *World) verifyMAC(ctx context.Context, actor string, message []byte) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	if w.asym.mac == "" {
		return errors.New("the scenario has no MAC (a generate-mac step must succeed first)")
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	if _, err := w.kms.VerifyMacWithResponse(cctx, project, kmsapi.VerifyMacRequestBody{
		KeyId: w.key.id, MacAlgorithm: w.asym.macAlg, Message: base64.StdEncoding.EncodeToString(message), Mac: w.asym.mac}); err != nil {
		return fmt.Errorf("verify mac: %w", err)
	}
	return nil
}

func (w *World) verifiesMAC(ctx context.Context, actor string) error {
	return w.verifyMAC(ctx, actor, w.asym.macMessage)
}

func (w *World) verifiesMACOther(ctx context.Context, actor, message string) error {
	return w.verifyMAC(ctx, actor, []byte(message))
}

// macIsHMAC recomputes the MAC here with Go's crypto/hmac (SHA-2) or tjfoc/gmsm's SM3, from the secret
// the scenario seeded.
func (w *World) macIsHMAC(context.Context) error {
	if w.asym.macSecret == nil {
		return errors.New("the scenario's key has no known secret (use 'has a MAC key')")
	}
	got, err := base64.StdEncoding.DecodeString(w.asym.mac)
	if err != nil || w.asym.mac == "" {
		return fmt.Errorf("the answer's mac is not base64: %q", w.asym.mac)
	}
	want, err := HMAC(string(w.asym.macAlg), w.asym.macSecret, w.asym.macMessage)
	if err != nil {
		return err
	}
	if !hmac.Equal(got, want) {
		return fmt.Errorf("the %s MAC is not the HMAC of the message under the key's secret", w.asym.macAlg)
	}
	return nil
}

// HMAC computes a KMS MAC algorithm's HMAC outside the service. Exported for the SDK test.
func HMAC(alg string, key, msg []byte) ([]byte, error) {
	var h func() hash.Hash
	switch alg {
	case "HMAC_SHA_256":
		h = sha256.New
	case "HMAC_SHA_384":
		h = sha512.New384
	case "HMAC_SHA_512":
		h = sha512.New
	case "HMAC_SM3":
		h = tjsm3.New
	default:
		return nil, fmt.Errorf("unknown MAC algorithm %q", alg)
	}
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil), nil
}

func (w *World) macVerificationFails(context.Context) error {
	return w.validityFails("mac_valid", "MAC")
}

// ---- key agreement ---------------------------------------------------------------------------------------

// hasAgreementKey seeds a KEY_AGREEMENT key of actor's through the mock's control API (CreateKey cannot
// set that usage), so against another target the step skips its scenario.
func (w *World) hasAgreementKey(ctx context.Context, actor, spec string) error {
	id := fmt.Sprintf("%s-%s-4%s-8%s-%s", randomHex(4), randomHex(2), randomHex(2)[1:], randomHex(2)[1:], randomHex(6))
	alias := w.s.Prefix() + randomHex(6)
	if err := w.control(ctx, "/_dewconform/seed", map[string]any{"keys": []map[string]any{{
		"owner": actor, "alias": alias, "id": id, "spec": spec, "usage": "KEY_AGREEMENT"}}}); err != nil {
		return err
	}
	k := &keyRef{id: id, owner: actor, alias: alias}
	w.onCleanup("key "+k.id, func(ctx context.Context) error { return w.cleanupKey(ctx, k) })
	w.key, w.asym.spec = k, spec
	return nil
}

// derivesSharedSecret makes a key pair here (Go's crypto/ecdh) and sends its public half.
func (w *World) derivesSharedSecret(ctx context.Context, actor, curve string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	c := ecdh.P256()
	if curve == "P-384" {
		c = ecdh.P384()
	}
	priv, err := c.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(priv.PublicKey())
	if err != nil {
		return err
	}
	w.asym.ecdhPrivate, w.asym.sharedSecret = priv, ""
	cctx, project := w.call(ctx, actor, PurposeAct)
	r, err := w.kms.DeriveSharedSecretWithResponse(cctx, project, kmsapi.DeriveSharedSecretRequestBody{
		KeyId: w.key.id, KeyAgreementAlgorithm: kmsapi.DeriveSharedSecretRequestBodyKeyAgreementAlgorithmECDH,
		PublicKey: base64.StdEncoding.EncodeToString(der)})
	if err != nil {
		return fmt.Errorf("derive shared secret: %w", err)
	}
	if r.JSON200 != nil && r.JSON200.SharedSecret != nil {
		w.asym.sharedSecret = *r.JSON200.SharedSecret
	}
	return nil
}

// sharedSecretIsECDH recomputes the agreement here, from the key's public key (get-publickey) and the
// private key the scenario kept.
func (w *World) sharedSecretIsECDH(ctx context.Context) error {
	if w.asym.ecdhPrivate == nil {
		return errors.New("the scenario derived no shared secret")
	}
	pub, err := w.publicKeyOf(ctx)
	if err != nil {
		return err
	}
	ep, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("get-publickey gave a %T, not an EC key", pub)
	}
	peer, err := ep.ECDH()
	if err != nil {
		return err
	}
	want, err := w.asym.ecdhPrivate.ECDH(peer)
	if err != nil {
		return fmt.Errorf("the key's public key is not on the scenario's curve: %w", err)
	}
	got, err := base64.StdEncoding.DecodeString(w.asym.sharedSecret)
	if err != nil || !bytes.Equal(got, want) {
		return errors.New("the shared secret is not the ECDH of the key's public key and the caller's private key")
	}
	return nil
}

// ---- algorithms ---------------------------------------------------------------------------------------

func algHash(alg kmsapi.SigningAlgorithm) (crypto.Hash, error) {
	switch {
	case strings.HasSuffix(string(alg), "SHA_256"):
		return crypto.SHA256, nil
	case strings.HasSuffix(string(alg), "SHA_384"):
		return crypto.SHA384, nil
	case strings.HasSuffix(string(alg), "SHA_512"):
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("no SHA-2 hash for %q", alg)
}

func newStepHash(h crypto.Hash) hash.Hash {
	switch h {
	case crypto.SHA384:
		return sha512.New384()
	case crypto.SHA512:
		return sha512.New()
	}
	return sha256.New()
}

// secp256k1 over big integers (SEC 2 §2.4.1): y² = x³ + 7 mod p. Slow and simple on purpose: it is the
// independent check of the mock's library, run a few times per test.
func k1Param(hex string) *big.Int {
	v, _ := new(big.Int).SetString(hex, 16)
	return v
}

// k1P(), k1N() and k1G are the curve's field prime, order and generator (functions: no package state).
func k1P() *big.Int {
	return k1Param("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")
}
func k1N() *big.Int {
	return k1Param("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
}
func k1G() k1Public {
	return k1Public{k1Param("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
		k1Param("483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")}
}

func secp256k1OnCurve(p k1Public) bool {
	if p.X.Sign() < 0 || p.X.Cmp(k1P()) >= 0 || p.Y.Sign() < 0 || p.Y.Cmp(k1P()) >= 0 {
		return false
	}
	l := new(big.Int).Exp(p.Y, big.NewInt(2), k1P())
	r := new(big.Int).Exp(p.X, big.NewInt(3), k1P())
	r.Add(r, big.NewInt(7)).Mod(r, k1P())
	return l.Cmp(r) == 0
}

// k1Add adds two affine points; nil is the point at infinity.
func k1Add(a, b *k1Public) *k1Public {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	var m *big.Int
	if a.X.Cmp(b.X) == 0 {
		if new(big.Int).Add(a.Y, b.Y).Mod(new(big.Int).Add(a.Y, b.Y), k1P()).Sign() == 0 {
			return nil
		}
		num := new(big.Int).Mul(big.NewInt(3), new(big.Int).Mul(a.X, a.X))
		den := new(big.Int).ModInverse(new(big.Int).Mul(big.NewInt(2), a.Y), k1P())
		m = num.Mul(num, den)
	} else {
		num := new(big.Int).Sub(b.Y, a.Y)
		den := new(big.Int).ModInverse(new(big.Int).Mod(new(big.Int).Sub(b.X, a.X), k1P()), k1P())
		m = num.Mul(num, den)
	}
	m.Mod(m, k1P())
	x := new(big.Int).Sub(new(big.Int).Mul(m, m), new(big.Int).Add(a.X, b.X))
	x.Mod(x, k1P())
	y := new(big.Int).Sub(new(big.Int).Mul(m, new(big.Int).Sub(a.X, x)), a.Y)
	y.Mod(y, k1P())
	return &k1Public{x, y}
}

func k1Mul(p k1Public, k *big.Int) *k1Public {
	var acc *k1Public
	add := &k1Public{p.X, p.Y}
	for i := 0; i < k.BitLen(); i++ {
		if k.Bit(i) == 1 {
			acc = k1Add(acc, add)
		}
		add = k1Add(add, add)
	}
	return acc
}

// secp256k1Verify is textbook ECDSA verification over a DER signature.
func secp256k1Verify(pub k1Public, digest, der []byte) bool {
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) != 0 {
		return false
	}
	if sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.Cmp(k1N()) >= 0 || sig.S.Cmp(k1N()) >= 0 {
		return false
	}
	e := new(big.Int).SetBytes(digest)
	if len(digest) > 32 {
		e.SetBytes(digest[:32])
	}
	sInv := new(big.Int).ModInverse(sig.S, k1N())
	u1 := new(big.Int).Mul(e, sInv)
	u1.Mod(u1, k1N())
	u2 := new(big.Int).Mul(sig.R, sInv)
	u2.Mod(u2, k1N())
	pt := k1Add(k1Mul(k1G(), u1), k1Mul(pub, u2))
	if pt == nil {
		return false
	}
	return new(big.Int).Mod(pt.X, k1N()).Cmp(sig.R) == 0
}
