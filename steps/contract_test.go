package steps_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/steps"
)

// describeFeature has a single When step, so a failing run can only come from the validator failing it.
const describeFeature = `Feature: contract
  Scenario: describe a key
    When alice describes the key "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
`

func validKeyInfo() map[string]any {
	return map[string]any{
		"key_id":        "0d0466b0-e727-4d9c-b35d-f84bb474a37f",
		"domain_id":     "00074811d5c27c4f8d48bb91e4a1dcfd",
		"key_alias":     "test",
		"creation_date": "1502799822000",
		"key_state":     "2",
	}
}

// brokenTarget answers every request with status and {"key_info": info}.
func brokenTarget(t *testing.T, status int, info map[string]any) *httptest.Server {
	t.Helper()
	body, err := json.Marshal(map[string]any{"key_info": info})
	require.NoError(t, err)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "test")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func runDescribe(t *testing.T, ts *httptest.Server, strict bool) (int, *recorder) {
	t.Helper()
	obs := &recorder{}
	suite, err := steps.New(steps.Config{KMSEndpoint: ts.URL, Identities: identity.Defaults(), HTTPClient: ts.Client(), Strict: strict, Observer: obs, RunID: "contract"})
	require.NoError(t, err)
	var out strings.Builder
	status := godog.TestSuite{
		Name:                "contract",
		ScenarioInitializer: suite.InitializeScenario,
		Options: &godog.Options{
			Format: "progress", Output: &out, NoColors: true, Strict: true,
			FeatureContents: []godog.Feature{{Name: "contract.feature", Contents: []byte(describeFeature)}},
		},
	}.Run()
	t.Log(out.String())
	return status, obs
}

func TestContractViolationsFailTheStep(t *testing.T) {
	tests := []struct {
		name   string
		status int
		mutate func(map[string]any)
		field  string
		reason string
	}{
		{name: "undocumented status", status: http.StatusTeapot, mutate: func(map[string]any) {}, reason: "status 418 is not documented"},
		{name: "out-of-enum value", status: http.StatusOK, mutate: func(m map[string]any) { m["key_state"] = "9" }, field: "/key_info/key_state", reason: "enum"},
		{name: "wrong JSON type", status: http.StatusOK, mutate: func(m map[string]any) { m["key_alias"] = 42 }, field: "/key_info/key_alias", reason: "string"},
		{name: "missing required field", status: http.StatusOK, mutate: func(m map[string]any) { delete(m, "key_alias") }, field: "/key_info/key_alias", reason: "required"},
		{name: "undocumented redirect", status: http.StatusMovedPermanently, mutate: func(map[string]any) {}, reason: "status 301 is not documented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := validKeyInfo()
			tt.mutate(info)
			status, obs := runDescribe(t, brokenTarget(t, tt.status, info), false)
			assert.NotEqual(t, 0, status, "the step should fail")
			require.Len(t, obs.violations, 1)
			v := obs.violations[0]
			assert.Equal(t, "describe-key", v.Operation)
			assert.Equal(t, "ListKeyDetail", v.OperationID)
			assert.Equal(t, tt.status, v.Status)
			assert.Equal(t, tt.field, v.Field)
			assert.Contains(t, v.Reason, tt.reason)
			assert.False(t, v.Undocumented)
		})
	}
}

func TestValidResponsePasses(t *testing.T) {
	status, obs := runDescribe(t, brokenTarget(t, http.StatusOK, validKeyInfo()), true)
	assert.Equal(t, 0, status)
	assert.Empty(t, obs.violations)
}

func TestUndocumentedFieldFailsOnlyInStrictMode(t *testing.T) {
	info := validKeyInfo()
	info["colour"] = "blue"
	for _, strict := range []bool{false, true} {
		status, obs := runDescribe(t, brokenTarget(t, http.StatusOK, info), strict)
		require.Len(t, obs.violations, 1, "strict=%v", strict)
		v := obs.violations[0]
		assert.True(t, v.Undocumented)
		assert.Equal(t, "/key_info/colour", v.Field)
		if strict {
			assert.NotEqual(t, 0, status, "strict mode fails the step")
		} else {
			assert.Equal(t, 0, status, "without strict mode the field is only reported")
		}
	}
}
