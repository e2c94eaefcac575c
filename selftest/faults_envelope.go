package selftest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/identity"
)

// envelopeFaults break the rules of envelopeRules, one fault per rule.
func envelopeFaults(ids identity.Set, owner replayer, eve string) []Fault {
	const (
		decrypt = ops.DecryptDatakey
		wrap    = ops.EncryptDatakey
		reenc   = ops.ReEncrypt
		random  = ops.GenRandom
	)
	return []Fault{
		{Name: "decrypt-datakey-other-dek", Class: ClassShape, Operation: decrypt, Rule: "E-DK-ROUNDTRIP",
			Description: "decrypt-datakey returns another data key than the one wrapped (first byte changed, digest to match)",
			Wrap: onSuccess(decrypt, func(_ *http.Request, doc map[string]any) {
				if dek, ok := hexOf(doc["data_key"]); ok && len(dek) > 0 {
					dek[0] ^= 0xff
					doc["data_key"], doc["datakey_dgst"] = upperHex(dek), upperHex(sha256Sum(dek))
				}
			})},
		{Name: "decrypt-datakey-wrong-digest", Class: ClassShape, Operation: decrypt, Rule: "E-DK-DIGEST",
			Description: "decrypt-datakey's datakey_dgst is not the SHA-256 of the data key it returns",
			Proxy:       VerdictUnconfirmedDiffers,
			ProxyReason: "the digest algorithm is unconfirmed (SHA-256 on the pages, SM3 for SM4 keys in the definition): only that assertion differs",
			Wrap: onSuccess(decrypt, func(_ *http.Request, doc map[string]any) {
				if dek, ok := hexOf(doc["data_key"]); ok {
					doc["datakey_dgst"] = upperHex(sha256Sum(append(dek, 0)))
				}
			})},
		{Name: "decrypt-datakey-any-key", Class: ClassState, Operation: decrypt, Rule: "E-DK-OTHER-KEY",
			Description: "a data key refused under another key is opened with the key its ciphertext names (the key_id is not checked)",
			Wrap: retryEdited(decrypt, func(req map[string]any) bool {
				// The mock's envelope names its key in bytes 1..37 (docs/kms.md).
				env, ok := hexOf(req["cipher_text"])
				if !ok || len(env) < 37 || req["key_id"] == string(env[1:37]) {
					return false
				}
				req["key_id"] = string(env[1:37])
				return true
			})},
		{Name: "decrypt-datakey-ignores-tamper", Class: ClassState, Operation: decrypt, Rule: "E-DK-TAMPERED",
			Description: "a data key whose last bit was flipped still opens (the fault restores the bit: the tag is not checked)",
			Wrap: retryEdited(decrypt, func(req map[string]any) bool {
				env, ok := hexOf(req["cipher_text"])
				if !ok || len(env) == 0 {
					return false
				}
				env[len(env)-1] ^= 1
				req["cipher_text"] = upperHex(env)
				return true
			})},
		{Name: "decrypt-datakey-ignores-length", Class: ClassState, Operation: decrypt, Rule: "E-DK-LENGTH",
			Description: "decrypt-datakey ignores datakey_cipher_length (a refused call is retried with the data key's usual lengths)",
			Proxy:       VerdictUnconfirmedDiffers,
			ProxyReason: "that a wrong datakey_cipher_length is refused is unconfirmed (the pages only describe the field): only that assertion differs",
			Wrap:        retryLengths(decrypt, "datakey_cipher_length")},
		{Name: "decrypt-datakey-ignores-aad", Class: ClassState, Operation: decrypt, Rule: "E-DK-AAD",
			Description: "additional_authenticated_data is dropped from every data key request: nothing is bound to it",
			Wrap: chain(dropFields(ops.CreateDatakey, "additional_authenticated_data"),
				dropFields(wrap, "additional_authenticated_data"), dropFields(decrypt, "additional_authenticated_data"),
				dropFields(reenc, "source_additional_authenticated_data", "destination_additional_authenticated_data"))},
		{Name: "decrypt-datakey-disabled-key", Class: ClassState, Operation: decrypt, Rule: "E-DK-STATE",
			Description: "a disabled key unwraps a data key (the fault enables the key for the call and disables it again)",
			Wrap:        unwrapWhileDisabled(decrypt)},
		{Name: "decrypt-datakey-lost-after-enable", Class: ClassState, Operation: decrypt, Rule: "E-DK-REOPEN",
			Description: "once a key is enabled again its old data keys no longer open (as if its material were replaced)",
			Wrap:        lostAfterEnable(decrypt)},
		{Name: "decrypt-datakey-grant-allows-create", Class: ClassAccess, Operation: decrypt, Rule: "E-DK-GRANT",
			Description: "a grantee holding decrypt-datakey on a key may create data keys with it (refused create-datakey replayed as the grant's issuer)",
			Wrap:        grantWidens(decrypt, ids)},
		{Name: "decrypt-datakey-other-project", Class: ClassAccess, Operation: decrypt, Rule: "E-DK-PROJECT",
			Description: "a decrypt-datakey refused to eve (another project) is replayed as alice in alice's project",
			Wrap:        owner.onRefusal(decrypt, eve)},
		{Name: "without-plaintext-unopenable", Class: ClassShape, Operation: ops.CreateDatakeyWithoutPlaintext, Rule: "E-NOPLAIN-OPENS",
			Description: "create-datakey-without-plaintext answers a cipher_text that is cut short: it opens under no key",
			Wrap: onSuccess(ops.CreateDatakeyWithoutPlaintext, func(_ *http.Request, doc map[string]any) {
				if s, ok := doc["cipher_text"].(string); ok && len(s) > 16 {
					doc["cipher_text"] = s[:len(s)-16]
				}
			})},
		{Name: "encrypt-datakey-wraps-other-key", Class: ClassState, Operation: wrap, Rule: "E-WRAP-OPENS",
			Description: "encrypt-datakey wraps another data key than the caller's (first byte changed)",
			Wrap: editRequest(wrap, func(req map[string]any) {
				plain, ok := hexOf(req["plain_text"])
				n, err := strconv.Atoi(stringOf(req["datakey_plain_length"]))
				if !ok || err != nil || n < 1 || len(plain) != n+sha256.Size {
					return
				}
				plain[0] ^= 0xff
				req["plain_text"] = hex.EncodeToString(append(plain[:n:n], sha256Sum(plain[:n])...))
			})},
		{Name: "encrypt-datakey-ignores-digest", Class: ClassState, Operation: wrap, Rule: "E-WRAP-DIGEST",
			Description: "encrypt-datakey does not check the digest after the data key (a refused call is retried with the right one)",
			Proxy:       VerdictUnconfirmedDiffers,
			ProxyReason: "that a wrong digest is refused is unconfirmed (the pages only describe the layout): only that assertion differs",
			Wrap: retryEdited(wrap, func(req map[string]any) bool {
				plain, ok := hexOf(req["plain_text"])
				n, err := strconv.Atoi(stringOf(req["datakey_plain_length"]))
				if !ok || err != nil || n < 1 || len(plain) != n+sha256.Size {
					return false
				}
				req["plain_text"] = hex.EncodeToString(append(plain[:n:n], sha256Sum(plain[:n])...))
				return true
			})},
		{Name: "re-encrypt-opens-under-source", Class: ClassState, Operation: reenc, Rule: "E-REENC-DEST",
			Description: "re-encrypt answers the source ciphertext unchanged: it opens under the source key, not the destination",
			Wrap: on(reenc, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				src := requestField(r, "cipher_text") // before the mock reads the body
				a := capture(next, r)
				if a.status == http.StatusOK {
					a.edit(func(doc map[string]any) { doc["cipher_text"] = src })
				}
				a.write(w)
			})},
		{Name: "re-encrypt-ignores-destination-aad", Class: ClassState, Operation: reenc, Rule: "E-REENC-AAD",
			Description: "re-encrypt drops destination_additional_authenticated_data: the output opens without it",
			Wrap:        dropFields(reenc, "destination_additional_authenticated_data")},
		{Name: "gen-random-half-length", Class: ClassShape, Operation: random, Rule: "E-RANDOM-LENGTH",
			Description: "gen-random answers half the asked number of bits",
			Wrap: onSuccess(random, func(_ *http.Request, doc map[string]any) {
				if s, ok := doc["random_data"].(string); ok && len(s) >= 4 {
					doc["random_data"] = s[:len(s)/2]
				}
			})},
		{Name: "gen-random-constant", Class: ClassShape, Operation: random, Rule: "E-RANDOM-FRESH",
			Description: "gen-random answers zero bytes of the right length every time",
			Wrap: onSuccess(random, func(_ *http.Request, doc map[string]any) {
				if s, ok := doc["random_data"].(string); ok {
					doc["random_data"] = strings.Repeat("0", len(s))
				}
			})},
	}
}

