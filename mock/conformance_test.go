package mock_test

import (
	"fmt"
	"maps"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/openapi"
)

// conformCall is how a fixture drives its operation: the path parameters (besides project_id) and body
// of a call that succeeds, and of one the mock refuses with a 400.
type conformCall struct {
	vars     map[string]string
	ok, bad  any
	badVars  map[string]string // path parameters of the 400 call, when they differ
	badQuery string            // appended to the 400 call's path
	// no400 says why the mock has no 400 for the operation (it takes no input to refuse), "" otherwise.
	no400 string
}

// conformFixtures has one fixture per operation, keyed by slug. Each creates what it needs (its own key,
// grant or secret), so that the operations can run in the registry's order.
func conformFixtures(t *testing.T, e *env) map[string]func() conformCall {
	key := func(alias string) string { return e.createKey("alice", alias) }
	ok := func(r resp) {
		t.Helper()
		require.Equal(t, 200, r.Status, "%s", r.Body)
	}
	keyID := func(k string) map[string]any { return map[string]any{"key_id": k} }
	secret := func(name string) map[string]string {
		e.createSecret("alice", name)
		return map[string]string{"secret_name": name}
	}
	return map[string]func() conformCall{
		ops.CreateKey: func() conformCall { return conformCall{ok: map[string]any{"key_alias": "conform-2"}, bad: `{}`} },
		ops.ListKeys:  func() conformCall { return conformCall{ok: map[string]any{}, bad: map[string]any{"limit": "x"}} },
		ops.UserQuotas: func() conformCall {
			return conformCall{no400: "user-quotas takes nothing but the project, which is refused with 401 or 403"}
		},
		ops.DescribeKey: func() conformCall {
			return conformCall{ok: keyID(key("conform-describe")), bad: `{}`}
		},
		ops.EnableKey: func() conformCall { // enabling twice is a 400
			k := key("conform-enable")
			ok(e.kms("alice", ops.DisableKey, keyID(k)))
			return conformCall{ok: keyID(k), bad: keyID(k)}
		},
		ops.DisableKey: func() conformCall {
			k := key("conform-disable")
			return conformCall{ok: keyID(k), bad: keyID(k)}
		},
		ops.ScheduleKeyDeletion: func() conformCall {
			body := map[string]any{"key_id": key("conform-schedule"), "pending_days": "7"}
			return conformCall{ok: body, bad: body}
		},
		ops.CancelKeyDeletion: func() conformCall {
			k := key("conform-cancel")
			ok(e.kms("alice", ops.ScheduleKeyDeletion, map[string]any{"key_id": k, "pending_days": "7"}))
			return conformCall{ok: keyID(k), bad: keyID(k)}
		},
		ops.CreateGrant: func() conformCall {
			return conformCall{ok: map[string]any{"key_id": key("conform-grant"), "grantee_principal": "abc",
				"operations": []string{ops.DescribeKey}}, bad: `{}`}
		},
		ops.ListGrants: func() conformCall { return conformCall{ok: keyID(key("conform-grants")), bad: `{}`} },
		ops.ListRetirableGrants: func() conformCall {
			return conformCall{ok: map[string]any{}, bad: map[string]any{"limit": "0"}}
		},
		ops.RevokeGrant: func() conformCall { // revoking twice is a 400: the grant is gone
			k := key("conform-revoke")
			g := e.createGrant("alice", k, map[string]any{"grantee_principal": "abc", "operations": []string{ops.DescribeKey}})
			body := map[string]any{"key_id": k, "grant_id": g}
			return conformCall{ok: body, bad: body}
		},
		ops.RetireGrant: func() conformCall {
			k := key("conform-retire")
			g := e.createGrant("alice", k, map[string]any{"grantee_principal": e.id("bob").UserID,
				"operations": []string{ops.DescribeKey}})
			body := map[string]any{"key_id": k, "grant_id": g}
			return conformCall{ok: body, bad: body}
		},
		ops.CreateDatakey: func() conformCall { return conformCall{ok: keyID(key("conform-datakey")), bad: `{}`} },
		ops.EncryptData: func() conformCall {
			return conformCall{ok: map[string]any{"key_id": key("conform-encrypt"), "plain_text": "x"}, bad: `{}`}
		},
		ops.DecryptData: func() conformCall {
			r := e.kms("alice", ops.EncryptData, map[string]any{"key_id": key("conform-decrypt"), "plain_text": "x"})
			ok(r)
			return conformCall{ok: map[string]any{"cipher_text": r.json(t)["cipher_text"].(string)}, bad: `{}`}
		},
		ops.CreateSecret: func() conformCall {
			return conformCall{ok: map[string]any{"name": "conform-2", "secret_string": "v"}, bad: `{}`}
		},
		ops.ListSecrets: func() conformCall { return conformCall{badQuery: "?limit=0"} },
		ops.ShowSecret: func() conformCall {
			return conformCall{vars: secret("conform-show"), badVars: map[string]string{"secret_name": "missing"}}
		},
		ops.UpdateSecret: func() conformCall {
			return conformCall{vars: secret("conform-update"), ok: map[string]any{"description": "d"}, bad: `[]`}
		},
		ops.DeleteSecret: func() conformCall { return conformCall{vars: secret("conform-delete")} }, // twice: gone
		ops.ScheduleSecretDeletion: func() conformCall {
			body := map[string]any{"recovery_window_in_days": 7}
			return conformCall{vars: secret("conform-schedule"), ok: body, bad: body}
		},
		ops.RestoreSecret: func() conformCall { // twice: not pending
			vars := secret("conform-restore")
			ok(e.csms("alice", http.MethodPost, "/conform-restore/scheduled-deleted-tasks/create",
				map[string]any{"recovery_window_in_days": 7}))
			return conformCall{vars: vars}
		},
		ops.ShowSecretVersion: func() conformCall {
			vars := secret("conform-version")
			vars["version_id"] = "latest"
			return conformCall{vars: vars, badVars: map[string]string{"secret_name": "missing", "version_id": "latest"}}
		},
	}
}

