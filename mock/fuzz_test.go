package mock_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/openapi"
)

// The fuzz targets drive the mock's whole request path (body limit, routing, credentials, project,
// validation, handler) with arbitrary input. Invariants: no panic and no 5xx for client input, every
// error in its service's documented envelope, and every answer of a spec operation valid against the
// spec. Their seed corpora are in testdata/fuzz/<FuzzName>/ (`go test` replays them); `make fuzz` runs
// them.

const (
	fuzzKeyID   = "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
	fuzzGrantID = "7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d"
	// fuzzMaxBody is small, so that fuzzing reaches the 413 path too.
	fuzzMaxBody = 4096
)

// fuzzEnv is one mock per fuzz process, with a key, a grant (to bob) and a secret of alice's.
func fuzzEnv(f *testing.F) *env {
	f.Helper()
	value := "fuzz-value"
	return newEnv(f, func(o *mock.Options) {
		o.MaxBodyBytes = fuzzMaxBody
		o.Seed = &mock.Seed{
			Keys: []mock.SeedKey{{Owner: "alice", Alias: "fuzz-key", ID: fuzzKeyID},
				// Asymmetric keys for sign, verify, get-publickey and asymmetric encrypt-data/decrypt-data.
				{Owner: "alice", Alias: "fuzz-ec", ID: "1d0466b0-e727-4d9c-b35d-f84bb474a37f", Spec: "EC_P256", Usage: "SIGN_VERIFY"},
				{Owner: "alice", Alias: "fuzz-sm2", ID: "2d0466b0-e727-4d9c-b35d-f84bb474a37f", Spec: "SM2", Usage: "ENCRYPT_DECRYPT"},
				{Owner: "alice", Alias: "fuzz-mac", ID: "3d0466b0-e727-4d9c-b35d-f84bb474a37f", Spec: "HMAC_256", Usage: "GENERATE_VERIFY_MAC"}},
			Grants:  []mock.SeedGrant{{Key: "fuzz-key", Grantee: "bob", Operations: []string{"describe-key", "retire-grant"}, ID: fuzzGrantID}},
			Secrets: []mock.SeedSecret{{Owner: "alice", Name: "fuzz-secret", Value: &value}},
		}
	})
}

// wireRequest builds the request net/http's server would hand the mock for this input, or nil when the
// server would refuse it itself (a malformed request line or header).
func wireRequest(method, target string, header [][2]string, body []byte) *http.Request {
	for _, h := range header {
		if !validHeaderValue(h[1]) {
			return nil
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: dew.test\r\nContent-Length: %d\r\n", method, target, len(body))
	for _, h := range header {
		if h[1] != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
		}
	}
	b.WriteString("\r\n")
	b.Write(body)
	req, err := http.ReadRequest(bufio.NewReader(&b))
	if err != nil {
		return nil
	}
	return req
}

// validHeaderValue is net/http's rule (httpguts.ValidHeaderFieldValue): no control bytes but tab.
func validHeaderValue(v string) bool {
	for i := range len(v) {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

var (
	kmsCode  = regexp.MustCompile(`^KMS\.\d{4}$`)
	csmsCode = regexp.MustCompile(`^CSMS\.\d{4}$`)
	gwCode   = regexp.MustCompile(`^APIGW\.\d{4}$`)
)

// serveFuzz serves req and checks the invariants; svc is "kms" or "csms".
func serveFuzz(t *testing.T, e *env, svc string, req *http.Request) {
	t.Helper()
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	body := w.Body.Bytes()
	require.Less(t, w.Code, 500, "client input must not cause a 5xx: %s %s -> %s", req.Method, req.URL, body)
	id := w.Header().Get("X-Request-Id")
	require.NotEmpty(t, id, "every response has X-Request-Id")
	if w.Code >= 400 {
		requireErrorShape(t, svc, id, body)
	}
	e.contract.check(t, req, w.Code, w.Header(), body)
}

// requireErrorShape checks the documented envelopes: KMS nested, CSMS flat, gateway flat with the
// request id.
func requireErrorShape(t *testing.T, svc, requestID string, body []byte) {
	t.Helper()
	var top map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &top), "error body is a JSON object: %s", body)
	fields := func(raw map[string]json.RawMessage) map[string]string {
		out := map[string]string{}
		for k, v := range raw {
			var s string
			require.NoError(t, json.Unmarshal(v, &s), "%s is a string in %s", k, body)
			out[k] = s
		}
		return out
	}
	if inner, nested := top["error"]; nested {
		require.Equal(t, "kms", svc, "only KMS nests its errors: %s", body)
		require.Len(t, top, 1, "%s", body)
		var raw map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(inner, &raw), "%s", body)
		f := fields(raw)
		require.Len(t, f, 2, "%s", body)
		require.Regexp(t, kmsCode, f["error_code"])
		require.NotEmpty(t, f["error_msg"])
		return
	}
	f := fields(top)
	require.NotEmpty(t, f["error_msg"], "%s", body)
	switch {
	case strings.HasPrefix(f["error_code"], "APIGW."):
		require.Regexp(t, gwCode, f["error_code"])
		require.Len(t, f, 3, "%s", body)
		require.Equal(t, requestID, f["request_id"], "gateway errors carry the request id")
	default:
		require.Equal(t, "csms", svc, "a flat service error on %s: %s", svc, body)
		require.Regexp(t, csmsCode, f["error_code"])
		require.Len(t, f, 2, "%s", body)
	}
}

