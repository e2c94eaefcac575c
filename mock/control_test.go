package mock_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

func TestControlHealth(t *testing.T) {
	e := newEnv(t)
	r := e.serve(httptest.NewRequest(http.MethodGet, "/_dewconform/health", nil))
	require.Equal(t, 200, r.Status)
	require.Equal(t, "ok", r.json(t)["status"])
	require.Equal(t, "dewconform-mock", r.json(t)["service"])
	r = e.control("nope", map[string]any{})
	require.Equal(t, 404, r.Status)
	require.Contains(t, r.json(t), "error")
}

func TestAdvanceMakesAPendingKeyVanishAlone(t *testing.T) {
	e := newEnv(t)
	k1, k2 := e.createKey("alice", "k1"), e.createKey("alice", "k2")
	for _, k := range []string{k1, k2} {
		r := e.kms("alice", "schedule-key-deletion", map[string]any{"key_id": k, "pending_days": "7"})
		require.Equal(t, 200, r.Status)
		require.Equal(t, "4", r.json(t)["key_state"])
	}
	r := e.control("keys/"+k1+"/advance", map[string]any{"seconds": 7*86400 - 1})
	require.Equal(t, 200, r.Status)
	require.Regexp(t, `^[0-9]{13}$`, r.json(t)["now"])
	require.Equal(t, "4", e.keyState(k1), "one second left")
	r = e.control("keys/"+k1+"/advance", map[string]any{"seconds": 1})
	require.Equal(t, 200, r.Status)
	require.Equal(t, "KMS.0207", e.keyState(k1), "deleted after its pending days")
	r = e.kms("alice", "cancel-key-deletion", map[string]any{"key_id": k1})
	require.Equal(t, "KMS.0207", r.code())
	require.Equal(t, "4", e.keyState(k2), "the other key's clock did not move")

	r = e.control("keys/"+k1+"/advance", map[string]any{"seconds": 1})
	require.Equal(t, 404, r.Status)
	r = e.control("keys/"+k2+"/advance", map[string]any{"seconds": -5})
	require.Equal(t, 400, r.Status)
}

func TestFrozenKeyRefusesEveryStateChange(t *testing.T) {
	e := newEnv(t)
	key := e.createKey("alice", "frozen")
	e.setKeyState(key, "7")
	for op, code := range map[string]string{
		"enable-key": "KMS.1201", "disable-key": "KMS.1301", "cancel-key-deletion": "KMS.1501",
		"schedule-key-deletion": "KMS.0308",
	} {
		r := e.kms("alice", op, map[string]any{"key_id": key, "pending_days": "7"})
		require.Equal(t, 400, r.Status, op)
		require.Equal(t, code, r.code(), op)
		require.Equal(t, "7", e.keyState(key))
	}
	r := e.control("keys/"+key+"/state", map[string]any{"key_state": "6"})
	require.Equal(t, 400, r.Status)
}

func TestSecretControl(t *testing.T) {
	e := newEnv(t)
	p := e.id("alice").ProjectID
	e.createSecret("alice", "s1")
	e.createSecret("alice", "s2")
	for _, n := range []string{"s1", "s2"} {
		r := e.csms("alice", http.MethodPost, "/"+n+"/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 7})
		require.Equal(t, 200, r.Status)
	}
	r := e.control("projects/"+p+"/secrets/s1/advance", map[string]any{"seconds": 7 * 86400})
	require.Equal(t, 200, r.Status)
	require.Equal(t, "CSMS.0005", e.secretState("alice", "s1"))
	require.Equal(t, "PENDING_DELETE", e.secretState("alice", "s2"))

	r = e.control("projects/"+p+"/secrets/s2/state", map[string]any{"state": "FROZEN"})
	require.Equal(t, 200, r.Status)
	require.Equal(t, "FROZEN", e.secretState("alice", "s2"))
	r = e.control("projects/"+p+"/secrets/nope/state", map[string]any{"state": "FROZEN"})
	require.Equal(t, 404, r.Status)
}

const seedYAML = `
keys:
  - owner: alice
    alias: seeded-frozen
    state: "7"
  - owner: alice
    alias: seeded-pending
    state: "4"
    pending_days: 10
  - owner: eve
    alias: seeded-eve
grants:
  - key: seeded-frozen
    grantee: bob
    retiring: carol
    operations: [create-datakey, describe-key]
secrets:
  - owner: alice
    name: seeded-secret
    value: hunter2
    state: PENDING_DELETE
    recovery_days: 7
`

func TestSeed(t *testing.T) {
	seed, err := mock.ParseSeed([]byte(seedYAML))
	require.NoError(t, err)
	e := newEnv(t, func(o *mock.Options) { o.Seed = seed })
	r := e.kms("alice", "list-keys", map[string]any{})
	require.Equal(t, 200, r.Status)
	require.EqualValues(t, 3, r.json(t)["total"], "two seeded keys and the csms/default key of the seeded secret")
	r = e.kms("eve", "list-keys", map[string]any{})
	require.EqualValues(t, 1, r.json(t)["total"])
	require.Equal(t, "PENDING_DELETE", e.secretState("alice", "seeded-secret"))

	// The same document through the control API, into another server.
	e2 := newEnv(t)
	r = e2.control("seed", seedYAML)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	res := r.json(t)
	keys := res["keys"].([]any)
	require.Len(t, keys, 3)
	frozen := keys[0].(map[string]any)
	require.Equal(t, "7", frozen["key_state"])
	require.Equal(t, "7", e2.keyState(frozen["key_id"].(string)))
	grants := e2.kms("alice", "list-grants", map[string]any{"key_id": frozen["key_id"]})
	require.EqualValues(t, 1, grants.json(t)["total"])

	for _, bad := range []string{"keys: [{owner: nobody, alias: x}]", "keys: [{owner: alice, alias: x, state: '9'}]",
		"bogus: 1", "grants: [{key: nope, grantee: bob, operations: [describe-key]}]"} {
		r = e2.control("seed", bad)
		require.Equal(t, 400, r.Status, bad)
	}

	loaded, err := mock.LoadSeed(filepath.Join("testdata", "seed.yaml"))
	require.NoError(t, err)
	require.Equal(t, seed, loaded, "testdata/seed.yaml is the example above")
	_, err = mock.LoadSeed(filepath.Join("testdata", "missing.yaml"))
	require.Error(t, err)
}