func hexOf(v any) ([]byte, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

func stringOf(v any) string { s, _ := v.(string); return s }

func upperHex(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// editRequest changes the JSON body of op's requests before the mock sees them.
func editRequest(op string, edit func(req map[string]any)) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		req := decodeObject(requestBody(r))
		if req == nil {
			next.ServeHTTP(w, r)
			return
		}
		edit(req)
		body, _ := json.Marshal(req)
		side(next, r, r.Method, r.URL.Path, body).write(w)
	})
}

// dropFields removes members from op's request bodies.
func dropFields(op string, fields ...string) middleware {
	return editRequest(op, func(req map[string]any) {
		for _, f := range fields {
			delete(req, f)
		}
	})
}

// retryEdited lets the mock answer op's requests; a 4xx is retried once (as the same caller) with the
// body edit makes, when it makes one, and the retry's 2xx replaces the refusal.
func retryEdited(op string, edit func(req map[string]any) bool) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		body := requestBody(r)
		a := capture(next, r)
		if a.status >= 400 && a.status < 500 {
			if req := decodeObject(body); req != nil && edit(req) {
				edited, _ := json.Marshal(req)
				if retry := side(next, r, r.Method, r.URL.Path, edited); retry.status/100 == 2 {
					a = retry
				}
			}
		}
		a.write(w)
	})
}

