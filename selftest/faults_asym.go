package selftest

// Faults of asymmetric keys (issue #15), one per rule of asymRules: signatures that do not verify, a
// wrong hash, another key's public key, usage, algorithm and state checks that let a call through.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"

	"github.com/dewconform/dewconform/gen/ops"
)

func asymFaults() []Fault {
	return []Fault{
		{Name: "sign-signature-corrupted", Class: ClassShape, Operation: ops.Sign, Rule: "A-SIGN-OUTSIDE",
			Description: "sign answers 200 with one byte of the signature changed: it no longer verifies with the public key",
			Wrap: onSuccess(ops.Sign, func(_ *http.Request, doc map[string]any) {
				if sig, err := base64.StdEncoding.DecodeString(str(doc["signature"])); err == nil && len(sig) > 0 {
					sig[len(sig)/2] ^= 0x10
					doc["signature"] = base64.StdEncoding.EncodeToString(sig)
				}
			})},
		{Name: "sign-raw-wrong-hash", Class: ClassShape, Operation: ops.Sign, Rule: "A-RAW-HASHED",
			Description: "sign hashes a RAW message with SHA-384 where the algorithm says SHA-256: a signature over the wrong hash",
			Wrap: editRequest(ops.Sign, func(doc map[string]any) {
				if alg := str(doc["signing_algorithm"]); str(doc["message_type"]) == "RAW" && strings.HasSuffix(alg, "_SHA_256") {
					doc["signing_algorithm"] = strings.TrimSuffix(alg, "_SHA_256") + "_SHA_384"
				}
			})},
		{Name: "sign-short-digest-hashed", Class: ClassState, Operation: ops.Sign, Rule: "A-DIGEST-LENGTH",
			Description: "sign takes a DIGEST of the wrong length as a RAW message and signs its hash instead of refusing it",
			Wrap: editRequest(ops.Sign, func(doc map[string]any) {
				msg, err := base64.StdEncoding.DecodeString(str(doc["message"]))
				if err == nil && str(doc["message_type"]) != "RAW" && len(msg) != digestSize(str(doc["signing_algorithm"])) {
					doc["message_type"] = "RAW"
				}
			})},
		{Name: "sm2-signs-another-digest", Class: ClassShape, Operation: ops.Sign, Rule: "A-SM2-DIGEST",
			Description: "SM2 signs a digest other than the caller's SM3(Z_A‖M) (one bit changed): a signature over the wrong hash",
			Wrap: editRequest(ops.Sign, func(doc map[string]any) {
				if msg, err := base64.StdEncoding.DecodeString(str(doc["message"])); err == nil && len(msg) > 0 &&
					str(doc["signing_algorithm"]) == "SM2DSA_SM3" && str(doc["message_type"]) != "RAW" {
					msg[0] ^= 0x01
					doc["message"] = base64.StdEncoding.EncodeToString(msg)
				}
			})},
		{Name: "sm2-signs-raw", Class: ClassState, Operation: ops.Sign, Rule: "A-SM2-RAW",
			Description: "SM2 answers a RAW message with 200 and a signature instead of refusing it",
			Wrap: refusalAsSignature(func(req map[string]any, _ *answer) bool {
				return str(req["signing_algorithm"]) == "SM2DSA_SM3" && str(req["message_type"]) == "RAW"
			})},
		{Name: "ecdsa-signs-with-rsa-key", Class: ClassState, Operation: ops.Sign, Rule: "A-ALG-SPEC",
			Description: "an ECDSA signing request refused by the key is answered 200 with a signature (algorithm and spec unchecked)",
			Wrap: refusalAsSignature(func(req map[string]any, _ *answer) bool {
				return strings.HasPrefix(str(req["signing_algorithm"]), "ECDSA")
			})},
		{Name: "encrypt-key-signs", Class: ClassState, Operation: ops.Sign, Rule: "A-USAGE-ENCRYPT",
			Description: "an ENCRYPT_DECRYPT key signs: its usage refusal (KMS.0334) is answered 200 with a signature",
			Wrap:        refusalAsSignature(func(_ map[string]any, a *answer) bool { return a.errorCode() == "KMS.0334" })},
		{Name: "disabled-key-signs", Class: ClassState, Operation: ops.Sign, Rule: "A-STATE",
			Description: "a disabled or pending-deletion key signs: KMS.0209/KMS.0210 are answered 200 with a signature",
			Wrap: refusalAsSignature(func(_ map[string]any, a *answer) bool {
				return a.errorCode() == "KMS.0209" || a.errorCode() == "KMS.0210"
			})},
		{Name: "verify-accepts-changed", Class: ClassShape, Operation: ops.Verify, Rule: "A-VERIFY-CHANGED",
			Description: "verify answers signature_valid \"true\" for every signature, over a changed message or changed itself",
			Wrap:        onSuccess(ops.Verify, func(_ *http.Request, doc map[string]any) { doc["signature_valid"] = "true" })},
		{Name: "publickey-of-another-key", Class: ClassShape, Operation: ops.GetPublickey, Rule: "A-PUBLICKEY-MATCH",
			Description: "get-publickey answers a public key of the right type that does not match the key (a fresh pair)",
			Wrap: onSuccess(ops.GetPublickey, func(_ *http.Request, doc map[string]any) {
				if other := otherPublicKey(str(doc["public_key"])); other != "" {
					doc["public_key"] = other
				}
			})},
		{Name: "sign-verify-key-encrypts", Class: ClassState, Operation: ops.EncryptData, Rule: "A-USAGE-SIGN",
			Description: "a SIGN_VERIFY key encrypts: its usage refusal (KMS.0335) is answered 200 with a cipher text",
			Wrap:        refusalAsCipher(func(_ map[string]any, a *answer) bool { return a.errorCode() == "KMS.0335" })},
		{Name: "oaep-over-limit-accepted", Class: ClassState, Operation: ops.EncryptData, Rule: "A-RSA-LIMIT",
			Description: "RSAES_OAEP_SHA_256 plaintext over the key's limit is answered 200 with a cipher text",
			Wrap: refusalAsCipher(func(req map[string]any, _ *answer) bool {
				return str(req["encryption_algorithm"]) == "RSAES_OAEP_SHA_256" && len(str(req["plain_text"])) > 190
			})},
		{Name: "mac-of-another-message", Class: ClassShape, Operation: ops.GenerateMac, Rule: "M-MAC-CORRECT",
			Description: "generate-mac answers the HMAC of a different message (one bit changed)",
			Proxy:       VerdictMockOnly, ProxyReason: macProxyReason,
			Wrap: editRequest(ops.GenerateMac, func(doc map[string]any) {
				if msg, err := base64.StdEncoding.DecodeString(str(doc["message"])); err == nil && len(msg) > 0 {
					msg[0] ^= 0x01
					doc["message"] = base64.StdEncoding.EncodeToString(msg)
				}
			})},
		{Name: "sign-key-generates-mac", Class: ClassState, Operation: ops.GenerateMac, Rule: "M-USAGE",
			Description: "a SIGN_VERIFY key's refused generate-mac is answered 200 with a MAC",
			Wrap: refusalAs(ops.GenerateMac, "mac", func(req map[string]any, _ *answer) bool {
				return str(req["mac_algorithm"]) == "HMAC_SHA_256"
			})},
		{Name: "verify-mac-accepts-changed", Class: ClassShape, Operation: ops.VerifyMac, Rule: "M-VERIFY-CHANGED",
			Description: "verify-mac answers mac_valid true for every MAC",
			Proxy:       VerdictMockOnly, ProxyReason: macProxyReason,
			Wrap: onSuccess(ops.VerifyMac, func(_ *http.Request, doc map[string]any) { doc["mac_valid"] = true })},
		{Name: "mac-key-signs", Class: ClassState, Operation: ops.Sign, Rule: "M-MAC-ONLY",
			Description: "a MAC key signs: its refused sign is answered 200 with a signature",
			Proxy:       VerdictMockOnly, ProxyReason: macProxyReason,
			Wrap: macKeySigns()},
		{Name: "ec-pair-foreign-public-key", Class: ClassShape, Operation: ops.CreateEcDatakeyPair, Rule: "P-PAIR-MATCH",
			Description: "create-ec-datakey-pair answers the public key of another pair",
			Wrap: onSuccess(ops.CreateEcDatakeyPair, func(_ *http.Request, doc map[string]any) {
				if k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err == nil {
					if der, err := x509.MarshalPKIXPublicKey(&k.PublicKey); err == nil {
						doc["public_key"] = base64.StdEncoding.EncodeToString(der)
					}
				}
			})},
		{Name: "rsa-pair-wrapped-garbled", Class: ClassShape, Operation: ops.CreateRsaDatakeyPair, Rule: "P-PAIR-WRAPPED",
			Description: "create-rsa-datakey-pair answers a wrapped private key with one byte changed: it no longer opens",
			Wrap: onSuccess(ops.CreateRsaDatakeyPair, func(_ *http.Request, doc map[string]any) {
				if b, err := base64.StdEncoding.DecodeString(str(doc["private_key_cipher_text"])); err == nil && len(b) > 0 {
					b[len(b)/2] ^= 0x01
					doc["private_key_cipher_text"] = base64.StdEncoding.EncodeToString(b)
				}
			})},
		{Name: "rsa-pair-plaintext-always", Class: ClassShape, Operation: ops.CreateRsaDatakeyPair, Rule: "P-PLAIN-OPTIONAL",
			Description: "create-rsa-datakey-pair answers a plaintext private key although with_plain_text is false",
			Wrap: onSuccess(ops.CreateRsaDatakeyPair, func(_ *http.Request, doc map[string]any) {
				if _, ok := doc["private_key_plain_text"]; !ok {
					doc["private_key_plain_text"] = str(doc["private_key_cipher_text"])
				}
			})},
		{Name: "shared-secret-garbled", Class: ClassShape, Operation: ops.DeriveSharedSecret, Rule: "D-ECDH",
			Description: "derive-shared-secret answers a shared secret with one byte changed",
			Proxy:       VerdictMockOnly, ProxyReason: "the scenarios need a KEY_AGREEMENT key, which no documented API creates: only the mock's control API seeds one (@mock-only)",
			Wrap: onSuccess(ops.DeriveSharedSecret, func(_ *http.Request, doc map[string]any) {
				if b, err := base64.StdEncoding.DecodeString(str(doc["shared_secret"])); err == nil && len(b) > 0 {
					b[0] ^= 0x01
					doc["shared_secret"] = base64.StdEncoding.EncodeToString(b)
				}
			})},
		{Name: "asym-decrypt-wrong-plaintext", Class: ClassShape, Operation: ops.DecryptData, Rule: "A-ASYM-DECRYPT",
			Description: "decrypt-data with an asymmetric algorithm answers a plain_text other than what was encrypted",
			Wrap: rewriteSeeing(ops.DecryptData, func(req map[string]any, a *answer) {
				if alg := str(req["encryption_algorithm"]); a.status == http.StatusOK && alg != "" && alg != "SYMMETRIC_DEFAULT" {
					a.edit(func(doc map[string]any) {
						p := str(doc["plain_text"]) + "!"
						doc["plain_text"], doc["plain_text_base64"] = p, base64.StdEncoding.EncodeToString([]byte(p))
					})
				}
			})},
	}
}

