package conformance_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/conformance"
)

// TestStopWhen ends a run at its first failing scenario: the scenarios not started yet are skipped with
// the reason, nothing is swept, and the run names the scenario that stopped it.
func TestStopWhen(t *testing.T) {
	srv := serve(t, breakCancel(newMockHandler(t, nil)))
	var calls atomic.Int64
	res, _ := run(t, context.Background(), conformance.Config{
		KMSEndpoint: srv.URL, Embedded: true, Control: true, Concurrency: 1, Tags: "@cancel-key-deletion",
		StopWhen: func(s conformance.ScenarioResult) bool {
			calls.Add(1)
			return s.Outcome == conformance.Fail
		},
	})
	require.Equal(t, 1, res.Counts[conformance.Fail], res.Verdict())
	assert.Equal(t, 1, res.ExitCode())
	assert.NotZero(t, res.Counts[conformance.Skip])
	assert.Equal(t, len(res.Scenarios), res.Counts[conformance.Pass]+res.Counts[conformance.Fail]+res.Counts[conformance.Skip])
	var first conformance.ScenarioResult
	for _, s := range res.Scenarios {
		switch s.Outcome {
		case conformance.Fail:
			first = s
		case conformance.Skip:
			assert.Equal(t, "not started: the run stopped early", s.Reason, s.ID)
		}
	}
	assert.Equal(t, "stopped early after "+first.ID, res.Reason)
	assert.False(t, res.Interrupted)
	assert.Empty(t, res.Swept)
	assert.EqualValues(t, len(res.Scenarios), calls.Load(), "StopWhen sees every scenario, the skipped ones too")
}

// TestStopWhenNeverTrue changes nothing: every scenario runs.
func TestStopWhenNeverTrue(t *testing.T) {
	srv := serve(t, newMockHandler(t, nil))
	res, _ := run(t, context.Background(), conformance.Config{
		KMSEndpoint: srv.URL, Embedded: true, Control: true, Tags: "@restore-secret && ~@multi-user",
		StopWhen: func(conformance.ScenarioResult) bool { return false },
	})
	assert.Equal(t, 0, res.ExitCode(), res.Verdict())
	assert.Empty(t, res.Reason)
	assert.Zero(t, res.Counts[conformance.Skip])
}
