package conformance_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/steps"
)

// TestRunIDIsPrintedBeforeAnyScenario: the first resource a run creates finds the run id and the prefix
// already on the console, so that a run killed at once (a second Ctrl-C) leaves them on screen.
func TestRunIDIsPrintedBeforeAnyScenario(t *testing.T) {
	m := newMockHandler(t, nil)
	var out lockedBuffer
	var seenAtFirstCreate atomic.Value
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/kms/create-key") {
			seenAtFirstCreate.CompareAndSwap(nil, out.String())
		}
		m.ServeHTTP(w, r)
	}))
	const runID = "announce1"
	res, err := conformance.Run(context.Background(), conformance.Config{
		KMSEndpoint: srv.URL, RPS: -1, RunID: runID, Tags: "@create-datakey && ~@mock-only",
	}, &out, &out)
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitCode(), res.Verdict())
	first, _ := seenAtFirstCreate.Load().(string)
	require.NotEmpty(t, first, "the run created no key")
	assert.Contains(t, first, "run id "+runID, "the run id is on the console before the first resource is created")
	assert.Contains(t, first, steps.Prefix(runID))
	assert.Contains(t, first, "cleanup --endpoint "+srv.URL+" --run-id "+runID)
}

// TestCleanupLeftoversExitTwo: scenarios that all pass, but whose keys cannot be scheduled for deletion
// (neither by the scenarios' cleanup nor by the sweep), leave billed resources: the run exits 2 and
// lists them.
func TestCleanupLeftoversExitTwo(t *testing.T) {
	m := newMockHandler(t, nil)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/kms/schedule-key-deletion") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":{"error_code":"KMS.0403","error_msg":"not allowed here"}}`))
			return
		}
		m.ServeHTTP(w, r)
	}))
	res, out := run(t, context.Background(), conformance.Config{
		KMSEndpoint: srv.URL, RPS: -1, RunID: "leftover1", Tags: "@create-key && ~@describe-key && ~@mock-only",
	})
	assert.Zero(t, res.Counts[conformance.Fail]+res.Counts[conformance.Error], out)
	assert.NotZero(t, res.Counts[conformance.Pass])
	require.NotEmpty(t, res.Leftovers, out)
	for _, l := range res.Leftovers {
		assert.Contains(t, l, "key "+steps.Prefix("leftover1"))
	}
	assert.Equal(t, 2, res.ExitCode())
	assert.Contains(t, res.Verdict(), "LEFT BEHIND")
	assert.Contains(t, out, "left behind: key "+steps.Prefix("leftover1"))
}

// TestQuotaRefusalInSetupIsAnError: a full account says nothing of the rule under test (exit 2, with the
// reason); another refusal of a setup call is a fail charged to the operation that refused.
func TestQuotaRefusalInSetupIsAnError(t *testing.T) {
	t.Run("quota", func(t *testing.T) {
		m, err := mock.New(mock.Options{Control: true, Limits: mock.Limits{KeysPerProject: 1, GrantsPerKey: 100, SecretsPerProject: 100}})
		require.NoError(t, err)
		srv := serve(t, m)
		res, out := run(t, context.Background(), conformance.Config{
			KMSEndpoint: srv.URL, RPS: -1, Concurrency: 1, Tags: "@create-grant && ~@mock-only",
		})
		assert.Zero(t, res.Counts[conformance.Fail], out)
		require.NotZero(t, res.Counts[conformance.Error], out)
		assert.Equal(t, 2, res.ExitCode())
		for _, s := range res.Scenarios {
			if s.Outcome == conformance.Error {
				assert.Contains(t, s.Reason, "KMS.1105", s.Name)
				assert.Contains(t, s.Reason, "quota", s.Name)
			}
		}
	})
	t.Run("other refusal", func(t *testing.T) {
		m := newMockHandler(t, nil)
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/kms/create-key") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":{"error_code":"KMS.0204","error_msg":"refused"}}`))
				return
			}
			m.ServeHTTP(w, r)
		}))
		res, out := run(t, context.Background(), conformance.Config{
			KMSEndpoint: srv.URL, RPS: -1, Tags: "@create-datakey && ~@mock-only",
		})
		require.NotZero(t, res.Counts[conformance.Fail], out)
		assert.Equal(t, 1, res.ExitCode())
		for _, s := range res.Scenarios {
			if s.Outcome == conformance.Fail {
				assert.Contains(t, s.Reason, "setup call refused by create-key", s.Name)
				assert.Equal(t, "create-key", s.ChargedTo, s.Name)
				assert.Contains(t, s.Operations, "create-key", "the fail counts under the operation that refused")
				assert.Contains(t, s.Operations, "create-datakey")
			}
		}
	})
}

