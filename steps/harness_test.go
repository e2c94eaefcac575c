package steps_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/steps"
)

// firstErrors runs one feature against cfg's target and returns each scenario's first step error (nil for
// a scenario that passed), by scenario name.
func firstErrors(t *testing.T, cfg steps.Config, feature string) map[string]error {
	t.Helper()
	if cfg.Identities.Len() == 0 {
		cfg.Identities = identity.Defaults()
	}
	cfg.Retry = steps.RetryPolicy{Attempts: 2, Base: time.Millisecond, Max: time.Millisecond}
	suite, err := steps.New(cfg)
	require.NoError(t, err)
	var mu sync.Mutex
	got := map[string]error{}
	var out strings.Builder
	godog.TestSuite{
		Name: "harness",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			suite.InitializeScenario(sc)
			var name string
			sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
				name = p.Name
				mu.Lock()
				got[name] = nil
				mu.Unlock()
				return ctx, nil
			})
			sc.StepContext().After(func(ctx context.Context, _ *godog.Step, _ godog.StepResultStatus, err error) (context.Context, error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil && got[name] == nil {
					got[name] = err
				}
				return ctx, nil
			})
		},
		Options: &godog.Options{
			Format: "progress", Output: &out, NoColors: true, Strict: true,
			FeatureContents: []godog.Feature{{Name: "harness.feature", Contents: []byte(feature)}},
		},
	}.Run()
	t.Log(out.String())
	return got
}

// requireHarness checks that err is a harness error of the given cause, found the way the runner finds it.
func requireHarness(t *testing.T, err error, cause steps.HarnessCause) {
	t.Helper()
	require.Error(t, err)
	var marked interface{ HarnessError() bool }
	require.True(t, errors.As(err, &marked) && marked.HarnessError(), "want a harness error, got %v", err)
	var h *steps.HarnessError
	require.ErrorAs(t, err, &h)
	assert.Equal(t, cause, h.Cause, "%v", err)
}

// requireFail checks that err is a step failure the runner counts as a fail.
func requireFail(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var marked interface{ HarnessError() bool }
	assert.False(t, errors.As(err, &marked), "want a fail, got the harness error %v", err)
}

func gatewayError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "0123456789abcdef")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error_code":"` + code + `","error_msg":"test","request_id":"0123456789abcdef"}`))
}

func target(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func mockHandler(t *testing.T, control bool) http.Handler {
	t.Helper()
	m, err := mock.New(mock.Options{Control: control})
	require.NoError(t, err)
	return m
}

const unknownKey = "0d0466b0-e727-4d9c-b35d-f84bb474a37f"

func TestUnavailableTarget(t *testing.T) {
	ts := target(t, func(w http.ResponseWriter, _ *http.Request) {
		gatewayError(w, http.StatusServiceUnavailable, "APIGW.0503")
	})
	errs := firstErrors(t, steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client()}, `Feature: unavailable
  Scenario: setup
    Given alice has a key

  Scenario: act
    When alice describes the key "`+unknownKey+`"
    Then the response status is 200
`)
	requireHarness(t, errs["setup"], steps.Unavailable)
	// The call under test is judged as it is: a 503 it does not document is a broken rule.
	requireFail(t, errs["act"])
}

