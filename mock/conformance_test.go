package mock_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

// TestEveryResponseConformsToTheSpec drives every operation to every status the mock produces and
// relies on env.serve, which validates each response against the spec (undocumented statuses fail).
// It then checks that the whole (operation, status) matrix was exercised.
func TestEveryResponseConformsToTheSpec(t *testing.T) {
	e := newEnv(t)
	pa := e.id("alice").ProjectID
	key := e.createKey("alice", "conform")
	grant := e.createGrant("alice", key, map[string]any{"grantee_principal": e.id("bob").UserID, "operations": []string{"describe-key"}})
	ct := e.kms("alice", "encrypt-data", map[string]any{"key_id": key, "plain_text": "x"}).json(t)["cipher_text"].(string)
	e.createSecret("alice", "conform")

	type call struct {
		op, method, path string
		ok, bad          any // bodies for a 200 and a 400
	}
	kmsCall := func(op, path string, ok, bad any) call {
		return call{op, http.MethodPost, "/v1.0/" + pa + "/kms/" + path, ok, bad}
	}
	calls := []call{
		kmsCall("CreateKey", "create-key", map[string]any{"key_alias": "conform-2"}, `{}`),
		kmsCall("ListKeys", "list-keys", map[string]any{}, map[string]any{"limit": "x"}),
		kmsCall("ListKeyDetail", "describe-key", map[string]any{"key_id": key}, `{}`),
		kmsCall("DisableKey", "disable-key", map[string]any{"key_id": key}, map[string]any{"key_id": key}),
		kmsCall("EnableKey", "enable-key", map[string]any{"key_id": key}, map[string]any{"key_id": key}),
		kmsCall("CreateGrant", "create-grant", map[string]any{"key_id": key, "grantee_principal": "abc", "operations": []string{"describe-key"}}, `{}`),
		kmsCall("ListGrants", "list-grants", map[string]any{"key_id": key}, `{}`),
		kmsCall("ListRetirableGrants", "list-retirable-grants", map[string]any{}, map[string]any{"limit": "0"}),
		kmsCall("CreateDatakey", "create-datakey", map[string]any{"key_id": key}, `{}`),
		kmsCall("EncryptData", "encrypt-data", map[string]any{"key_id": key, "plain_text": "x"}, `{}`),
		kmsCall("DecryptData", "decrypt-data", map[string]any{"cipher_text": ct}, `{}`),
		kmsCall("CancelSelfGrant", "retire-grant", map[string]any{"key_id": key, "grant_id": grant}, map[string]any{"key_id": key, "grant_id": grant}),
		kmsCall("DeleteKey", "schedule-key-deletion", map[string]any{"key_id": key, "pending_days": "7"}, map[string]any{"key_id": key, "pending_days": "7"}),
		kmsCall("CancelKeyDeletion", "cancel-key-deletion", map[string]any{"key_id": key}, map[string]any{"key_id": key}),
		{"CreateSecret", http.MethodPost, "/v1/" + pa + "/secrets", map[string]any{"name": "conform-2", "secret_string": "v"}, `{}`},
		{"ListSecrets", http.MethodGet, "/v1/" + pa + "/secrets", nil, nil},
		{"ShowSecret", http.MethodGet, "/v1/" + pa + "/secrets/conform", nil, nil},
		{"UpdateSecret", http.MethodPut, "/v1/" + pa + "/secrets/conform", map[string]any{"description": "d"}, `[]`},
		{"ShowSecretVersion", http.MethodGet, "/v1/" + pa + "/secrets/conform/versions/latest", nil, nil},
		{"DeleteSecretForSchedule", http.MethodPost, "/v1/" + pa + "/secrets/conform/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 7}, map[string]any{"recovery_window_in_days": 7}},
		{"RestoreSecret", http.MethodPost, "/v1/" + pa + "/secrets/conform/scheduled-deleted-tasks/cancel", nil, nil},
		{"DeleteSecret", http.MethodDelete, "/v1/" + pa + "/secrets/conform", nil, nil},
	}
	// CancelGrant needs its own grant: retire already consumed the first one.
	g2 := e.createGrant("alice", key, map[string]any{"grantee_principal": "abc", "operations": []string{"describe-key"}})
	calls = append(calls, kmsCall("CancelGrant", "revoke-grant", map[string]any{"key_id": key, "grant_id": g2},
		map[string]any{"key_id": key, "grant_id": g2}))

	for _, c := range calls {
		r := e.do("alice", c.method, c.path, c.ok)
		require.Equal(t, 200, r.Status, "%s: %s", c.op, r.Body)
		// The same call again is a 400 for state changes (already done); the "bad" body otherwise.
		switch c.op {
		case "ListSecrets":
			r = e.do("alice", c.method, c.path+"?limit=0", nil)
		case "ShowSecret", "ShowSecretVersion":
			r = e.do("alice", c.method, strings.Replace(c.path, "/conform", "/missing", 1), nil)
		case "RestoreSecret", "DeleteSecret":
			r = e.do("alice", c.method, c.path, nil) // not pending / gone
		default:
			r = e.do("alice", c.method, c.path, c.bad)
		}
		require.Equal(t, 400, r.Status, "%s: %s", c.op, r.Body)
		require.Equal(t, 401, e.do("", c.method, c.path, c.ok).Status, c.op)
		other := strings.Replace(c.path, pa, e.id("eve").ProjectID, 1)
		require.Equal(t, 403, e.do("alice", c.method, other, c.ok).Status, c.op)
		req, _ := request(c.method, c.path, strings.Repeat(" ", mock.DefaultMaxBodyBytes+1))
		req.Header.Set("X-Auth-Token", "alice-token")
		require.Equal(t, 413, e.serve(req).Status, c.op)
	}
	// 500: a panic, answered in the service's envelope.
	e.clock.explode()
	require.Equal(t, 500, e.kms("alice", "create-key", map[string]any{"key_alias": "boom"}).Status)
	e.clock.explode()
	require.Equal(t, 500, e.csms("alice", http.MethodPost, "", map[string]any{"name": "boom", "secret_string": "v"}).Status)

	// 404: the not-found choices.
	e404 := newEnv(t, func(o *mock.Options) {
		o.Choices = mock.Choices{KeyNotFoundStatus: 404, SecretNotFoundStatus: 404}
	})
	missingKey := "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
	require.Equal(t, 404, e404.kms("alice", "cancel-key-deletion", map[string]any{"key_id": missingKey}).Status)
	require.Equal(t, 404, e404.csms("alice", http.MethodPost, "/missing/scheduled-deleted-tasks/cancel", nil).Status)

	var missing []string
	for _, c := range calls {
		for _, status := range []int{200, 400, 401, 403, 413} {
			if k := fmt.Sprintf("%s %d", c.op, status); !e.contract.seen[k] {
				missing = append(missing, k)
			}
		}
	}
	for _, k := range []string{"CreateKey 500", "CreateSecret 500"} {
		if !e.contract.seen[k] {
			missing = append(missing, k)
		}
	}
	for _, k := range []string{"CancelKeyDeletion 404", "RestoreSecret 404"} {
		if !e404.contract.seen[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "every operation × status was exercised and validated")
	require.Len(t, calls, 15+8, "every operation of both specs (15 KMS, 8 CSMS)")
}