// macProxyReason: the scenarios that reach these faults need a MAC key, which only the mock's seed makes.
const macProxyReason = "the scenarios need a GENERATE_VERIFY_MAC key, which no documented API creates: only the mock's control API seeds one (@mock-only)"

// macKeySigns answers sign's refusals with 200 and a random signature when the key is a MAC key (the
// fault asks describe-key, as the caller).
func macKeySigns() middleware {
	return on(ops.Sign, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		body := requestBody(r)
		a := capture(next, r)
		if a.status == http.StatusBadRequest {
			id := str(decodeObject(body)["key_id"])
			q, _ := json.Marshal(map[string]string{"key_id": id})
			d := side(next, r, http.MethodPost, kmsPath(r, ops.DescribeKey), q)
			if str(member(d.object(), "key_info")["key_usage"]) == "GENERATE_VERIFY_MAC" {
				sig := make([]byte, 72)
				_, _ = rand.Read(sig)
				a = jsonAnswer(http.StatusOK, map[string]any{"key_id": id, "signature": base64.StdEncoding.EncodeToString(sig)})
			}
		}
		a.write(w)
	})
}

func str(v any) string { s, _ := v.(string); return s }

// digestSize is the digest length in bytes of a signing algorithm (SM3 and the SHA_256 ones: 32).
func digestSize(alg string) int {
	switch {
	case strings.HasSuffix(alg, "_384"):
		return 48
	case strings.HasSuffix(alg, "_512"):
		return 64
	}
	return 32
}

