package bench_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkAsymmetricKeyPair is the cost of an asymmetric key's pair: create-key, then get-publickey,
// whose first call generates the pair (the mock makes pairs on first use, not at create-key). RSA-4096
// is the one that matters: about a second per key on the development VM.
func BenchmarkAsymmetricKeyPair(b *testing.B) {
	for _, spec := range []string{"RSA_2048", "RSA_3072", "RSA_4096", "EC_P256", "EC_P384", "SECP256K1", "SM2"} {
		b.Run(spec, func(b *testing.B) {
			srv := newMock(b, false, 0, 0)
			serve := func(op, body string) map[string]any {
				r := kmsRequest(op, body)
				req := httptest.NewRequest(r.Method, r.Path, strings.NewReader(r.Body))
				for k, v := range r.Header {
					req.Header.Set(k, v)
				}
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", op, w.Code, w.Body)
				}
				var doc map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
					b.Fatal(err)
				}
				return doc
			}
			i := 0
			for b.Loop() {
				i++
				created := serve("create-key", fmt.Sprintf(`{"key_alias":"bench-%s-%d","key_spec":"%s","key_usage":"SIGN_VERIFY"}`, spec, i, spec))
				id, _ := created["key_info"].(map[string]any)["key_id"].(string)
				serve("get-publickey", `{"key_id":"`+id+`"}`)
			}
		})
	}
}