// TestBudget: --max-keys refuses, before any call that creates, a run whose scenarios would create more
// keys than allowed (exit 2, with the estimate); a run that fits prints what it created, and the
// scenarios that only read share one key per actor, scheduled for deletion at the end.
func TestBudget(t *testing.T) {
	m := newMockHandler(t, nil)
	var creates atomic.Int64
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/kms/create-key") {
			creates.Add(1)
		}
		m.ServeHTTP(w, r)
	}))
	t.Run("over", func(t *testing.T) {
		res, out := run(t, context.Background(), conformance.Config{
			KMSEndpoint: srv.URL, RPS: -1, MaxKeys: 1, Tags: "@create-grant && ~@mock-only",
		})
		assert.Equal(t, 2, res.ExitCode())
		assert.Contains(t, res.Reason, "more than --max-keys 1")
		assert.Greater(t, res.Estimate.Keys, 1)
		assert.Contains(t, out, res.Reason)
		assert.Zero(t, creates.Load(), "nothing was created")
		assert.Empty(t, res.Scenarios)
	})
	t.Run("within", func(t *testing.T) {
		creates.Store(0)
		res, out := run(t, context.Background(), conformance.Config{
			KMSEndpoint: srv.URL, RPS: -1, MaxKeys: 1, MaxSecrets: 1, RunID: "budget1", Tags: "@create-datakey && ~@decrypt-datakey && ~@mock-only",
		})
		require.Equal(t, 0, res.ExitCode(), res.Verdict())
		assert.Equal(t, 1, res.Estimate.Keys)
		assert.Equal(t, 1, res.Estimate.SharedKeys)
		assert.Equal(t, res.Counts[conformance.Pass], res.Estimate.SharingScenarios, "every create-datakey scenario reads only")
		assert.Equal(t, 1, res.Created.Keys, "the scenarios shared one key")
		assert.EqualValues(t, creates.Load(), res.Created.Keys)
		assert.Greater(t, res.Created.Requests, 3)
		assert.Contains(t, out, "created: 1 key(s), 0 secret(s), 0 grant(s), ")
		keys, _ := listAll(t, srv.URL)
		var mine int
		for alias, state := range keys {
			if strings.HasPrefix(alias, steps.Prefix("budget1")) {
				mine++
				assert.Equal(t, "4", state, "the shared key %s is scheduled for deletion when the run ends", alias)
			}
		}
		assert.Equal(t, 1, mine)
	})
}

// TestKeyQuotaIsCheckedBeforeTheFirstScenario: against a target that is not the mock, a run that would
// not fit in what the key quota leaves (user-quotas) stops before creating anything (exit 2, with the
// numbers); one that fits runs.
func TestKeyQuotaIsCheckedBeforeTheFirstScenario(t *testing.T) {
	var creates atomic.Int64
	counting := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/kms/create-key") {
				creates.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
	small := realTarget(t, func(next http.Handler) http.Handler {
		return counting(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/kms/user-quotas") {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			copyAnswer(w, rec, bytes.ReplaceAll(rec.Body.Bytes(), []byte(`"quota":100000,"type":"CMK"`), []byte(`"quota":10,"type":"CMK"`)))
		}))
	})
	res, out := run(t, context.Background(), realConfig(small, "@create-grant && ~@mock-only"))
	require.Greater(t, res.Estimate.Keys, 10)
	assert.Equal(t, 2, res.ExitCode())
	assert.Contains(t, res.Reason, "the project's key quota leaves 10 (user-quotas: quota 10, used 0")
	assert.Contains(t, out, "key quota 10, 0 used")
	assert.Zero(t, creates.Load(), "nothing was created")

	big := realTarget(t, counting)
	res, out = run(t, context.Background(), realConfig(big, "@create-grant && ~@mock-only"))
	assert.Equal(t, 0, res.ExitCode(), res.Verdict())
	assert.Contains(t, out, "key quota 100000")
	assert.NotZero(t, creates.Load())
}

// TestCleanupReportsWhatItCouldNotReach: a list-keys page whose next_marker is longer than the documented
// 4 characters cannot be followed: the cleanup says which listing it could not finish and fails, instead
// of reporting a clean sweep.
func TestCleanupReportsWhatItCouldNotReach(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "r")
		switch {
		case strings.HasSuffix(r.URL.Path, "/kms/list-keys"):
			_, _ = w.Write([]byte(`{"keys":[],"key_details":[],"next_marker":"10000","truncated":"true","total":20000}`))
		case strings.HasSuffix(r.URL.Path, "/secrets"):
			_, _ = w.Write([]byte(`{"secrets":[],"page_info":{"next_marker":null,"previous_marker":null,"current_count":0}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	res, err := conformance.Cleanup(context.Background(), conformance.Config{KMSEndpoint: srv.URL, RPS: -1}, "", true)
	require.Error(t, err)
	require.NotEmpty(t, res.Unreached)
	assert.Contains(t, res.Unreached[0], `keys of project 0123456789abcdef0123456789abcdef after marker "10000": the marker is longer than the documented 4 characters`)
	assert.Empty(t, res.Scheduled)
}
