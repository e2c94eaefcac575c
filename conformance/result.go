package conformance

import (
	"fmt"
	"time"
)

// Outcome is what a scenario ended in. The kinds are never mixed: a fail means the target broke a rule,
// an error means the harness could not judge, a skip means the scenario does not apply to this target.
type Outcome string

const (
	Pass  Outcome = "pass"
	Fail  Outcome = "fail"  // the target broke a rule: wrong status or code, schema violation, wrong state
	Error Outcome = "error" // the harness could not judge: transport error, timeout, throttling, bad secondary credentials
	Skip  Outcome = "skip"  // not applicable to this target, with the reason
	// UnconfirmedDiffers is a scenario on a target that is not the mock whose gating assertions all held
	// but at least one assertion marked (unconfirmed) did not: that expectation rests on an undocumented
	// fact, so the difference is reported, not gated.
	UnconfirmedDiffers Outcome = "unconfirmed-differs"
	// BaselineKnown is a failed scenario listed in the baseline file.
	BaselineKnown Outcome = "baseline-known"
	// BaselineFixed is a scenario listed in the baseline file that now passes.
	BaselineFixed Outcome = "baseline-fixed"
)

// outcomes lists every Outcome in report order.
func outcomes() []Outcome {
	return []Outcome{Pass, Fail, Error, Skip, UnconfirmedDiffers, BaselineKnown, BaselineFixed}
}

// Exchange is one recorded HTTP call of a scenario, already redacted.
type Exchange struct {
	Step           string
	Purpose        string // setup, act, check, cleanup, control
	Identity       string
	Operation      string
	Method         string
	URL            string
	RequestHeader  map[string][]string
	RequestBody    string
	Status         int
	ResponseHeader map[string][]string
	ResponseBody   string
	Duration       time.Duration
	Attempt        int
	Err            string
	HandBuilt      bool // built by hand (wrong method or path, malformed body), not through the API's clients
}

// Violation is a response that does not match the spec.
type Violation struct {
	Scenario     string // scenario name
	Operation    string
	Status       int
	Field        string // JSON pointer, "" for the whole response
	Reason       string
	Undocumented bool
}

// ScenarioResult is the outcome of one scenario (one example row of an outline).
type ScenarioResult struct {
	ID         string // uri:line, unique in a run
	Name       string
	Feature    string
	Rule       string
	URI        string
	Line       int
	Tags       []string
	Operations []string // operation slugs from the tags, and the one a fail is charged to (ChargedTo)
	// ChargedTo is the operation whose refusal of a setup or check call failed the scenario, when that
	// is not the operation under test; the scenario then counts under it too.
	ChargedTo  string
	Outcome    Outcome
	Reason     string // why it did not pass (or, for baseline outcomes, the baseline's reason)
	Step       string // the step that failed or was skipped
	Duration   time.Duration
	Exchanges  []Exchange // only for scenarios that did not pass
	Violations []Violation
	// Unconfirmed lists the scenario's judged assertions marked (unconfirmed), held or not, in step order.
	Unconfirmed []Assertion
}

// Assertion is one assertion marked (unconfirmed) and what the target answered to it.
type Assertion struct {
	Step    string
	Differs bool
	Detail  string // why it differs; "" when it held
}

// differing returns the scenario's unconfirmed assertions that did not hold.
func (s ScenarioResult) differing() []Assertion {
	var out []Assertion
	for _, a := range s.Unconfirmed {
		if a.Differs {
			out = append(out, a)
		}
	}
	return out
}

// OperationCoverage is what a run exercised of one operation.
type OperationCoverage struct {
	Operation  string
	Scenarios  int   // scenarios tagged with the operation
	Documented []int // status codes the spec documents
	Exercised  []int // status codes answered to calls under test
	// Succeeded counts the calls under test, made through the API's clients (not hand-built), that got a
	// documented 2xx answer.
	Succeeded int
}

