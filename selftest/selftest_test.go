package selftest_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/selftest"
)

// TestSelftest is the self-test itself, as `dewconform selftest` runs it: the full suite against a clean
// mock, then every fault of the catalogue on its own mock. Every fault must be detected, through a fail
// (an error counts only for transport faults) of a scenario tagged with the operation it breaks, and the
// strict-only faults only in strict mode.
func TestSelftest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite and every fault")
	}
	t.Parallel()
	report := filepath.Join(t.TempDir(), "selftest.md")
	var out bytes.Buffer
	start := time.Now()
	rep, err := selftest.Run(context.Background(), selftest.Options{Report: report}, &out)
	require.NoError(t, err)
	t.Logf("%s\n(%s)", out.String(), time.Since(start).Round(time.Millisecond))

	assert.True(t, rep.Clean.Passed, "the clean run must pass: %s %v", rep.Clean.Verdict, rep.Clean.Failures)
	assert.Greater(t, rep.Clean.Scenarios, 100, "the clean run is the full suite")
	require.GreaterOrEqual(t, len(rep.Faults), 30)
	classes := map[string]map[selftest.Class]bool{}
	for _, f := range rep.Faults {
		assert.Equal(t, selftest.Detected, f.Verdict, "%s (%s, @%s) was not detected: %s %s", f.Fault.Name, f.Fault.Class,
			f.Fault.Operation, f.Reason, f.Err)
		if f.Verdict == selftest.Detected {
			assert.Contains(t, f.Scenario, ".feature:", f.Fault.Name)
			if f.Fault.Class == selftest.ClassTransport {
				assert.Contains(t, []conformance.Outcome{conformance.Fail, conformance.Error}, f.Outcome, f.Fault.Name)
			} else {
				assert.Equal(t, conformance.Fail, f.Outcome, "%s must be caught by a fail, not an error", f.Fault.Name)
			}
		}
		if f.Fault.StrictOnly {
			assert.Equal(t, selftest.Missed, f.NonStrict, "%s must not be detected without strict", f.Fault.Name)
		} else {
			assert.Empty(t, f.NonStrict, f.Fault.Name)
		}
		if classes[f.Fault.Operation] == nil {
			classes[f.Fault.Operation] = map[selftest.Class]bool{}
		}
		classes[f.Fault.Operation][f.Fault.Class] = true
	}
	for _, op := range selftest.SeedOperations() {
		for _, c := range selftest.Classes() {
			assert.True(t, classes[op][c], "no %s fault for %s", c, op)
		}
	}
	assert.True(t, rep.OK())
	assert.Equal(t, len(rep.Faults), rep.DetectedCount())

	md, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(md), "| fault | class | operation | result | first scenario that caught it |")
	assert.Contains(t, string(md), "100%")
	for _, f := range rep.Faults {
		assert.Contains(t, string(md), "| "+f.Fault.Name+" |")
	}
	assert.Contains(t, out.String(), "selftest: PASS")
}

// TestAMissedFaultFails runs the machinery with a catalogue of three faults: one caught, one that changes
// nothing (so no scenario can catch it), one strict-only fault that a run without strict catches. Only
// the first counts as detected, and the report says why the others are not.
func TestAMissedFaultFails(t *testing.T) {
	t.Parallel()
	byName := map[string]selftest.Fault{}
	for _, f := range selftest.Faults() {
		byName[f.Name] = f
	}
	caught := byName["restore-state-restored"]
	silent := selftest.Fault{Name: "restore-silent", Class: selftest.ClassShape, Operation: "restore-secret",
		Description: "changes nothing", Wrap: func(h http.Handler) http.Handler { return h }}
	notStrict := caught
	notStrict.Name, notStrict.Class, notStrict.StrictOnly = "restore-not-strict-only", selftest.ClassStrict, true
	report := filepath.Join(t.TempDir(), "selftest.md")
	var out bytes.Buffer
	rep, err := selftest.Run(context.Background(), selftest.Options{
		Catalogue: []selftest.Fault{caught, silent, notStrict}, CleanTags: "@restore-secret && ~@multi-user", Report: report,
	}, &out)
	require.NoError(t, err)
	require.Len(t, rep.Faults, 3)
	assert.True(t, rep.Clean.Passed, rep.Clean.Verdict)
	assert.Equal(t, selftest.Detected, rep.Faults[0].Verdict)
	assert.Equal(t, selftest.Missed, rep.Faults[1].Verdict)
	assert.Greater(t, rep.Faults[1].Scenarios, 10, "a missed fault's run goes through all the operation's scenarios")
	assert.Equal(t, selftest.DetectedWithoutStrict, rep.Faults[2].Verdict)
	assert.False(t, rep.OK())
	assert.Equal(t, 1, rep.DetectedCount())
	assert.Contains(t, out.String(), "selftest: FAIL: 1/3 faults detected")
	assert.Contains(t, out.String(), "missed restore-silent: no scenario tagged @restore-secret failed")
	md, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(md), "## Not detected")
	assert.Contains(t, string(md), "restore-not-strict-only")
}

func TestUnknownFault(t *testing.T) {
	_, err := selftest.Run(context.Background(), selftest.Options{Faults: []string{"no-such-fault"}}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no-such-fault")
}
