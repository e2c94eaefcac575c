package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHealth(t *testing.T) {
	withControl, _ := startServe(t, "--control")
	code, out, errOut := runCLI(t, "health", withControl)
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "ok: dewconform mock")
	code, _, errOut = runCLI(t, "health", "--mock", withControl+"/")
	assert.Equal(t, 0, code, errOut)

	// Without the control API the mock still answers as the gateway does: up, but not a controllable mock.
	plain, _ := startServe(t)
	code, out, errOut = runCLI(t, "health", plain)
	assert.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "answers as a DEW endpoint (HTTP 404 APIGW.0101)")
	code, _, errOut = runCLI(t, "health", "--mock", plain)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not as a dewconform mock")

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(`{"error_code":"APIGW.0502"}`))
	}))
	defer broken.Close()
	code, _, errOut = runCLI(t, "health", broken.URL)
	assert.Equal(t, 1, code, "a 5xx is not healthy")
	assert.Contains(t, errOut, "HTTP 502")

	notDEW := httptest.NewServer(http.NotFoundHandler())
	defer notDEW.Close()
	code, _, errOut = runCLI(t, "health", notDEW.URL)
	assert.Equal(t, 1, code, "any web server is not a DEW endpoint")
	assert.Contains(t, errOut, "without a DEW error body")

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	code, _, errOut = runCLI(t, "health", "--timeout", "2s", down.URL)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "does not answer")

	for _, args := range [][]string{{}, {"a", "b"}, {"127.0.0.1:8080"}, {"ftp://x"}, {"http://"}, {"--timeout", "0s", "http://x"}} {
		code, _, _ = runCLI(t, append([]string{"health"}, args...)...)
		assert.Equal(t, 2, code, "%q", args)
	}
}
