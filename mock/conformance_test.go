package mock_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
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
	asymKey := func(alias, spec, usage string) string {
		r := e.kms("alice", ops.CreateKey, map[string]any{"key_alias": alias, "key_spec": spec, "key_usage": usage})
		ok(r)
		return r.json(t)["key_info"].(map[string]any)["key_id"].(string)
	}
	macKey := func(id string) string {
		ok(e.control("seed", map[string]any{"keys": []map[string]any{{"owner": "alice", "alias": "conform-" + id, "id": id,
			"spec": "HMAC_256", "usage": "GENERATE_VERIFY_MAC"}}}))
		return id
	}
	return map[string]func() conformCall{
		ops.GenerateMac: func() conformCall {
			k := macKey("4d0466b0-e727-4d9c-b35d-f84bb474a37f")
			return conformCall{ok: map[string]any{"key_id": k, "mac_algorithm": "HMAC_SHA_256", "message": "aGVsbG8="},
				bad: map[string]any{"key_id": k, "mac_algorithm": "HMAC_SHA_512", "message": "aGVsbG8="}}
		},
		ops.VerifyMac: func() conformCall {
			k := macKey("5d0466b0-e727-4d9c-b35d-f84bb474a37f")
			gen := map[string]any{"key_id": k, "mac_algorithm": "HMAC_SHA_256", "message": "aGVsbG8="}
			r := e.kms("alice", ops.GenerateMac, gen)
			ok(r)
			gen["mac"] = r.json(t)["mac"].(string)
			return conformCall{ok: gen, bad: `{}`}
		},
		ops.CreateRsaDatakeyPair: func() conformCall {
			k := key("conform-rsa-pair")
			return conformCall{ok: map[string]any{"key_id": k, "key_spec": "RSA_2048"},
				bad: map[string]any{"key_id": asymKey("conform-rsa-pair-asym", "EC_P256", "SIGN_VERIFY"), "key_spec": "RSA_2048"}}
		},
		ops.CreateEcDatakeyPair: func() conformCall {
			k := key("conform-ec-pair")
			return conformCall{ok: map[string]any{"key_id": k, "key_spec": "ECC_NIST_P521", "with_plain_text": false},
				bad: map[string]any{"key_id": asymKey("conform-ec-pair-asym", "EC_P256", "SIGN_VERIFY"), "key_spec": "SM2"}}
		},
		ops.DeriveSharedSecret: func() conformCall {
			id := "9d0466b0-e727-4d9c-b35d-f84bb474a37f"
			ok(e.control("seed", map[string]any{"keys": []map[string]any{{"owner": "alice", "alias": "conform-agree", "id": id,
				"spec": "EC_P256", "usage": "KEY_AGREEMENT"}}}))
			peer, err := ecdh.P256().GenerateKey(rand.Reader)
			require.NoError(t, err)
			der, err := x509.MarshalPKIXPublicKey(peer.PublicKey())
			require.NoError(t, err)
			return conformCall{ok: map[string]any{"key_id": id, "key_agreement_algorithm": "ECDH", "public_key": base64.StdEncoding.EncodeToString(der)},
				bad: map[string]any{"key_id": id, "key_agreement_algorithm": "ECDH", "public_key": "AAAA"}}
		},
		ops.Sign: func() conformCall {
			k := asymKey("conform-sign", "EC_P256", "SIGN_VERIFY")
			digest := base64.StdEncoding.EncodeToString(make([]byte, 32))
			return conformCall{ok: map[string]any{"key_id": k, "message": digest, "signing_algorithm": "ECDSA_SHA_256"},
				bad: map[string]any{"key_id": k, "message": "AAAA", "signing_algorithm": "ECDSA_SHA_256"}}
		},
		ops.Verify: func() conformCall {
			k := asymKey("conform-verify", "EC_P256", "SIGN_VERIFY")
			body := map[string]any{"key_id": k, "message": "aGVsbG8=", "message_type": "RAW", "signing_algorithm": "ECDSA_SHA_256"}
			r := e.kms("alice", ops.Sign, body)
			ok(r)
			body["signature"] = r.json(t)["signature"].(string)
			return conformCall{ok: body, bad: `{}`}
		},
		ops.GetPublickey: func() conformCall {
			return conformCall{ok: keyID(asymKey("conform-publickey", "SM2", "SIGN_VERIFY")), bad: keyID(key("conform-publickey-aes"))}
		},
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
		ops.CreateDatakeyWithoutPlaintext: func() conformCall {
			return conformCall{ok: keyID(key("conform-dk-noplain")), bad: `{}`}
		},
		ops.EncryptDatakey: func() conformCall {
			dek := bytes.Repeat([]byte{7}, 32)
			sum := sha256.Sum256(dek)
			return conformCall{ok: map[string]any{
				"key_id": key("conform-encrypt-dk"), "plain_text": hex.EncodeToString(append(dek, sum[:]...)),
				"datakey_plain_length": "32",
			}, bad: `{}`}
		},
		ops.DecryptDatakey: func() conformCall {
			id := key("conform-decrypt-dk")
			r := e.kms("alice", ops.CreateDatakeyWithoutPlaintext, map[string]any{"key_id": id})
			ok(r)
			return conformCall{ok: map[string]any{
				"key_id": id, "cipher_text": r.json(t)["cipher_text"].(string), "datakey_cipher_length": "32",
			}, bad: `{}`}
		},
		ops.ReEncrypt: func() conformCall {
			id := key("conform-reencrypt")
			r := e.kms("alice", ops.CreateDatakeyWithoutPlaintext, map[string]any{"key_id": id})
			ok(r)
			return conformCall{ok: map[string]any{
				"cipher_text": r.json(t)["cipher_text"].(string), "destination_key_id": key("conform-reencrypt-to"),
			}, bad: `{}`}
		},
		ops.GenRandom: func() conformCall {
			return conformCall{ok: map[string]any{"random_data_length": "512"}, bad: `{}`}
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
		ops.CreateSecretVersion: func() conformCall { // bad: neither value
			return conformCall{vars: secret("conform-new-version"), ok: map[string]any{"secret_string": "v2"}, bad: `{}`}
		},
		ops.ListSecretVersions: func() conformCall {
			return conformCall{vars: secret("conform-versions"), badQuery: "?limit=0"}
		},
		ops.UpdateSecretVersion: func() conformCall { // bad: expire_time is required
			vars := secret("conform-update-version")
			vars["version_id"] = "v1"
			return conformCall{vars: vars, ok: map[string]any{"expire_time": 1581507580000}, bad: `{}`}
		},
		ops.ShowSecretStage: func() conformCall {
			vars := secret("conform-stage")
			vars["stage_name"] = "SYSCURRENT"
			return conformCall{vars: vars, badVars: map[string]string{"secret_name": "conform-stage", "stage_name": "none"}}
		},
		ops.UpdateSecretStage: func() conformCall { // bad: a version that does not exist
			vars := secret("conform-move-stage")
			vars["stage_name"] = "custom"
			return conformCall{vars: vars, ok: map[string]any{"version_id": "v1"}, bad: map[string]any{"version_id": "v9"}}
		},
		ops.DeleteSecretStage: func() conformCall { // twice: the stage is gone
			vars := secret("conform-delete-stage")
			vars["stage_name"] = "custom"
			ok(e.csms("alice", http.MethodPut, "/conform-delete-stage/stages/custom", map[string]any{"version_id": "v1"}))
			return conformCall{vars: vars}
		},
		ops.RotateSecret: func() conformCall { // bad: a COMMON secret cannot be rotated
			ok(e.csms("alice", http.MethodPost, "", map[string]any{"name": "conform-rotate", "secret_string": "v", "secret_type": "RDS-FG"}))
			return conformCall{vars: map[string]string{"secret_name": "conform-rotate"},
				badVars: secret("conform-rotate-common")}
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
