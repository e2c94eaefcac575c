package mock_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

func TestUnknownPathOrMethod(t *testing.T) {
	e := newEnv(t)
	p := e.id("alice").ProjectID
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1.0/" + p + "/kms/cancel-key-deletion"}, // wrong method
		{http.MethodPost, "/v1.0/" + p + "/kms/no-such-op"},
		{http.MethodPost, "/v2/" + p + "/secrets"},
		{http.MethodGet, "/"},
		{http.MethodDelete, "/v1/" + p + "/secrets"},
	} {
		r := e.do("alice", tc.method, tc.path, nil)
		require.Equal(t, 404, r.Status, "%s %s", tc.method, tc.path)
		require.Equal(t, "APIGW.0101", r.code())
		require.Equal(t, r.Header.Get("X-Request-Id"), r.json(t)["request_id"], "gateway errors carry the request id")
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
	}
}

func TestCredentials(t *testing.T) {
	e := newEnv(t)
	p := e.id("alice").ProjectID
	r := e.do("", http.MethodPost, "/v1.0/"+p+"/kms/list-keys", map[string]any{})
	require.Equal(t, 401, r.Status)
	require.Equal(t, "APIGW.0301", r.code())
	require.Equal(t, "Incorrect IAM authentication information: x-auth-token not found", r.json(t)["error_msg"])

	req, _ := request(http.MethodGet, "/v1/"+p+"/secrets", nil)
	req.Header.Set("X-Auth-Token", "not-a-token")
	r = e.serve(req)
	require.Equal(t, 401, r.Status)
	require.Equal(t, "APIGW.0301", r.code())
	require.NotContains(t, string(r.Body), "not-a-token", "credentials never echo back")
}

func TestPathProjectMustBeCallers(t *testing.T) {
	e := newEnv(t)
	other := e.id("eve").ProjectID
	r := e.do("alice", http.MethodPost, "/v1.0/"+other+"/kms/list-keys", map[string]any{})
	require.Equal(t, 403, r.Status)
	require.Equal(t, "KMS.0305", r.code())
	r = e.do("alice", http.MethodGet, "/v1/"+other+"/secrets", nil)
	require.Equal(t, 403, r.Status)
	require.Equal(t, "APIGW.0302", r.code())
	// Project isolation: eve never sees alice's resources.
	key := e.createKey("alice", "isolated")
	r = e.kms("eve", "describe-key", map[string]any{"key_id": key})
	require.Equal(t, 400, r.Status)
	require.Equal(t, "KMS.0207", r.code())
}

func TestPanicBecomes500AndServerKeepsServing(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(o *mock.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	e.clock.explode()
	r := e.kms("alice", "create-key", map[string]any{"key_alias": "boom"})
	require.Equal(t, 500, r.Status)
	require.Equal(t, "KMS.0101", r.code())
	require.Contains(t, logs.String(), "handler panic")

	e.clock.explode()
	r = e.csms("alice", http.MethodPost, "", map[string]any{"name": "boom", "secret_string": "v"})
	require.Equal(t, 500, r.Status)
	require.Equal(t, "CSMS.0001", r.code())

	e.createKey("alice", "after-the-panic") // the store's lock was released and the server still works
}

// endless is a body that never ends and counts what was read from it.
type endless struct{ read atomic.Int64 }

func (b *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	b.read.Add(int64(len(p)))
	return len(p), nil
}

func TestOversizedBody(t *testing.T) {
	const limit = 4096
	e := newEnv(t, func(o *mock.Options) { o.MaxBodyBytes = limit })
	p := e.id("alice").ProjectID

	// Announced length: refused before reading anything.
	body := &endless{}
	req := httptest.NewRequest(http.MethodPost, "/v1.0/"+p+"/kms/create-key", io.LimitReader(body, 1<<30))
	req.ContentLength = 1 << 30
	req.Header.Set("X-Auth-Token", "alice-token")
	r := e.serve(req)
	require.Equal(t, 413, r.Status)
	require.Equal(t, "APIGW.0201", r.code())
	require.Zero(t, body.read.Load())

	// Unknown length (chunked): refused after at most about the limit.
	body = &endless{}
	req = httptest.NewRequest(http.MethodPost, "/v1/"+p+"/secrets", body)
	req.ContentLength = -1
	req.Header.Set("X-Auth-Token", "alice-token")
	r = e.serve(req)
	require.Equal(t, 413, r.Status)
	require.Equal(t, "APIGW.0201", r.code())
	require.Less(t, body.read.Load(), int64(limit+64*1024), "the body is never read whole")

	// Just under the limit is fine (and then refused for what it is).
	r = e.kms("alice", "create-key", `{"key_alias":"`+strings.Repeat("a", 300)+`"}`)
	require.Equal(t, 400, r.Status)
}

func TestControlAPIOffByDefault(t *testing.T) {
	e := newEnv(t, func(o *mock.Options) { o.Control = false })
	r := e.serve(httptest.NewRequest(http.MethodGet, "/_dewconform/health", nil))
	require.Equal(t, 404, r.Status)
	require.Equal(t, "APIGW.0101", r.code())
	key := e.createKey("alice", "k")
	r = e.control("keys/"+key+"/state", map[string]any{"key_state": "7"})
	require.Equal(t, 404, r.Status)
	require.Equal(t, "2", e.keyState(key))
}

func TestRequestIDsAreUnique(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	for range 50 {
		r := e.kms("alice", "list-keys", map[string]any{})
		id := r.Header.Get("X-Request-Id")
		require.False(t, seen[id])
		seen[id] = true
	}
}

func TestAccessLogHasNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(o *mock.Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	e.createSecret("alice", "db")
	e.csms("alice", http.MethodGet, "/db/versions/latest", nil)
	e.do("", http.MethodGet, "/v1/"+e.id("alice").ProjectID+"/secrets", nil)
	out := logs.String()
	require.Contains(t, out, "status=200")
	require.Contains(t, out, "method=GET")
	for _, secret := range []string{"alice-token", "s3cret", "alice-secret-access-key"} {
		require.NotContains(t, out, secret)
	}
}

// KMS refuses a body over its own limit (below the gateway's) with 400 KMS.0203, in KMS's nested shape,
// after the credentials are checked; CSMS has no such limit of its own.
func TestKMSBodyTooLong(t *testing.T) {
	e := newEnv(t, func(o *mock.Options) { o.MaxKMSBodyBytes = 1024 })
	long := `{"key_alias":"a","key_description":"` + strings.Repeat("d", 2000) + `"}`
	r := e.kms("alice", "create-key", long)
	require.Equal(t, 400, r.Status)
	require.Equal(t, "KMS.0203", r.code())
	require.Contains(t, string(r.Body), `"error":{`, "KMS's nested error shape")

	r = e.do("", http.MethodPost, "/v1.0/"+e.id("alice").ProjectID+"/kms/create-key", long)
	require.Equal(t, 401, r.Status, "credentials first")

	r = e.kms("alice", "create-key", `{"key_alias":"short-enough"}`)
	require.Equal(t, 200, r.Status)
}
