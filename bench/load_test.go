package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseWrk(t *testing.T) {
	res, err := parseWrk("Running 1s test\nDEWCONFORM-RESULT 1200 1000000 250 4100 3 1\n")
	require.NoError(t, err)
	require.Equal(t, Result{Generator: "wrk", Requests: 1200, Elapsed: time.Second, P50: 250 * time.Microsecond,
		P99: 4100 * time.Microsecond, Non2xx: 3, Errors: 1}, res)
	require.InDelta(t, 1200, res.PerSecond(), 0.01)
	_, err = parseWrk("unable to connect")
	require.Error(t, err)
}

func TestLuaScript(t *testing.T) {
	script := string(luaScript([][]Request{{{Method: "POST", Path: "/p", Header: map[string]string{"X-A": `q"\`}, Body: "{\"a\":\"\n\"}"}}}))
	require.Contains(t, script, `{"POST", "/p", {["X-A"] = "q\"\\", }, "{\"a\":\"\010\"}"},`)
	require.Contains(t, script, "function done(summary, latency, requests)")
}

// TestRunGo is a short run of the Go generator against a local handler.
func TestRunGo(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer ts.Close()
	res, err := RunGo(context.Background(), Load{URL: ts.URL, Clients: 4, Duration: 200 * time.Millisecond,
		Sequences: [][]Request{{{Method: "GET", Path: "/ok"}, {Method: "POST", Path: "/fail", Body: "x"}}}})
	require.NoError(t, err)
	require.Positive(t, res.Requests)
	require.Positive(t, res.Non2xx)
	require.Less(t, res.Non2xx, res.Requests)
	require.Zero(t, res.Errors)
	require.LessOrEqual(t, res.P50, res.P99)
	_, err = RunGo(context.Background(), Load{URL: ts.URL, Clients: 1, Duration: time.Second})
	require.Error(t, err, "a load without requests")
	require.True(t, strings.HasPrefix(ts.URL, "http://127.0.0.1:"))
}
