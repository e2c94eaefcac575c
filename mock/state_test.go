package mock_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

// restart snapshots e's server through the state file's bytes and returns a fresh env (same clock)
// restored from them, as "serve --state" does across a restart.
func restart(t *testing.T, e *env) (*env, []byte) {
	t.Helper()
	data, err := e.srv.Snapshot().Marshal()
	require.NoError(t, err)
	st, err := mock.ParseState(data)
	require.NoError(t, err)
	next := newEnv(t, func(o *mock.Options) { o.Clock = e.clock })
	next.clock = e.clock
	require.NoError(t, next.srv.Restore(st))
	return next, data
}

// TestStateSurvivesARestart: everything a client can observe comes back after a restart from the state
// file: keys in their states with their material (an old ciphertext still decrypts), grants (bob still
// acts through his), a key's own clock, secrets with their values and pending deletions, listing order;
// and new resources continue after the restored ones.
func TestStateSurvivesARestart(t *testing.T) {
	e := newEnv(t)
	k1, k2, k3 := e.createKey("alice", "first"), e.createKey("alice", "second"), e.createKey("eve", "elsewhere")
	grant := e.createGrant("alice", k1, map[string]any{"grantee_principal": e.id("bob").UserID,
		"operations": []string{"encrypt-data", "decrypt-data"}, "retiring_principal": e.id("carol").UserID})
	r := e.kms("alice", "encrypt-data", map[string]any{"key_id": k1, "plain_text": "before the restart"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	ct := r.json(t)["cipher_text"].(string)
	require.Equal(t, 200, e.kms("alice", "schedule-key-deletion", map[string]any{"key_id": k2, "pending_days": "7"}).Status)
	require.Equal(t, 200, e.control("keys/"+k2+"/advance", map[string]any{"seconds": 7*86400 - 10}).Status)
	e.setKeyState(k3, "7")
	e.createSecret("alice", "kept")
	e.createSecret("alice", "pending")
	require.Equal(t, 200, e.csms("alice", http.MethodPost, "/pending/scheduled-deleted-tasks/create",
		map[string]any{"recovery_window_in_days": 7}).Status)

	next, data := restart(t, e)
	assert.Contains(t, string(data), `"material"`, "the file holds the key material")
	assert.Equal(t, "2", next.keyState(k1))
	assert.Equal(t, "4", next.keyState(k2))
	r = next.kms("eve", "describe-key", map[string]any{"key_id": k3})
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "7", r.json(t)["key_info"].(map[string]any)["key_state"])

	r = next.kms("bob", "decrypt-data", map[string]any{"cipher_text": ct})
	require.Equal(t, 200, r.Status, "the key material and bob's grant came back: %s", r.Body)
	assert.Equal(t, "before the restart", r.json(t)["plain_text"])
	r = next.kms("alice", "list-grants", map[string]any{"key_id": k1})
	require.Equal(t, 200, r.Status)
	grants := r.json(t)["grants"].([]any)
	require.Len(t, grants, 1)
	assert.Equal(t, grant, grants[0].(map[string]any)["grant_id"])
	assert.Equal(t, e.id("carol").UserID, grants[0].(map[string]any)["retiring_principal"])

	// k2's own clock was 10 s short of its deletion: it still is.
	require.Equal(t, 200, next.control("keys/"+k2+"/advance", map[string]any{"seconds": 9}).Status)
	assert.Equal(t, "4", next.keyState(k2))
	require.Equal(t, 200, next.control("keys/"+k2+"/advance", map[string]any{"seconds": 1}).Status)
	assert.Equal(t, "KMS.0207", next.keyState(k2))

	r = next.csms("alice", http.MethodGet, "/kept/versions/latest", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	assert.Equal(t, "s3cret", r.json(t)["version"].(map[string]any)["secret_string"])
	assert.Equal(t, "PENDING_DELETE", next.secretState("alice", "pending"))
	r = next.csms("alice", http.MethodPost, "/pending/scheduled-deleted-tasks/cancel", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)

	// A key created now lists after the restored ones (the creation counter was restored).
	k4 := next.createKey("alice", "after")
	r = next.kms("alice", "list-keys", map[string]any{"key_spec": "ALL"})
	require.Equal(t, 200, r.Status)
	var order []string
	for _, k := range r.json(t)["key_details"].([]any) {
		order = append(order, k.(map[string]any)["key_id"].(string))
	}
	assert.Equal(t, k1, order[0])
	assert.Equal(t, k4, order[len(order)-1], "%v", order)

	// A second restart of an unchanged server writes the same bytes: nothing is lost or invented.
	again, err := next.srv.Snapshot().Marshal()
	require.NoError(t, err)
	third, data3 := restart(t, next)
	assert.Equal(t, string(again), string(data3))
	assert.Equal(t, "2", third.keyState(k4))
}

// TestStateFileRefusesWhatItCannotTrust: a truncated file, another format or version, unknown fields and
// impossible resources are refused with a message that names the problem and none of the values.
func TestStateFileRefusesWhatItCannotTrust(t *testing.T) {
	e := newEnv(t)
	key := e.createKey("alice", "k")
	e.createGrant("alice", key, map[string]any{"grantee_principal": e.id("bob").UserID, "operations": []string{"describe-key"}})
	r := e.csms("alice", http.MethodPost, "", map[string]any{"name": "s", "secret_string": "do-not-print-me"})
	require.Equal(t, 200, r.Status)
	good, err := e.srv.Snapshot().Marshal()
	require.NoError(t, err)
	_, err = mock.ParseState(good)
	require.NoError(t, err)

	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(good, &m))
		f(m)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	firstKey := func(m map[string]any) map[string]any { return m["keys"].([]any)[0].(map[string]any) }
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"truncated":      {good[:len(good)/2], "corrupt or truncated"},
		"empty":          {nil, "corrupt or truncated"},
		"trailing":       {append(append([]byte{}, good...), good...), "after its JSON document"},
		"other format":   {edit(func(m map[string]any) { m["format"] = "something-else" }), "not a dewconform mock state file"},
		"newer version":  {edit(func(m map[string]any) { m["version"] = 2 }), "version 2: this dewconform reads version 1 only"},
		"unknown field":  {edit(func(m map[string]any) { m["extra"] = true }), `unknown field "extra"`},
		"short material": {edit(func(m map[string]any) { firstKey(m)["material"] = "AAAA" }), "key material must be 32 bytes"},
		// 16 bytes are SM4 material: an AES_256 key with them is refused.
		"sm4-size material on an AES key": {edit(func(m map[string]any) { firstKey(m)["material"] = "AAAAAAAAAAAAAAAAAAAAAA==" }), "key material must be 32 bytes"},
		"bad state":                       {edit(func(m map[string]any) { firstKey(m)["State"] = "9" }), `state "9"`},
		"grant elsewhere": {edit(func(m map[string]any) {
			firstKey(m)["grants"].([]any)[0].(map[string]any)["KeyID"] = "another"
		}), "grants[0]"},
		"duplicate key": {edit(func(m map[string]any) { m["keys"] = append(m["keys"].([]any), m["keys"].([]any)[0]) }), "appears twice"},
		"valueless secret": {edit(func(m map[string]any) {
			m["secrets"].([]any)[0].(map[string]any)["versions"].([]any)[0].(map[string]any)["String"] = nil
		}), "exactly one of string and binary"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := mock.ParseState(tc.data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "do-not-print-me")
		})
	}

	// A refused state leaves a running server as it was.
	bad := &mock.State{Format: mock.StateFormat, Version: mock.StateVersion, Keys: []mock.StateKey{{Key: mock.Key{ID: "x", ProjectID: "p", State: "2"}}}}
	require.Error(t, e.srv.Restore(bad))
	assert.Equal(t, "2", e.keyState(key))
}

