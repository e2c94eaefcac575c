package mock_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

func (e *env) schedule(keyID string) {
	e.t.Helper()
	r := e.kms("alice", "schedule-key-deletion", map[string]any{"key_id": keyID, "pending_days": "7"})
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
}

func (e *env) scheduleSecret(who, name string) {
	e.t.Helper()
	r := e.csms(who, http.MethodPost, "/"+name+"/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 7})
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
}

func (e *env) stats() mock.StatsReport {
	e.t.Helper()
	return e.srv.Stats()
}

// TestPurgeRemovesOnlyWhatARunScheduledForDeletion: a purge by run id removes that run's keys pending
// deletion (with their grants) and its secrets pending deletion at once; the run's live resources,
// another run's resources and resources without the prefix stay.
func TestPurgeRemovesOnlyWhatARunScheduledForDeletion(t *testing.T) {
	e := newEnv(t, func(o *mock.Options) { o.Limits.KeysPerProject = 5 })
	gone := e.createKey("alice", "dewconform-r1-gone")
	e.createGrant("alice", gone, map[string]any{"grantee_principal": e.id("bob").UserID, "operations": []string{"describe-key"}})
	e.createGrant("alice", gone, map[string]any{"grantee_principal": e.id("carol").UserID, "operations": []string{"describe-key"}})
	e.schedule(gone)
	live := e.createKey("alice", "dewconform-r1-live")
	other := e.createKey("alice", "dewconform-r2-other")
	e.schedule(other)
	mine := e.createKey("alice", "mine")
	e.schedule(mine)
	e.createSecret("alice", "dewconform-r1-s")
	e.scheduleSecret("alice", "dewconform-r1-s")
	e.createSecret("alice", "dewconform-r1-live-secret")
	e.createSecret("eve", "dewconform-r1-eve")
	e.scheduleSecret("eve", "dewconform-r1-eve")

	// The quota is full: keys pending deletion count, and so does alice's csms/default key.
	require.Equal(t, "KMS.1105", e.kms("alice", "create-key", map[string]any{"key_alias": "full"}).code())
	before := e.stats()
	assert.Equal(t, 4+2, before.Total.Keys, "four keys and the csms/default keys of alice and eve")
	assert.Equal(t, 3, before.Total.KeysPendingDeletion)
	assert.Equal(t, 2, before.Total.Grants)
	assert.Equal(t, 3, before.Total.Secrets)

	r := e.control("purge", map[string]any{"run_id": "r1"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var res mock.PurgeResult
	require.NoError(t, json.Unmarshal(r.Body, &res))
	assert.Equal(t, "dewconform-r1-", res.Prefix)
	require.Len(t, res.Keys, 1)
	assert.Equal(t, mock.PurgedKey{KeyID: gone, Alias: "dewconform-r1-gone", ProjectID: e.id("alice").ProjectID, Grants: 2}, res.Keys[0])
	assert.Equal(t, 2, res.Grants)
	assert.ElementsMatch(t, []mock.PurgedSecret{
		{Name: "dewconform-r1-s", ProjectID: e.id("alice").ProjectID},
		{Name: "dewconform-r1-eve", ProjectID: e.id("eve").ProjectID},
	}, res.Secrets)

	assert.Equal(t, "KMS.0207", e.keyState(gone))
	assert.Equal(t, "2", e.keyState(live), "a live key of the run stays")
	assert.Equal(t, "4", e.keyState(other), "another run's key stays")
	assert.Equal(t, "4", e.keyState(mine), "a key without the prefix stays")
	assert.Equal(t, "CSMS.0005", e.secretState("alice", "dewconform-r1-s"))
	assert.Equal(t, "ENABLED", e.secretState("alice", "dewconform-r1-live-secret"))
	after := e.stats()
	assert.Equal(t, before.Total.Keys-1, after.Total.Keys)
	assert.Equal(t, 0, after.Total.Grants)
	assert.Equal(t, 1, after.Total.Secrets)
	e.createKey("alice", "room-again") // the purged key freed its place in the quota

	// A purge by prefix covers every run; a second purge finds nothing.
	r = e.control("purge", map[string]any{"prefix": "dewconform-"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.NoError(t, json.Unmarshal(r.Body, &res))
	require.Len(t, res.Keys, 1)
	assert.Equal(t, other, res.Keys[0].KeyID)
	r = e.control("purge", map[string]any{"prefix": "dewconform-"})
	require.NoError(t, json.Unmarshal(r.Body, &res))
	assert.Empty(t, res.Keys)
	assert.Empty(t, res.Secrets)
	assert.Equal(t, "4", e.keyState(mine))
}

func TestPurgeRefusesBadRequests(t *testing.T) {
	e := newEnv(t)
	key := e.createKey("alice", "precious")
	e.schedule(key)
	for _, body := range []any{
		map[string]any{},
		map[string]any{"prefix": ""},
		map[string]any{"prefix": "prec"},
		map[string]any{"prefix": "dewconform"},
		map[string]any{"run_id": "a b"},
		map[string]any{"run_id": "r", "prefix": "dewconform-"},
		map[string]any{"runid": "r"},
		"not json",
	} {
		r := e.control("purge", body)
		assert.Equal(t, 400, r.Status, "%v: %s", body, r.Body)
		assert.Contains(t, r.json(t), "error")
	}
	assert.Equal(t, "4", e.keyState(key))

	// Without the control API the endpoint does not exist.
	off := newEnv(t, func(o *mock.Options) { o.Control = false })
	r := off.control("purge", map[string]any{"prefix": "dewconform-"})
	assert.Equal(t, 404, r.Status)
}

func TestStatsEndpoint(t *testing.T) {
	e := newEnv(t, func(o *mock.Options) { o.Limits.KeysPerProject = 7 })
	e.createKey("alice", "a")
	e.createSecret("eve", "s")
	r := e.serve(httptest.NewRequest(http.MethodGet, "/_dewconform/stats", nil))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var rep mock.StatsReport
	require.NoError(t, json.Unmarshal(r.Body, &rep))
	require.Len(t, rep.Projects, 2)
	assert.Equal(t, 2, rep.Total.Keys, "alice's key and eve's csms/default")
	assert.Equal(t, 1, rep.Total.DefaultKeys)
	assert.Equal(t, 1, rep.Total.Secrets)
	assert.Equal(t, 7, rep.Limits.KeysPerProject)
	assert.Equal(t, 100, rep.Limits.GrantsPerKey)
}
