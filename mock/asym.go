package mock

// Asymmetric key material and the cryptography done with it. Every signature, public key and ciphertext
// is real: RSA, NIST P-256/P-384 and ECDSA come from Go's standard library; SM2 from
// github.com/emmansun/gmsm, chosen because its sm2.SignASN1 signs a precomputed digest, which is what
// Huawei's Sign takes for SM2 (the caller computes SM3(Z_A‖M)); github.com/tjfoc/gmsm (already in go.sum
// through the SDK) always hashes Z_A‖M itself inside its SM2 signing and so cannot serve that call. The
// tests check the mock's SM2 results with tjfoc/gmsm instead, a different implementation. secp256k1 comes
// from github.com/decred/dcrd/dcrec/secp256k1/v4: Go's crypto has no such curve, and elliptic.CurveParams
// assumes a = -3 where secp256k1 has a = 0.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Asymmetric key specs.
const (
	specRSA2048   = "RSA_2048"
	specRSA3072   = "RSA_3072"
	specRSA4096   = "RSA_4096"
	specECP256    = "EC_P256"
	specECP384    = "EC_P384"
	specSECP256K1 = "SECP256K1"
	specSM2       = "SM2"
)

// Encryption algorithms of encrypt-data and decrypt-data for asymmetric keys.
const (
	algOAEPSHA256 = "RSAES_OAEP_SHA_256"
	algSM2Encrypt = "SM2_ENCRYPT"
)

// Message types of sign and verify.
const (
	msgDigest = "DIGEST"
	msgRaw    = "RAW"
)

func asymmetricSpec(spec string) bool {
	switch spec {
	case specRSA2048, specRSA3072, specRSA4096, specECP256, specECP384, specSECP256K1, specSM2:
		return true
	}
	return false
}

// usageAllowed says which usages a spec may have: RSA and SM2 may encrypt or sign, the other curves only
// sign (the key-algorithm table of the KMS pages lists EC_P256/EC_P384 for signatures only) or, for
// seeded EC_P256/EC_P384 keys, agree (KEY_AGREEMENT, which CreateKey cannot set), HMAC keys only MAC,
// symmetric keys only encrypt.
func usageAllowed(spec, usage string) bool {
	switch spec {
	case specRSA2048, specRSA3072, specRSA4096, specSM2:
		return usage == usageEncrypt || usage == usageSign
	case specECP256, specECP384:
		return usage == usageSign || usage == usageAgreement
	case specSECP256K1:
		return usage == usageSign
	case specHMAC256, specHMAC384, specHMAC512, specHMACSM3:
		return usage == usageMAC
	default:
		return usage == usageEncrypt
	}
}

// asymKey is the key pair of one asymmetric key. It is generated on first use, not at create-key: an
// RSA-4096 pair takes about a second, and most keys the suite creates are never used for cryptography.
// Its own lock lets generation run outside the store's lock.
type asymKey struct {
	spec string
	mu   sync.Mutex
	priv any // *rsa.PrivateKey, *ecdsa.PrivateKey (P-256, P-384), *sm2.PrivateKey, *secp256k1.PrivateKey; nil until generated
}

// get returns the private key, generating it on the first call.
func (a *asymKey) get() (any, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.priv != nil {
		return a.priv, nil
	}
	priv, err := generateAsym(a.spec)
	if err != nil {
		return nil, err
	}
	a.priv = priv
	return priv, nil
}

func generateAsym(spec string) (any, error) {
	switch spec {
	case specRSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case specRSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case specRSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case specECP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case specECP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case specSM2:
		return sm2.GenerateKey(rand.Reader)
	case specSECP256K1:
		return secp256k1.GeneratePrivateKey()
	}
	return nil, fmt.Errorf("key spec %q has no key pair", spec)
}

// privateBytes encodes the private key for the state file: PKCS#1 DER for RSA, the 32- or 48-byte
// scalar for the curves. nil when the pair was never generated.
func (a *asymKey) privateBytes() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch k := a.priv.(type) {
	case *rsa.PrivateKey:
		return x509.MarshalPKCS1PrivateKey(k)
	case *sm2.PrivateKey:
		return k.D.FillBytes(make([]byte, 32))
	case *ecdsa.PrivateKey:
		return k.D.FillBytes(make([]byte, (k.Curve.Params().BitSize+7)/8))
	case *secp256k1.PrivateKey:
		return k.Serialize()
	}
	return nil
}