func TestNoAnswer(t *testing.T) {
	closing := target(t, func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	slow := target(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	const feature = `Feature: no answer
  Scenario: setup
    Given alice has a key

  Scenario: act
    When alice describes the key "` + unknownKey + `"
`
	for name, ts := range map[string]*httptest.Server{"connection closed": closing, "timeout": slow} {
		t.Run(name, func(t *testing.T) {
			errs := firstErrors(t, steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client(), Timeout: 200 * time.Millisecond}, feature)
			requireHarness(t, errs["setup"], steps.Transport)
			requireHarness(t, errs["act"], steps.Transport)
		})
	}
}

// TestRejectedSecondaryCredentials: the target refuses bob's credentials (as if the identities file had
// a wrong token for him). Whatever bob does, in setup, as the call under test or in a check, the
// scenario cannot be judged; a rule broken by another call stays a fail.
func TestRejectedSecondaryCredentials(t *testing.T) {
	m := mockHandler(t, false)
	ts := target(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") == "bob-token" {
			gatewayError(w, http.StatusUnauthorized, "APIGW.0301")
			return
		}
		m.ServeHTTP(w, r)
	})
	errs := firstErrors(t, steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client()}, `Feature: bob
  Scenario: setup
    Given bob has a key

  Scenario: act
    Given alice has a key
    And alice has granted bob "create-datakey" on that key
    When bob creates a data key with that key
    Then the response status is 200

  Scenario: act refused
    Given alice has a key
    When bob creates a data key with that key
    Then the response status is 403
    And the error code is "KMS.0306"

  Scenario: check
    Given alice has a key
    And alice has granted bob "create-datakey" on that key
    Then bob can create a data key with that key

  Scenario: wrong on purpose
    Given alice has a key pending deletion
    And alice's credentials are wrong
    When alice cancels the deletion of that key
    Then the response status is 401
    And the error code is "APIGW.0301"

  Scenario: broken rule
    Given alice has a key
    When alice describes that key
    Then the response status is 403
`)
	requireHarness(t, errs["setup"], steps.Credentials)
	assert.Contains(t, errs["setup"].Error(), "bob's credentials")
	requireHarness(t, errs["act"], steps.Credentials)
	requireHarness(t, errs["act refused"], steps.Credentials)
	requireHarness(t, errs["check"], steps.Credentials)
	assert.NoError(t, errs["wrong on purpose"], "a 401 asked for is a passing rule")
	requireFail(t, errs["broken rule"])
}

func TestControlFailure(t *testing.T) {
	// The mock without its control API answers 404 under /_dewconform/, though the runner was told otherwise.
	m := mockHandler(t, false)
	ts := target(t, m.ServeHTTP)
	errs := firstErrors(t, steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client(), Control: true}, `Feature: control
  Scenario: frozen key
    Given alice has a key in state "7"
`)
	requireHarness(t, errs["frozen key"], steps.Control)
}

// TestThrottledCallUnderTest: a real target's 429 to the call under test is not a verdict; the mock never
// throttles, so from the mock (Control) it is a fail.
func TestThrottledCallUnderTest(t *testing.T) {
	const feature = `Feature: throttled
  Scenario: cancel
    Given alice has a key pending deletion
    When alice cancels the deletion of that key
    Then the response status is 200
`
	for _, control := range []bool{false, true} {
		m := mockHandler(t, control)
		ts := target(t, func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/kms/cancel-key-deletion") {
				gatewayError(w, http.StatusTooManyRequests, "APIGW.0308")
				return
			}
			m.ServeHTTP(w, r)
		})
		errs := firstErrors(t, steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client(), Control: control}, feature)
		if control {
			requireFail(t, errs["cancel"])
		} else {
			requireHarness(t, errs["cancel"], steps.Throttled)
		}
	}
}

// A hand-built request names its operation by slug in the feature text: a slug the registry does not know
// fails the step with the known ones, before any call is made.
func TestUnknownOperationInAStep(t *testing.T) {
	var calls atomic.Int32
	ts := target(t, func(w http.ResponseWriter, _ *http.Request) { calls.Add(1) })
	errs := firstErrors(t, steps.Config{KMSEndpoint: ts.URL, HTTPClient: ts.Client()}, `Feature: unknown operation
  Scenario: body
    When alice sends to cancel-key-delition the body:
      """
      {}
      """

  Scenario: method
    When alice sends a GET request to cancel-grant
`)
	for _, name := range []string{"body", "method"} {
		require.Error(t, errs[name], name)
		assert.Contains(t, errs[name].Error(), "unknown operation", name)
		assert.Contains(t, errs[name].Error(), "known: create-key, list-keys", name)
	}
	assert.Zero(t, calls.Load())
}
