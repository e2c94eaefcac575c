package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// started returns a progress whose run began 90 seconds ago, so that the elapsed time is known.
func started(w *strings.Builder, interactive bool, total int) *progress {
	p := newProgress(w, interactive, total)
	p.start = time.Now().Add(-90 * time.Second)
	return p
}

func TestProgressOnATerminal(t *testing.T) {
	var b strings.Builder
	p := started(&b, true, 3)
	for _, o := range []Outcome{Pass, Fail, Error} {
		p.add(o)
	}
	p.finish()
	// Each scenario redraws the one line in place; the end of the run leaves it on its own line.
	lines := strings.Split(b.String(), "\r\033[K")
	require.Len(t, lines, 4)
	assert.Empty(t, lines[0])
	assert.Regexp(t, `^\[1/3\] 0 failed, 0 errors, 1m30(\.\d)?s elapsed$`, lines[1])
	assert.Regexp(t, `^\[2/3\] 1 failed, 0 errors, 1m30(\.\d)?s elapsed$`, lines[2])
	assert.Regexp(t, `^\[3/3\] 1 failed, 1 errors, 1m30(\.\d)?s elapsed\n$`, lines[3])
}

func TestProgressInALog(t *testing.T) {
	var b strings.Builder
	total := progressEvery + 5
	p := started(&b, false, total)
	for i := range total {
		o := Pass
		if i%10 == 0 {
			o = Fail
		}
		p.add(o)
	}
	p.finish()
	// Without a terminal: one line every progressEvery scenarios and one at the end, no control characters.
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, 2, b.String())
	assert.Regexp(t, `^\[25/30\] 3 failed, 0 errors, 1m30(\.\d)?s elapsed$`, lines[0])
	assert.Regexp(t, `^\[30/30\] 3 failed, 0 errors, 1m30(\.\d)?s elapsed$`, lines[1])
	assert.NotContains(t, b.String(), "\r")
}

func TestNoProgress(t *testing.T) {
	var p *progress // Config.Progress off
	assert.NotPanics(t, func() {
		p.add(Fail)
		p.finish()
	})
}
