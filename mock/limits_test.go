package mock_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

// TestQuotas: each quota is enforced with its documented error, counts per project (or per key), and
// frees up again as resources go. Header size and read/write timeouts are the serve command's
// http.Server settings, not the handler's; the body limit is TestOversizedBody.
func TestQuotas(t *testing.T) {
	e := newEnv(t, func(o *mock.Options) {
		o.Limits = mock.Limits{KeysPerProject: 3, GrantsPerKey: 2, SecretsPerProject: 2}
	})
	var keys []string
	for i := range 3 {
		keys = append(keys, e.createKey("alice", fmt.Sprintf("quota-%d", i)))
	}
	r := e.kms("alice", "create-key", map[string]any{"key_alias": "one-too-many"})
	require.Equal(t, 400, r.Status)
	require.Equal(t, "KMS.1105", r.code())
	e.createKey("eve", "other-project") // the quota is per project

	// Keys pending deletion still count, as on the real service.
	r = e.kms("alice", "schedule-key-deletion", map[string]any{"key_id": keys[0], "pending_days": "7"})
	require.Equal(t, 200, r.Status)
	require.Equal(t, "KMS.1105", e.kms("alice", "create-key", map[string]any{"key_alias": "still-too-many"}).code())

	grant := func() resp {
		return e.kms("alice", "create-grant", map[string]any{"key_id": keys[1], "grantee_principal": e.id("bob").UserID,
			"operations": []string{"describe-key"}})
	}
	require.Equal(t, 200, grant().Status)
	g := grant()
	require.Equal(t, 200, g.Status)
	r = grant()
	require.Equal(t, 400, r.Status)
	require.Equal(t, "KMS.2404", r.code())
	// A revoked grant frees its place.
	r = e.kms("alice", "revoke-grant", map[string]any{"key_id": keys[1], "grant_id": g.json(t)["grant_id"]})
	require.Equal(t, 200, r.Status)
	require.Equal(t, 200, grant().Status)

	e.createSecret("alice", "quota-a")
	e.createSecret("alice", "quota-b")
	r = e.csms("alice", http.MethodPost, "", map[string]any{"name": "quota-c", "secret_string": "v"})
	require.Equal(t, 400, r.Status)
	require.Equal(t, "CSMS.0202", r.code())
	e.createSecret("eve", "quota-c")
}

// TestBodyLimitKeepsConnectionsUsable: a modestly oversized body is answered 413 over real HTTP and the
// keep-alive connection still serves the next request (the mock drains it instead of leaving net/http
// to close the connection mid-body).
func TestBodyLimitKeepsConnectionsUsable(t *testing.T) {
	e := newEnv(t, func(o *mock.Options) { o.MaxBodyBytes = 4096 })
	c := newHTTPClient(t, e)
	status, m := c.kms("alice-token", "create-key", map[string]any{"key_alias": strings.Repeat("a", 8192)})
	require.Equal(t, 413, status)
	require.Equal(t, "APIGW.0201", m["error_code"])
	status, _ = c.kms("alice-token", "list-keys", map[string]any{})
	require.Equal(t, 200, status)
	require.Empty(t, c.errs)
}