// fuzzTarget is the request target of the operation slug names, with the raw text of vars (unescaped:
// the fuzzer reaches the router with any path text) in its placeholders. ok is false when slug is not
// an operation of svc: the corpus names operations by slug, so that adding one to the spec does not
// re-target the committed seeds.
func fuzzTarget(svc, slug string, vars map[string]string) (op openapi.Operation, target string, ok bool) {
	op, ok = openapi.Lookup(slug)
	if !ok || op.Slug != slug || op.Service != svc {
		return op, "", false
	}
	var pairs []string
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		pairs = append(pairs, "{"+name+"}", vars[name])
	}
	// One pass: a value that holds another placeholder's text is not substituted again.
	return op, strings.NewReplacer(pairs...).Replace(op.Path), true
}

// FuzzKMSRequest: op names the operation by slug; project and suffix are raw path text around it.
func FuzzKMSRequest(f *testing.F) {
	e := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, op, project, suffix string, body []byte, contentType, token, authorization, sdkDate string) {
		o, target, ok := fuzzTarget("kms", op, map[string]string{"project_id": project})
		if !ok {
			t.Skipf("%q is not a KMS operation", op)
		}
		req := wireRequest(o.Method, target+suffix, [][2]string{
			{"Content-Type", contentType}, {"X-Auth-Token", token}, {"Authorization", authorization}, {"X-Sdk-Date", sdkDate},
		}, body)
		if req == nil {
			t.Skip("net/http refuses this request before the mock sees it")
		}
		serveFuzz(t, e, "kms", req)
	})
}

// FuzzCSMSRequest: op names the operation by slug; project, name, version (a version id or a stage name)
// and query are raw request-target text.
func FuzzCSMSRequest(f *testing.F) {
	e := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, op, project, name, version, query string, body []byte, contentType, token, authorization string) {
		// version fills {version_id} and {stage_name} alike: no path has both, and the corpus keeps its arity.
		o, target, ok := fuzzTarget("csms", op, map[string]string{"project_id": project, "secret_name": name,
			"version_id": version, "stage_name": version})
		if !ok {
			t.Skipf("%q is not a CSMS operation", op)
		}
		if query != "" {
			target += "?" + query
		}
		req := wireRequest(o.Method, target, [][2]string{
			{"Content-Type", contentType}, {"X-Auth-Token", token}, {"Authorization", authorization},
		}, body)
		if req == nil {
			t.Skip("net/http refuses this request before the mock sees it")
		}
		serveFuzz(t, e, "csms", req)
	})
}

// FuzzParseSeed: the seed loader never panics, and the control API's seed endpoint answers any
// document with 200 or a 400 {"error": ...}, never a 5xx; a document ParseSeed refuses is a 400.
func FuzzParseSeed(f *testing.F) {
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, parseErr := mock.ParseSeed(data)
		req := httptest.NewRequest(http.MethodPost, "/_dewconform/seed", bytes.NewReader(data))
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, req)
		require.Contains(t, []int{200, 400, 413}, w.Code, "%s", w.Body)
		if parseErr != nil {
			require.Equal(t, 400, w.Code, "a document ParseSeed refuses is refused")
		}
		var v map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), "%s", w.Body)
	})
}
