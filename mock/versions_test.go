package mock_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

// versionView lists a secret's versions as id -> stages.
func versionView(t *testing.T, e *env, name string) map[string][]string {
	t.Helper()
	r := e.csms("alice", http.MethodGet, "/"+name+"/versions", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	out := map[string][]string{}
	for _, it := range r.json(t)["version_metadatas"].([]any) {
		m := it.(map[string]any)
		stages := []string{}
		for _, s := range m["version_stages"].([]any) {
			stages = append(stages, s.(string))
		}
		out[m["id"].(string)] = stages
	}
	return out
}

func addVersion(t *testing.T, e *env, name string, body map[string]any) resp {
	t.Helper()
	return e.csms("alice", http.MethodPost, "/"+name+"/versions", body)
}

// TestVersionsAndStagesSurviveARestart: values, stages, stage times and expiry come back from a state file.
func TestVersionsAndStagesSurviveARestart(t *testing.T) {
	e := newEnv(t)
	e.createSecret("alice", "kept")
	require.Equal(t, 200, addVersion(t, e, "kept", map[string]any{"secret_string": "second"}).Status)
	require.Equal(t, 200, addVersion(t, e, "kept", map[string]any{"secret_binary": "AAEC", "version_stages": []string{"blue"}}).Status)
	require.Equal(t, 200, e.csms("alice", http.MethodPut, "/kept/versions/v1", map[string]any{"expire_time": 4102444800000}).Status)
	stage := e.csms("alice", http.MethodGet, "/kept/stages/blue", nil).json(t)["stage"]
	before := versionView(t, e, "kept")

	next, _ := restart(t, e)
	assert.Equal(t, before, versionView(t, next, "kept"))
	assert.Equal(t, stage, next.csms("alice", http.MethodGet, "/kept/stages/blue", nil).json(t)["stage"], "the stage's update_time too")
	r := next.csms("alice", http.MethodGet, "/kept/versions/v3", nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "AAEC", r.json(t)["version"].(map[string]any)["secret_binary"])
	r = next.csms("alice", http.MethodGet, "/kept/versions/v1", nil)
	assert.EqualValues(t, 4102444800000, r.json(t)["version"].(map[string]any)["version_metadata"].(map[string]any)["expire_time"])
	// The next version number continues after the restored ones.
	r = addVersion(t, next, "kept", map[string]any{"secret_string": "fourth"})
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "v4", r.json(t)["version_metadata"].(map[string]any)["id"])
}

// TestStateRefusesImpossibleVersions: a stage on two versions, a version id twice or off the pattern.
func TestStateRefusesImpossibleVersions(t *testing.T) {
	e := newEnv(t)
	e.createSecret("alice", "s")
	require.Equal(t, 200, addVersion(t, e, "s", map[string]any{"secret_string": "2"}).Status)
	good, err := e.srv.Snapshot().Marshal()
	require.NoError(t, err)
	edit := func(f func(vs []any)) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(good, &m))
		f(m["secrets"].([]any)[0].(map[string]any)["versions"].([]any))
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"stage twice":   {edit(func(vs []any) { vs[0].(map[string]any)["Stages"] = []string{"SYSCURRENT"} }), "stage SYSCURRENT on versions"},
		"id twice":      {edit(func(vs []any) { vs[1].(map[string]any)["ID"] = "v1" }), "version v1 appears twice"},
		"id off format": {edit(func(vs []any) { vs[1].(map[string]any)["ID"] = "latest" }), "an id v<n>"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := mock.ParseState(tc.data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestSeedVersions: a seed stores versions after v1 with the stages it names.
func TestSeedVersions(t *testing.T) {
	seed, err := mock.ParseSeed([]byte(`secrets:
  - owner: alice
    name: rotated
    value: one
    versions:
      - value: two
      - binary: AAEC
        stages: [pending]
`))
	require.NoError(t, err)
	e := newEnv(t, func(o *mock.Options) { o.Seed = seed })
	assert.Equal(t, map[string][]string{"v1": {"SYSPREVIOUS"}, "v2": {"SYSCURRENT"}, "v3": {"pending"}}, versionView(t, e, "rotated"))

	bad, err := mock.ParseSeed([]byte("secrets: [{owner: alice, name: x, value: a, versions: [{stages: [s]}]}]"))
	require.NoError(t, err)
	_, err = mock.New(mock.Options{Seed: bad})
	require.ErrorContains(t, err, "versions[0]")
}

// TestVersionLimits: the 21st version drops the oldest version without a stage; a 13th stage is refused
// with CSMS.0203.
func TestVersionLimits(t *testing.T) {
	e := newEnv(t)
	e.createSecret("alice", "many")
	for i := 2; i <= mock.MaxSecretVersions; i++ {
		require.Equal(t, 200, addVersion(t, e, "many", map[string]any{"secret_string": fmt.Sprint(i)}).Status)
	}
	r := addVersion(t, e, "many", map[string]any{"secret_string": "21"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	assert.Equal(t, "v21", r.json(t)["version_metadata"].(map[string]any)["id"])
	view := versionView(t, e, "many")
	assert.Len(t, view, mock.MaxSecretVersions)
	assert.NotContains(t, view, "v1", "the oldest version without a stage made room")

	e.createSecret("alice", "staged")
	for i := 1; i < mock.MaxSecretStages; i++ { // SYSCURRENT is the first
		r := e.csms("alice", http.MethodPut, fmt.Sprintf("/staged/stages/s%d", i), map[string]any{"version_id": "v1"})
		require.Equal(t, 200, r.Status, "%s", r.Body)
	}
	r = e.csms("alice", http.MethodPut, "/staged/stages/one-more", map[string]any{"version_id": "v1"})
	assert.Equal(t, "CSMS.0203", r.code(), "%s", r.Body)
	r = addVersion(t, e, "staged", map[string]any{"secret_string": "x", "version_stages": []string{"one-more"}})
	assert.Equal(t, "CSMS.0203", r.code(), "a new version cannot bring a 13th stage either: %s", r.Body)
}
