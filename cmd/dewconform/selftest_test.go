package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/selftest"
)

// shortClean keeps the CLI tests quick: the clean run covers only the operation of the faults they pick.
func shortClean(o *selftest.Options) { o.CleanTags = "@restore-secret && ~@multi-user" }

func runSelftest(t *testing.T, adjust func(*selftest.Options), args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := selftestWith(context.Background(), args, &out, &errb, adjust)
	return code, out.String(), errb.String()
}

func TestSelftestHelpAndList(t *testing.T) {
	code, out, _ := runCLI(t, "selftest", "--help")
	assert.Equal(t, exitOK, code)
	for _, f := range []string{"report", "concurrency", "fault", "list", "timeout", "mode"} {
		assert.Regexp(t, `(?m)^  -`+f+`( |$)`, out, f)
	}
	code, out, _ = runCLI(t, "selftest", "--list")
	assert.Equal(t, exitOK, code)
	for _, f := range selftest.Faults() {
		assert.Contains(t, out, f.Name)
	}
	assert.Contains(t, out, selftest.CatalogueSummary(selftest.Faults()))
	assert.Regexp(t, `(?m)^retire-0306-as-2402 +error +retire-grant +G-RETIRE-CODE +fail +unconfirmed-differs `, out)
}

func TestSelftestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--fault", "no-such-fault"},
		{"--concurrency", "-1"},
		{"--timeout", "0s"},
		{"--mode", "sideways"},
		{"--bogus"},
		{"extra"},
	} {
		code, _, errOut := runCLI(t, append([]string{"selftest"}, args...)...)
		assert.Equal(t, exitNotJudge, code, "%v", args)
		assert.Contains(t, errOut, "dewconform selftest", "%v", args)
	}
}

func TestSelftestDetectsAndReports(t *testing.T) {
	report := filepath.Join(t.TempDir(), "selftest.md")
	code, out, errOut := runSelftest(t, shortClean, "--fault", "restore-state-restored,restore-never-answers", "--report", report, "--concurrency", "2")
	require.Equal(t, exitOK, code, out+errOut)
	assert.Contains(t, out, "restore-state-restored")
	assert.Contains(t, out, "detected (fail)")
	assert.Contains(t, out, "detected (error)", "a fault that never answers ends in an error, not a hang")
	assert.Contains(t, out, "clean run (mock): PASS")
	assert.Contains(t, out, "clean run (proxy): PASS")
	assert.Contains(t, out, "selftest: PASS: mock 2/2 faults as declared (100%), proxy 2/2 faults as declared (100%)")
	md, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(md), "| restore-never-answers | mock | transport | restore-secret | fail | detected (error) |")
	assert.Contains(t, string(md), "| restore-never-answers | proxy | transport | restore-secret | fail | detected (error) |")

	code, out, errOut = runSelftest(t, shortClean, "--fault", "restore-state-restored", "--mode", "proxy")
	require.Equal(t, exitOK, code, out+errOut)
	assert.NotContains(t, out, "clean run (mock)")
	assert.Contains(t, out, "selftest: PASS: proxy 1/1 faults as declared (100%)")
}

func TestSelftestExitsOneOnAMiss(t *testing.T) {
	silent := func(o *selftest.Options) {
		shortClean(o)
		o.Catalogue = []selftest.Fault{{Name: "silent", Class: selftest.ClassShape, Operation: "restore-secret",
			Description: "changes nothing", Wrap: func(h http.Handler) http.Handler { return h }}}
	}
	code, out, _ := runSelftest(t, silent, "--mode", "mock")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "missed silent (mock, want fail)")
}
