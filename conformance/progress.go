package conformance

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints scenarios done/total, failures so far and the elapsed time: one line redrawn in place
// on a terminal, otherwise a line every progressEvery scenarios and at the end.
type progress struct {
	w           io.Writer
	interactive bool
	total       int
	start       time.Time

	mu       sync.Mutex
	done     int
	failures int
	errors   int
}

const progressEvery = 25

func newProgress(w io.Writer, interactive bool, total int) *progress {
	return &progress{w: w, interactive: interactive, total: total, start: time.Now()}
}

func (p *progress) add(o Outcome) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	switch o {
	case Fail:
		p.failures++
	case Error:
		p.errors++
	}
	if p.interactive {
		fmt.Fprintf(p.w, "\r\033[K%s", p.line())
	} else if p.done%progressEvery == 0 || p.done == p.total {
		fmt.Fprintln(p.w, p.line())
	}
}

func (p *progress) line() string {
	return fmt.Sprintf("[%d/%d] %d failed, %d errors, %s elapsed", p.done, p.total, p.failures, p.errors,
		time.Since(p.start).Round(100*time.Millisecond))
}

func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.interactive {
		fmt.Fprintln(p.w)
	}
}