// Result is the outcome of a run.
type Result struct {
	Target       string
	Started      time.Time
	Duration     time.Duration
	ToolVersion  string
	SpecVersions map[string]string // service -> info.version
	Auth         string
	Mock         bool // the target is the mock (embedded or offering the control API)
	Scenarios    []ScenarioResult
	Counts       map[Outcome]int
	Retries      int
	Coverage     []OperationCoverage
	Violations   []Violation
	// CleanupProblems lists resources a scenario could not remove (the run's prefix finds them later).
	CleanupProblems []string
	// Swept lists what the final sweep by run prefix removed (after an interrupt or failed cleanups).
	Swept []string
	// Leftovers lists what the run created and neither its cleanup nor the sweep could remove or look
	// at: resources that may still be billed. A run with leftovers never exits 0.
	Leftovers []string
	// Reason is set when the run as a whole could not be judged (unreachable target, rejected primary
	// credentials, interrupt, nothing to run): one line.
	Reason      string
	Interrupted bool
	RunID       string
	// Estimate is what the selected scenarios would create at most; Created what the run's calls did
	// create (2xx answers to create-key, create-secret, create-grant) and how many calls it made.
	Estimate, Created Usage
}

// ExitCode maps the result to the process exit code: 0 when every scenario that ran passed; 1 when at
// least one failed (differences from unconfirmed expectations on a non-mock target and baselined failures
// excluded);
// 2 when nothing failed but the run could not be judged or left resources behind. A credential problem
// never reports 0.
func (r Result) ExitCode() int {
	if r.Counts[Fail] > 0 {
		return 1
	}
	if r.Reason != "" || r.Counts[Error] > 0 || len(r.Leftovers) > 0 {
		return 2
	}
	return 0
}

// Verdict is a one-line summary of the exit code's reason. It reads PASS only when every scenario that
// ran held all its gating assertions (differences from unconfirmed expectations are counted beside it).
func (r Result) Verdict() string {
	switch r.ExitCode() {
	case 1:
		return fmt.Sprintf("FAIL: %d scenario(s) failed", r.Counts[Fail])
	case 2:
		if r.Reason != "" {
			return "NOT JUDGED: " + r.Reason
		}
		if r.Counts[Error] == 0 {
			return fmt.Sprintf("LEFT BEHIND: %d resource(s) the run created could not be removed (listed above): run `dewconform cleanup --run-id %s`", len(r.Leftovers), r.RunID)
		}
		return fmt.Sprintf("NOT JUDGED: %d scenario(s) could not be judged (errors)", r.Counts[Error])
	}
	passed := r.Counts[Pass] + r.Counts[BaselineFixed]
	v := fmt.Sprintf("PASS: %d scenario(s) passed, %d skipped", passed, r.Counts[Skip])
	if n := r.Counts[BaselineKnown]; n > 0 {
		// A baselined scenario failed a gating assertion: the run gates nothing new, but it did not pass.
		v = fmt.Sprintf("NO NEW FAILURE: %d known failure(s) of the baseline still fail; %d scenario(s) passed, %d skipped", n, passed, r.Counts[Skip])
	}
	if n := r.Counts[UnconfirmedDiffers]; n > 0 {
		v += fmt.Sprintf("; %d differ(s) from an unconfirmed expectation", n)
	}
	return v
}

// count recomputes Counts from Scenarios.
func (r *Result) count() {
	r.Counts = map[Outcome]int{}
	for _, o := range outcomes() {
		r.Counts[o] = 0
	}
	for _, s := range r.Scenarios {
		r.Counts[s.Outcome]++
	}
}

// NotPassed returns the scenarios that did not pass, in run order.
func (r Result) NotPassed() []ScenarioResult {
	var out []ScenarioResult
	for _, s := range r.Scenarios {
		if s.Outcome != Pass {
			out = append(out, s)
		}
	}
	return out
}

// byOperation groups scenario indexes per operation; scenarios without an operation tag go under "".
func (r Result) byOperation() map[string][]int {
	m := map[string][]int{}
	for i, s := range r.Scenarios {
		if len(s.Operations) == 0 {
			m[""] = append(m[""], i)
		}
		for _, op := range s.Operations {
			m[op] = append(m[op], i)
		}
	}
	return m
}
