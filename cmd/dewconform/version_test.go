package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/internal/buildinfo"
)

// TestVersionIsTheBuildInfo checks the command against this test binary's build info; the test in
// internal/image checks a real build's (with a commit) the same way.
func TestVersionIsTheBuildInfo(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	require.Equal(t, 0, code)
	info := buildinfo.Read()
	lines := strings.Split(out, "\n")
	require.GreaterOrEqual(t, len(lines), 5, out)
	assert.Equal(t, "dewconform "+info.Version, lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "commit "), lines[1])
	assert.Equal(t, "commit time "+info.CommitTime(), lines[2])
	assert.Equal(t, info.String(), toolVersion(), "the reports carry the same")
	assert.Contains(t, toolVersion(), info.Version+" (commit ")

	code, _, _ = runCLI(t, "version", "extra")
	assert.Equal(t, 2, code)
}
