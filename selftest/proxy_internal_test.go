package selftest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProxyHidesTheMock checks the proxy mode's target: the mock's control API and health endpoint (the
// runner's test for "this is a dewconform mock") answer 404 as the gateway answers an unknown path, while
// the API goes through; in mock mode the health endpoint answers.
func TestProxyHidesTheMock(t *testing.T) {
	get := func(t *testing.T, url, token string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("X-Auth-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	const secrets = "/v1/0123456789abcdef0123456789abcdef/secrets"
	for _, m := range Modes() {
		t.Run(string(m), func(t *testing.T) {
			endpoint, closeAll, err := target(nil, m)
			require.NoError(t, err)
			defer closeAll()
			status, body := get(t, endpoint+controlPrefix+"/health", "")
			if m == ModeMock {
				assert.Equal(t, http.StatusOK, status, body)
				assert.Contains(t, body, "dewconform-mock")
			} else {
				assert.Equal(t, http.StatusNotFound, status, body)
				assert.NotContains(t, body, "dewconform")
				var doc map[string]any
				require.NoError(t, json.Unmarshal([]byte(body), &doc))
				assert.Equal(t, "APIGW.0101", doc["error_code"])
				status, _ = get(t, endpoint+controlPrefix, "")
				assert.Equal(t, http.StatusNotFound, status)
			}
			status, body = get(t, endpoint+secrets, "alice-token")
			assert.Equal(t, http.StatusOK, status, body)
			assert.True(t, strings.HasPrefix(body, "{"), body)
		})
	}
	cfg := config("http://127.0.0.1:1", ModeProxy, "", 3, 0, false, nil)
	assert.False(t, cfg.Embedded || cfg.Control, "through the proxy the runner must not be told it is the mock")
	assert.Equal(t, 3, cfg.Concurrency)
	assert.Negative(t, cfg.RPS, "the proxy mode sets an unlimited rate, not the gentle default")
}
