package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMaxKeysRefusesTheRun: --max-keys below the suite's estimate stops the run before any scenario,
// with exit 2 and the estimate; a negative maximum is a bad flag.
func TestMaxKeysRefusesTheRun(t *testing.T) {
	var out, errb bytes.Buffer
	code := runWith(context.Background(), []string{"--max-keys", "1", "--run-id", "budget"}, &out, &errb, noEnv)
	assert.Equal(t, 2, code)
	assert.Contains(t, errb.String(), "run id budget")
	assert.Regexp(t, `the run would create up to \d+ keys \(.*\), more than --max-keys 1`, errb.String())
	assert.NotContains(t, out.String(), "scenarios (", "no scenario ran")

	out.Reset()
	errb.Reset()
	code = runWith(context.Background(), []string{"--max-secrets", "-1"}, &out, &errb, noEnv)
	assert.Equal(t, 2, code)
	assert.Contains(t, errb.String(), "want 0 (no maximum) or more")
}
