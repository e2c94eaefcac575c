package steps

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

// The direct route of an operation must be the one the routers find, and a request off its template
// or method must go through the routers as before.
func TestDirectRouteMatchesTheRouters(t *testing.T) {
	v, err := NewValidator(context.Background(), map[string][]byte{"kms": openapi.KMS(), "csms": openapi.CSMS()})
	require.NoError(t, err)
	vars := map[string]string{"project_id": "0123456789abcdef0123456789abcdef", "secret_name": "db%2Fx", "version_id": "v1"}
	for _, op := range openapi.Operations() {
		require.Contains(t, v.direct, op.ID, "no other path overlaps %s", op.Path)
		for _, path := range []string{op.Fill(vars), strings.ReplaceAll(op.Path, "{project_id}", "p")} {
			req := httptest.NewRequest(op.Method, path, nil)
			got, _ := v.route(req, op.ID)
			var want string
			for _, s := range v.services {
				if r, _, err := s.router.FindRoute(req); err == nil {
					want = r.Operation.OperationID
					break
				}
			}
			require.NotNil(t, got, "%s %s", op.Method, path)
			assert.Equal(t, want, got.Operation.OperationID, "%s %s", op.Method, path)
		}
	}
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1.0/p/kms/describe-key"},   // wrong method: judged against the intended op
		{http.MethodPost, "/v1.0/p/kms/describe-key/"}, // trailing slash: no route, intended op
		{http.MethodPost, "/v1.0//kms/describe-key"},   // empty parameter
		{http.MethodPost, "/v1.0/p/kms/list-keys"},     // another operation's path: that operation
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		assert.False(t, tc.method == http.MethodPost && matchesTemplate(v.direct["ListKeyDetail"], req.URL.EscapedPath()), tc.path)
	}
	got, _ := v.route(httptest.NewRequest(http.MethodPost, "/v1.0/p/kms/list-keys", nil), "ListKeyDetail")
	require.NotNil(t, got)
	assert.Equal(t, "ListKeys", got.Operation.OperationID)
}

func TestRecordBodyTruncatesLargeBodies(t *testing.T) {
	small := []byte(`{"secret_string":"s3cr3t"}`)
	assert.Equal(t, `{"secret_string":"REDACTED"}`, recordBody(small))
	large := []byte(`{"padding":"` + strings.Repeat("x", 2<<20) + `"}`)
	rec := recordBody(large)
	assert.Less(t, len(rec), maxRecorded)
	assert.True(t, strings.HasPrefix(rec, `{"padding":"xxx`))
	assert.Contains(t, rec, "2097166 bytes in all")
	// A secret that straddles the cut is redacted before the cut.
	straddle := []byte(`{"padding":"` + strings.Repeat("x", recordedPrefix-40) + `","secret_string":"` + strings.Repeat("s", 2<<20) + `"}`)
	rec = recordBody(straddle)
	assert.NotContains(t, rec, "sss")
	assert.Contains(t, rec, `"secret_string":"REDACTED"`)
}
