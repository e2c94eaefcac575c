package steps_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/steps"
)

// answering serves every request with status and an error body carrying code (the gateway's envelope
// for APIGW codes, KMS's otherwise), or a key for a 200.
func answering(t *testing.T, status int, code string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "test")
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write([]byte(`{"key_info":{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37f","domain_id":"00074811d5c27c4f8d48bb91e4a1dcfd","key_alias":"a","creation_date":"1502799822000","key_state":"2"}}`))
			return
		}
		if strings.HasPrefix(code, "APIGW.") {
			_, _ = w.Write([]byte(`{"error_code":"` + code + `","error_msg":"no","request_id":"r"}`))
			return
		}
		_, _ = w.Write([]byte(`{"error":{"error_code":"` + code + `","error_msg":"no"}}`))
	}))
	t.Cleanup(ts.Close)
	return ts
}

const refusalFeature = `Feature: refusals
  Scenario: refused
    When alice describes the key "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
    Then the call is refused
`

func TestTheCallIsRefused(t *testing.T) {
	cfg := func(ts *httptest.Server) steps.Config {
		return steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client(), RunID: "refused"}
	}
	for status, code := range map[int]string{400: "KMS.0207", 403: "KMS.0306", 404: "APIGW.0101", 413: "APIGW.0201"} {
		ts := answering(t, status, code)
		assert.NoError(t, firstErrors(t, cfg(ts), refusalFeature)["refused"], "a %d is a refusal", status)
	}
	ts := answering(t, http.StatusOK, "")
	err := firstErrors(t, cfg(ts), refusalFeature)["refused"]
	requireFail(t, err)
	assert.Contains(t, err.Error(), "(describe-key) answered 200", "the failure names the call and its answer")
	ts = answering(t, http.StatusInternalServerError, "KMS.0001")
	requireFail(t, firstErrors(t, cfg(ts), refusalFeature)["refused"])
	// A 401 to alice's own credentials says nothing about the rule.
	ts = answering(t, http.StatusUnauthorized, "APIGW.0301")
	requireHarness(t, firstErrors(t, cfg(ts), refusalFeature)["refused"], steps.Credentials)
	// ...while to wrong credentials it is the refusal the scenario wants.
	wrong := strings.Replace(refusalFeature, "    When", "    Given alice's credentials are wrong\n    When", 1)
	assert.NoError(t, firstErrors(t, cfg(ts), wrong)["refused"])
	// A real target's 429 is throttling, not a refusal.
	ts = answering(t, http.StatusTooManyRequests, "APIGW.0308")
	requireHarness(t, firstErrors(t, cfg(ts), refusalFeature)["refused"], steps.Throttled)
}

const unconfirmedFeature = `Feature: unconfirmed
  Scenario: open code
    When alice describes the key "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
    Then the call is refused
    And the error code is "KMS.0306" (unconfirmed)
    And the response status is 400 (unconfirmed)
    And the response status is 403
`

// An assertion marked (unconfirmed) that does not hold is recorded and the scenario goes on to its later
// steps; with UnconfirmedGates (the mock) it fails its step; a harness error stays an error.
func TestUnconfirmedAssertions(t *testing.T) {
	ts := answering(t, http.StatusBadRequest, "KMS.0207")
	obs := &recorder{}
	errs := firstErrors(t, steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client(), RunID: "open", Observer: obs}, unconfirmedFeature)
	err := errs["open code"]
	requireFail(t, err)
	assert.Contains(t, err.Error(), "want status 403", "the steps after the differing assertion ran, the gating one failed")
	require.Len(t, obs.unconfirmed, 2, "every judged unconfirmed assertion is reported")
	assert.Equal(t, steps.UnconfirmedAssertion{Step: `the error code is "KMS.0306" (unconfirmed)`, Differs: true, Detail: obs.unconfirmed[0].Detail}, obs.unconfirmed[0])
	assert.Contains(t, obs.unconfirmed[0].Detail, `got "KMS.0207"`)
	assert.Equal(t, steps.UnconfirmedAssertion{Step: "the response status is 400 (unconfirmed)"}, obs.unconfirmed[1])

	gated := &recorder{}
	err = firstErrors(t, steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client(), RunID: "open", Observer: gated, UnconfirmedGates: true}, unconfirmedFeature)["open code"]
	requireFail(t, err)
	assert.True(t, strings.Contains(err.Error(), "KMS.0306"), "against the mock the unconfirmed assertion fails its step: %v", err)
	require.Len(t, gated.unconfirmed, 1)
	assert.True(t, gated.unconfirmed[0].Differs)

	ts = answering(t, http.StatusUnauthorized, "APIGW.0301")
	unjudged := &recorder{}
	err = firstErrors(t, steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client(), RunID: "open", Observer: unjudged},
		strings.Replace(unconfirmedFeature, "    Then the call is refused\n", "", 1))["open code"]
	requireHarness(t, err, steps.Credentials)
	assert.Empty(t, unjudged.unconfirmed, "nothing was judged, so nothing is recorded")
}