// parsePrivate reverses privateBytes for spec.
func parsePrivate(spec string, b []byte) (any, error) {
	bad := fmt.Errorf("%s private key material is malformed", spec)
	switch spec {
	case specRSA2048, specRSA3072, specRSA4096:
		k, err := x509.ParsePKCS1PrivateKey(b)
		if err != nil {
			return nil, bad
		}
		if want := map[string]int{specRSA2048: 2048, specRSA3072: 3072, specRSA4096: 4096}[spec]; k.N.BitLen() != want {
			return nil, bad
		}
		return k, nil
	case specSM2:
		k, err := sm2.NewPrivateKey(b)
		if err != nil {
			return nil, bad
		}
		return k, nil
	case specECP256, specECP384:
		curve := elliptic.P256()
		if spec == specECP384 {
			curve = elliptic.P384()
		}
		k, err := ecdsa.ParseRawPrivateKey(curve, b)
		if err != nil {
			return nil, bad
		}
		return k, nil
	case specSECP256K1:
		if len(b) != 32 {
			return nil, bad
		}
		k := secp256k1.PrivKeyFromBytes(b)
		if k.Key.IsZero() {
			return nil, bad
		}
		return k, nil
	}
	return nil, fmt.Errorf("key spec %q has no key pair", spec)
}

// publicPEM is the public key as get-publickey answers it: a PEM SubjectPublicKeyInfo with CRLF line
// ends, as in the ShowPublicKey example.
func publicPEM(priv any) (string, error) {
	der, err := publicDER(priv)
	if err != nil {
		return "", err
	}
	s := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return strings.ReplaceAll(s, "\n", "\r\n"), nil
}

// publicDER is the DER SubjectPublicKeyInfo of an asymmetric private key's public half.
func publicDER(priv any) ([]byte, error) {
	var der []byte
	var err error
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		der, err = x509.MarshalPKIXPublicKey(&k.PublicKey)
	case *sm2.PrivateKey:
		der, err = smx509.MarshalPKIXPublicKey(&k.PublicKey) // id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301
	case *ecdsa.PrivateKey:
		der, err = x509.MarshalPKIXPublicKey(&k.PublicKey)
	case *secp256k1.PrivateKey:
		params, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 132, 0, 10}) // secp256k1 (SEC 2)
		der, err = asn1.Marshal(struct {
			Algo struct {
				Algorithm  asn1.ObjectIdentifier
				Parameters asn1.RawValue
			}
			Key asn1.BitString
		}{
			Algo: struct {
				Algorithm  asn1.ObjectIdentifier
				Parameters asn1.RawValue
			}{asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, asn1.RawValue{FullBytes: params}},
			Key: asn1.BitString{Bytes: k.PubKey().SerializeUncompressed(), BitLength: 65 * 8},
		})
	default:
		return nil, errors.New("not an asymmetric private key")
	}
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return der, nil
}

// sigAlg is one signing algorithm: the key family it needs, its hash, and for RSA its padding.
type sigAlg struct {
	family string // "RSA", "EC", "SM2"
	hash   crypto.Hash
	pss    bool
}

// sigAlgs are the Sign page's algorithms. SM2DSA_SM3 has no crypto.Hash: its digest is SM3(Z_A‖M),
// 32 bytes, computed by the caller.
func sigAlgs() map[string]sigAlg {
	return map[string]sigAlg{
		"RSASSA_PSS_SHA_256":        {"RSA", crypto.SHA256, true},
		"RSASSA_PSS_SHA_384":        {"RSA", crypto.SHA384, true},
		"RSASSA_PSS_SHA_512":        {"RSA", crypto.SHA512, true},
		"RSASSA_PKCS1_V1_5_SHA_256": {"RSA", crypto.SHA256, false},
		"RSASSA_PKCS1_V1_5_SHA_384": {"RSA", crypto.SHA384, false},
		"RSASSA_PKCS1_V1_5_SHA_512": {"RSA", crypto.SHA512, false},
		"ECDSA_SHA_256":             {"EC", crypto.SHA256, false},
		"ECDSA_SHA_384":             {"EC", crypto.SHA384, false},
		"ECDSA_SHA_512":             {"EC", crypto.SHA512, false},
		"SM2DSA_SM3":                {"SM2", 0, false},
	}
}

func specFamily(spec string) string {
	switch spec {
	case specRSA2048, specRSA3072, specRSA4096:
		return "RSA"
	case specSM2:
		return "SM2"
	case specECP256, specECP384, specSECP256K1:
		return "EC"
	}
	return ""
}

func newHash(h crypto.Hash) hash.Hash {
	switch h {
	case crypto.SHA384:
		return sha512.New384()
	case crypto.SHA512:
		return sha512.New()
	default:
		return sha256.New()
	}
}

