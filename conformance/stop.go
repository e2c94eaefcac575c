package conformance

import (
	"fmt"
	"sync"

	"github.com/cucumber/godog"
)

// stopReason is the skip reason of the scenarios a run stopped early (Config.StopWhen) did not start.
const stopReason = "not started: the run stopped early"

// stopper ends a run early once Config.StopWhen says so: scenarios already running finish and clean up,
// the ones not started yet are skipped. A stopped run is never swept by prefix: the skipped scenarios
// created nothing, and the finished ones cleaned up after themselves.
type stopper struct {
	when func(ScenarioResult) bool // nil: never stop

	mu    sync.Mutex
	first string // id of the scenario that stopped the run; "" while it runs on
}

func newStopper(when func(ScenarioResult) bool) *stopper { return &stopper{when: when} }

// observe asks StopWhen about a classified scenario; it is called from concurrently running scenarios.
func (s *stopper) observe(res ScenarioResult) {
	if s == nil || s.when == nil || !s.when(res) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == "" {
		s.first = res.ID
	}
}

// skip returns the error the Before hook returns for a scenario that must not start, or nil.
func (s *stopper) skip() error {
	if s.stoppedBy() == "" {
		return nil
	}
	return fmt.Errorf("%w: %s", godog.ErrSkip, stopReason)
}

// stoppedBy returns the id of the scenario that stopped the run, "" when it was not stopped.
func (s *stopper) stoppedBy() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}
