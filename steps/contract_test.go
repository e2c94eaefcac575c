package steps_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/openapi"
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

// rawTarget answers every request with status and body as given, byte for byte.
func rawTarget(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "test")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return ts
}

// A member name twice in one object: Go keeps the last value silently, another client may read the
// first; the answer is ambiguous, and fails the step in either mode.
func TestDuplicateMemberNamesFailTheStep(t *testing.T) {
	info, err := json.Marshal(validKeyInfo())
	require.NoError(t, err)
	body := `{"key_info":` + strings.TrimSuffix(string(info), "}") + `,"key_state":"3"}}`
	for _, strict := range []bool{false, true} {
		status, obs := runDescribe(t, rawTarget(t, http.StatusOK, body), strict)
		assert.NotEqual(t, 0, status, "strict=%v: a duplicate member fails the step", strict)
		require.Len(t, obs.violations, 1, "strict=%v", strict)
		v := obs.violations[0]
		assert.Equal(t, "/key_info/key_state", v.Field)
		assert.Contains(t, v.Reason, "more than once")
		assert.False(t, v.Undocumented)
	}
	// The same answer without the repetition passes: the check looks at names, not at values.
	status, obs := runDescribe(t, rawTarget(t, http.StatusOK, `{"key_info":`+string(info)+`}`), true)
	assert.Equal(t, 0, status)
	assert.Empty(t, obs.violations)
}

// revoke-grant documents its 200 without a body: an empty answer or a JSON one is judged as before (a
// JSON object's members are undocumented fields), one that is not JSON is a violation.
func TestNoBodySuccessAnsweringNonJSON(t *testing.T) {
	v, err := steps.NewValidator(context.Background(), map[string][]byte{"kms": openapi.KMS(), "csms": openapi.CSMS()})
	require.NoError(t, err)
	validate := func(body string) []*steps.ContractViolation {
		req := httptest.NewRequest(http.MethodPost, "https://kms.example/v1.0/0123456789abcdef0123456789abcdef/kms/revoke-grant", strings.NewReader(`{}`))
		h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r"}}
		_, vs := v.Validate(context.Background(), req, http.StatusOK, h, []byte(body), "")
		return vs
	}
	assert.Empty(t, validate(""), "no body, as documented")
	assert.Empty(t, validate("  \n"), "white space is no body")
	for _, vi := range validate(`{}`) {
		assert.True(t, vi.Undocumented, "a JSON body is judged member by member: %v", vi)
	}
	vs := validate("OK, revoked")
	require.Len(t, vs, 1)
	assert.False(t, vs[0].Undocumented)
	assert.Equal(t, "revoke-grant", vs[0].Operation)
	assert.Contains(t, vs[0].Reason, "documented without a body")
	dup := validate(`{"a":1,"b":{"c":2,"c":3},"s":"{\"x\":1,\"x\":2}","list":[{"e":[1,{"f":2}]},{"d":1,"d":1}],"\u0061":2}`)
	var fields []string
	for _, vi := range dup {
		if !vi.Undocumented {
			fields = append(fields, vi.Field)
		}
	}
	assert.Equal(t, []string{"/b/c", "/list/1/d", "/a"}, fields, "duplicates are found at any depth, escaped or not, never inside strings")
}
