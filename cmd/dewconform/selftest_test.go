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
	for _, f := range []string{"report", "concurrency", "fault", "list", "timeout"} {
		assert.Regexp(t, `(?m)^  -`+f+`( |$)`, out, f)
	}
	code, out, _ = runCLI(t, "selftest", "--list")
	assert.Equal(t, exitOK, code)
	for _, f := range selftest.Faults() {
		assert.Contains(t, out, f.Name)
	}
}

func TestSelftestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--fault", "no-such-fault"},
		{"--concurrency", "-1"},
		{"--timeout", "0s"},
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
	assert.Contains(t, out, "selftest: PASS: 2/2 faults detected (100%)")
	md, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(md), "| restore-never-answers | transport | restore-secret | detected (error) |")
}

func TestSelftestExitsOneOnAMiss(t *testing.T) {
	silent := func(o *selftest.Options) {
		shortClean(o)
		o.Catalogue = []selftest.Fault{{Name: "silent", Class: selftest.ClassShape, Operation: "restore-secret",
			Description: "changes nothing", Wrap: func(h http.Handler) http.Handler { return h }}}
	}
	code, out, _ := runSelftest(t, silent)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "missed silent")
}