// digestFor turns a sign/verify message into the digest that is signed: a DIGEST must have the
// algorithm's digest length; a RAW message is hashed here. SM2 takes a digest only (Sign page).
func digestFor(alg sigAlg, msgType string, msg []byte) ([]byte, error) {
	size := 32
	if alg.hash != 0 {
		size = alg.hash.Size()
	}
	switch msgType {
	case msgRaw:
		if alg.family == "SM2" {
			return nil, fmt.Errorf("%w: SM2 signs a digest only (message_type DIGEST)", ErrInvalidMessage)
		}
		h := newHash(alg.hash)
		h.Write(msg)
		return h.Sum(nil), nil
	default:
		if len(msg) != size {
			return nil, fmt.Errorf("%w: a digest for this algorithm has %d bytes, got %d", ErrInvalidMessage, size, len(msg))
		}
		return msg, nil
	}
}

// signDigest signs digest with priv under alg; the caller has checked that alg suits the key.
func signDigest(priv any, alg sigAlg, digest []byte) ([]byte, error) {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		if alg.pss {
			// Salt as long as the hash: the usual choice (AWS and OpenSSL's default for KMS-like services).
			return rsa.SignPSS(rand.Reader, k, alg.hash, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(nil, k, alg.hash, digest)
	case *sm2.PrivateKey:
		// nil options: sign the digest as given (the caller's SM3(Z_A‖M)), do not hash again.
		return sm2.SignASN1(rand.Reader, k, digest, nil)
	case *ecdsa.PrivateKey:
		return ecdsa.SignASN1(rand.Reader, k, digest)
	case *secp256k1.PrivateKey:
		return k1ecdsa.Sign(k, digest).Serialize(), nil
	}
	return nil, errors.New("not an asymmetric private key")
}

// verifyDigest checks sig over digest; any malformed signature is simply not valid.
func verifyDigest(priv any, alg sigAlg, digest, sig []byte) bool {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		if alg.pss {
			return rsa.VerifyPSS(&k.PublicKey, alg.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
		}
		return rsa.VerifyPKCS1v15(&k.PublicKey, alg.hash, digest, sig) == nil
	case *sm2.PrivateKey:
		return sm2.VerifyASN1(&k.PublicKey, digest, sig)
	case *ecdsa.PrivateKey:
		return ecdsa.VerifyASN1(&k.PublicKey, digest, sig)
	case *secp256k1.PrivateKey:
		s, err := k1ecdsa.ParseDERSignature(sig)
		return err == nil && s.Verify(digest, k.PubKey())
	}
	return false
}

// maxAsymPlaintext is the longest plaintext alg can encrypt under spec: RSAES-OAEP with SHA-256 takes
// k − 2·32 − 2 bytes of a k-byte modulus (RFC 8017 §7.1.1); SM2 encryption has no bound of its own, so
// encrypt-data's 4096 bytes apply (UNCONFIRMED: the pages give no SM2 limit).
func maxAsymPlaintext(spec string) int {
	switch spec {
	case specRSA2048:
		return 256 - 66
	case specRSA3072:
		return 384 - 66
	case specRSA4096:
		return 512 - 66
	}
	return MaxPlaintext
}

// encryptionAllowed says whether alg encrypts with a key of spec.
func encryptionAllowed(spec, alg string) bool {
	switch alg {
	case algOAEPSHA256:
		return specFamily(spec) == "RSA"
	case algSM2Encrypt:
		return spec == specSM2
	}
	return false
}

// asymEncrypt encrypts with the public key: RSAES-OAEP (SHA-256, MGF1-SHA-256, empty label) or SM2
// encryption with the GM/T 0009 ASN.1 ciphertext (UNCONFIRMED: the pages do not say which SM2
// ciphertext encoding KMS uses; ASN.1 is the one its SM2 FAQ uses for signatures).
func asymEncrypt(priv any, plaintext []byte) ([]byte, error) {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return rsa.EncryptOAEP(sha256.New(), rand.Reader, &k.PublicKey, plaintext, nil)
	case *sm2.PrivateKey:
		return sm2.EncryptASN1(rand.Reader, &k.PublicKey, plaintext)
	}
	return nil, errors.New("key cannot encrypt")
}

// asymDecrypt reverses asymEncrypt; any failure is an invalid ciphertext. SM2 accepts the ASN.1 form
// and the plain C1C3C2 form (sm2.Decrypt tells them apart), so data encrypted outside with either works.
func asymDecrypt(priv any, ciphertext []byte) ([]byte, error) {
	var out []byte
	var err error
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		out, err = rsa.DecryptOAEP(sha256.New(), nil, k, ciphertext, nil)
	case *sm2.PrivateKey:
		out, err = sm2.Decrypt(k, ciphertext)
	default:
		err = errors.New("key cannot decrypt")
	}
	if err != nil || len(out) == 0 {
		return nil, ErrInvalidCiphertext
	}
	return out, nil
}
