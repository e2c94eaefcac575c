package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dewconform/dewconform/gen/notices"
)

func TestLicensesPrintsTheNotices(t *testing.T) {
	code, out, _ := runCLI(t, "licenses")
	assert.Equal(t, 0, code)
	assert.Equal(t, notices.Text(), out)
	assert.Contains(t, out, "==== module github.com/dewconform/dewconform (this program)")
	assert.Contains(t, out, "==== module github.com/getkin/kin-openapi ")
	assert.Contains(t, out, "==== module go (the Go runtime and standard library)")
	assert.Contains(t, out, "Apache License")
	assert.Contains(t, out, "MIT License")
}

func TestMissingNotices(t *testing.T) {
	have := []string{"example.com/a v1.0.0", "example.com/r v0.1.0"}
	deps := []*debug.Module{
		{Path: "example.com/a", Version: "v1.0.0"},
		{Path: "example.com/a2", Version: "v1.0.0"},
		{Path: "example.com/b", Version: "v2.0.0"},
		{Path: "example.com/old", Version: "v1.0.0", Replace: &debug.Module{Path: "example.com/r", Version: "v0.1.0"}},
	}
	assert.Equal(t, []string{"example.com/a2 v1.0.0", "example.com/b v2.0.0"}, missingNotices(deps, have))
	assert.Empty(t, missingNotices(deps[:1], have))
}