// retryLengths retries op's refused requests with field set to the usual data key lengths.
func retryLengths(op, field string) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		body := requestBody(r)
		a := capture(next, r)
		req := decodeObject(body)
		for _, n := range []string{"16", "32", "64", "128"} {
			if a.status < 400 || a.status >= 500 || req == nil {
				break
			}
			req[field] = n
			edited, _ := json.Marshal(req)
			if retry := side(next, r, r.Method, r.URL.Path, edited); retry.status/100 == 2 {
				a = retry
			}
		}
		a.write(w)
	})
}

// unwrapWhileDisabled answers op's calls on a disabled key (KMS.0209) by enabling the key, repeating the
// call and disabling the key again: the key's state is as before, the refusal is gone.
func unwrapWhileDisabled(op string) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		body := requestBody(r)
		keyID := requestField(r, "key_id")
		a := capture(next, r)
		if a.errorCode() == "KMS.0209" {
			key, _ := json.Marshal(map[string]string{"key_id": keyID})
			if side(next, r, http.MethodPost, kmsPath(r, ops.EnableKey), key).status == http.StatusOK {
				a = side(next, r, r.Method, r.URL.Path, body)
				side(next, r, http.MethodPost, kmsPath(r, ops.DisableKey), key)
			}
		}
		a.write(w)
	})
}

// lostAfterEnable refuses op (400 KMS.0308, as for an invalid ciphertext) on every key that enable-key
// enabled during the run.
func lostAfterEnable(op string) middleware {
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		enabled := map[string]bool{}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch operationOf(r) {
			case ops.EnableKey:
				key := requestField(r, "key_id")
				a := capture(next, r)
				if a.status == http.StatusOK {
					mu.Lock()
					enabled[key] = true
					mu.Unlock()
				}
				a.write(w)
				return
			case op:
				mu.Lock()
				lost := enabled[requestField(r, "key_id")]
				mu.Unlock()
				if lost {
					jsonAnswer(http.StatusBadRequest, map[string]any{"error": map[string]string{
						"error_code": "KMS.0308", "error_msg": "Invalid parameter."}}).write(w)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