// TestEveryResponseConformsToTheSpec drives every operation of the registry, through its fixture, to
// every status the mock produces, and relies on env.serve, which validates each response against the
// spec (undocumented statuses fail). It then checks that the whole (operation, status) matrix was
// exercised.
func TestEveryResponseConformsToTheSpec(t *testing.T) {
	e := newEnv(t)
	pa := e.id("alice").ProjectID
	fixtures := conformFixtures(t, e)
	no400 := map[string]bool{}
	for slug := range fixtures {
		_, known := openapi.Lookup(slug)
		require.True(t, known, "fixture %q names no operation of the registry", slug)
	}
	path := func(op openapi.Operation, project string, vars map[string]string) string {
		all := map[string]string{"project_id": project}
		maps.Copy(all, vars)
		return op.Fill(all)
	}
	for _, op := range openapi.Operations() {
		fixture, ok := fixtures[op.Slug]
		require.True(t, ok, "operation %s has no fixture in conformFixtures", op.Slug)
		c := fixture()
		p := path(op, pa, c.vars)
		r := e.do("alice", op.Method, p, c.ok)
		require.Contains(t, op.Success(), r.Status, "%s: its fixture must get a documented 2xx: %s", op.Slug, r.Body)
		// The same call again is a 400 for state changes (already done); the "bad" call otherwise.
		badPath := p
		if c.badVars != nil {
			badPath = path(op, pa, c.badVars)
		}
		if c.no400 == "" {
			r = e.do("alice", op.Method, badPath+c.badQuery, c.bad)
			require.Equal(t, 400, r.Status, "%s: %s", op.Slug, r.Body)
		} else {
			no400[op.Slug] = true
		}
		require.Equal(t, 401, e.do("", op.Method, p, c.ok).Status, op.Slug)
		require.Equal(t, 403, e.do("alice", op.Method, path(op, e.id("eve").ProjectID, c.vars), c.ok).Status, op.Slug)
		req, _ := request(op.Method, p, strings.Repeat(" ", mock.DefaultMaxBodyBytes+1))
		req.Header.Set("X-Auth-Token", "alice-token")
		require.Equal(t, 413, e.serve(req).Status, op.Slug)
	}
	// 500: a panic, answered in the service's envelope.
	e.clock.explode()
	require.Equal(t, 500, e.kms("alice", ops.CreateKey, map[string]any{"key_alias": "boom"}).Status)
	e.clock.explode()
	require.Equal(t, 500, e.csms("alice", http.MethodPost, "", map[string]any{"name": "boom", "secret_string": "v"}).Status)

	// 404: the not-found choices.
	e404 := newEnv(t, func(o *mock.Options) {
		o.Choices = mock.Choices{KeyNotFoundStatus: 404, SecretNotFoundStatus: 404}
	})
	missingKey := "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
	require.Equal(t, 404, e404.kms("alice", ops.CancelKeyDeletion, map[string]any{"key_id": missingKey}).Status)
	require.Equal(t, 404, e404.csms("alice", http.MethodPost, "/missing/scheduled-deleted-tasks/cancel", nil).Status)

	seen := func(c *contract, slug string, status int) (string, bool) {
		op, ok := openapi.Lookup(slug)
		require.True(t, ok, slug)
		k := fmt.Sprintf("%s %d", op.ID, status)
		return slug + ": " + k, c.seen[k]
	}
	var missing []string
	check := func(c *contract, slug string, statuses ...int) {
		for _, status := range statuses {
			if k, ok := seen(c, slug, status); !ok {
				missing = append(missing, k)
			}
		}
	}
	for _, op := range openapi.Operations() {
		check(e.contract, op.Slug, append(op.Success(), 401, 403, 413)...)
		if !no400[op.Slug] {
			check(e.contract, op.Slug, 400)
		}
	}
	check(e.contract, ops.CreateKey, 500)
	check(e.contract, ops.CreateSecret, 500)
	check(e404.contract, ops.CancelKeyDeletion, 404)
	check(e404.contract, ops.RestoreSecret, 404)
	sort.Strings(missing)
	require.Empty(t, missing, "every operation × status was exercised and validated")
}