// refusalAsSignature answers sign's refusals that match with 200 and 256 random bytes as the signature:
// the shape of success where the service must refuse.
func refusalAsSignature(match func(req map[string]any, a *answer) bool) middleware {
	return refusalAs(ops.Sign, "signature", match)
}

// refusalAsCipher does the same for encrypt-data, with a random cipher_text.
func refusalAsCipher(match func(req map[string]any, a *answer) bool) middleware {
	return refusalAs(ops.EncryptData, "cipher_text", match)
}

func refusalAs(op, field string, match func(req map[string]any, a *answer) bool) middleware {
	return rewriteSeeing(op, func(req map[string]any, a *answer) {
		if a.status < http.StatusBadRequest || a.status >= http.StatusInternalServerError || a.status == http.StatusUnauthorized || !match(req, a) {
			return
		}
		b := make([]byte, 256)
		_, _ = rand.Read(b)
		*a = *jsonAnswer(http.StatusOK, map[string]any{"key_id": str(req["key_id"]), field: base64.StdEncoding.EncodeToString(b)})
	})
}

// rewriteSeeing is rewrite with the request's JSON body, read before the mock consumes it.
func rewriteSeeing(op string, fn func(req map[string]any, a *answer)) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		req := decodeObject(requestBody(r))
		a := capture(next, r)
		fn(req, a)
		a.write(w)
	})
}

// otherPublicKey returns the PEM public key of a fresh pair of the same type as the given one (RSA of the
// same size, ECDSA on the same NIST curve), or "" for a type it does not make (SM2, secp256k1).
func otherPublicKey(s string) string {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return ""
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return ""
	}
	var other any
	switch p := pub.(type) {
	case *rsa.PublicKey:
		k, err := rsa.GenerateKey(rand.Reader, p.N.BitLen())
		if err != nil {
			return ""
		}
		other = &k.PublicKey
	case *ecdsa.PublicKey:
		curve := elliptic.P256()
		if p.Curve.Params().BitSize == 384 {
			curve = elliptic.P384()
		}
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return ""
		}
		other = &k.PublicKey
	default:
		return ""
	}
	der, err := x509.MarshalPKIXPublicKey(other)
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "\n", "\r\n")
}