// TestWriteStateFile: the file is 0600, replaced whole, and no temporary file is left beside it.
func TestWriteStateFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	require.NoError(t, mock.WriteStateFile(path, []byte("one\n")))
	require.NoError(t, mock.WriteStateFile(path, []byte("two\n")))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "two\n", string(data))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the file holds key material and secret values")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left")

	err = mock.WriteStateFile(filepath.Join(dir, "missing", "state.json"), []byte("x"))
	require.Error(t, err)
	_, err = mock.ReadStateFile(filepath.Join(dir, "nope.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, os.WriteFile(path, []byte(`{"format":`), 0o600))
	_, err = mock.ReadStateFile(path)
	require.ErrorContains(t, err, path)
	require.ErrorContains(t, err, "corrupt")
}

// TestSnapshotIsConsistentUnderLoad: snapshots taken while a client creates keys, grants them and
// schedules their deletion always pass the file's checks (a grant is never saved without its key).
func TestSnapshotIsConsistentUnderLoad(t *testing.T) {
	e := newEnv(t)
	call := func(op string, body map[string]any) map[string]any {
		r, _ := request(http.MethodPost, "/v1.0/"+e.id("alice").ProjectID+"/kms/"+op, body)
		r.Header.Set("X-Auth-Token", e.id("alice").Token)
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, r)
		var m map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &m)
		return m
	}
	done := make(chan struct{})
	go func() { // no require here: it may not stop the test from another goroutine
		defer close(done)
		for i := range 200 {
			info, _ := call("create-key", map[string]any{"key_alias": "load-" + strconv.Itoa(i)})["key_info"].(map[string]any)
			id, _ := info["key_id"].(string)
			call("create-grant", map[string]any{"key_id": id, "grantee_principal": e.id("bob").UserID, "operations": []string{"describe-key"}})
			call("schedule-key-deletion", map[string]any{"key_id": id, "pending_days": "7"})
		}
	}()
	snapshots := 0
	for {
		select {
		case <-done:
			st := e.srv.Snapshot()
			keys, grants, _ := st.Counts()
			assert.Equal(t, 200, keys)
			assert.Equal(t, 200, grants)
			assert.Positive(t, snapshots)
			return
		default:
		}
		data, err := e.srv.Snapshot().Marshal()
		require.NoError(t, err)
		_, err = mock.ParseState(data)
		require.NoError(t, err)
		snapshots++
	}
}
