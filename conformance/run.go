package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/dewconform/dewconform/identity"
)

// HarnessError is implemented by errors that mean the harness could not judge the target (transport
// failure, timeout, throttling of the call under test, a secondary identity's credentials rejected). The
// steps return such errors (steps.HarnessError documents which); the runner finds them with errors.As and
// reports an error, not a fail.
type HarnessError interface {
	error
	HarnessError() bool
}

// sweepTimeout bounds the final sweep by run prefix after an interrupted run.
const sweepTimeout = 2 * time.Minute

// Run executes the features against cfg's target and writes the reports. The error is for problems of
// the configuration or of writing reports (exit code 2); everything about the target is in the Result.
// Cancelling ctx stops starting scenarios; the ones running finish and clean up, then what the run created
// is swept by its prefix.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) (Result, error) {
	asked := cfg
	cfg, err := cfg.normalize()
	if err != nil {
		return Result{}, err
	}
	if cfg.ProjectID != "" {
		if cfg.Identities, err = withPrimaryProject(cfg.Identities, cfg.ProjectID); err != nil {
			return Result{}, err
		}
	}
	cat, err := loadCatalogue(cfg, operationSlugs())
	if err != nil {
		return Result{}, err
	}
	if cfg.List {
		printList(stdout, cat)
		return Result{Counts: map[Outcome]int{}}, nil
	}
	var base baselineIndex
	if cfg.Baseline != "" {
		entries, err := LoadBaseline(cfg.Baseline)
		if err != nil {
			return Result{}, err
		}
		base = newBaselineIndex(entries)
	}
	spec, err := loadSpecInfo(ctx)
	if err != nil {
		return Result{}, err
	}
	prim, err := primary(cfg)
	if err != nil {
		return Result{}, err
	}
	red := newRedactor(cfg.Identities.Secrets())
	if !cfg.Control && !cfg.Embedded {
		cfg.Control = probeControl(ctx, baseClient(cfg), cfg.KMSEndpoint)
		if cfg.Control {
			// A dewconform mock (e.g. `dewconform serve`): the gentle defaults meant for a real service would
			// only slow the run down. What the user set stays.
			if asked.Concurrency == 0 {
				cfg.Concurrency = 4
			}
			if asked.RPS == 0 {
				cfg.RPS = 0
			}
		}
	}
	client := baseClient(cfg)
	res := Result{
		Target: cfg.target(), Started: time.Now(), ToolVersion: cfg.ToolVersion, SpecVersions: spec.versions,
		Auth: cfg.Auth, Mock: cfg.mock(), RunID: cfg.RunID,
	}

	clients, err := newClients(cfg, client, prim)
	if err != nil {
		return Result{}, err
	}
	if err := clients.preflight(ctx, prim.ProjectID); err != nil {
		res.Reason = red.String(err.Error())
		res.count()
		res.Duration = time.Since(res.Started)
		res.Coverage = coverage(cat, spec, nil)
		fmt.Fprintln(stderr, "dewconform: "+res.Reason)
		return res, writeReports(cfg, res, red)
	}
	if len(cat.list) == 0 {
		res.Reason = "no scenario matches the tags and paths"
		res.count()
		res.Duration = time.Since(res.Started)
		return res, writeReports(cfg, res, red)
	}

	col := newCollector(red)
	init := cfg.scenarioInit
	if init == nil {
		init = newStepsSuite
	}
	suite, err := init(suiteConfig{cfg: cfg, client: client, obs: col})
	if err != nil {
		return Result{}, err
	}
	var prog *progress
	if cfg.Progress {
		prog = newProgress(stderr, cfg.ProgressInteractive, len(cat.list))
	}
	rec := &recorder{runCtx: ctx, cfg: cfg, cat: cat, col: col, base: base, prog: prog, stop: newStopper(cfg.StopWhen),
		results: map[*pickleInfo]*ScenarioResult{}}

	out := &redactingWriter{w: stdout, r: red}
	format := cfg.Format
	if cfg.Cucumber != "" {
		format += ",cucumber:" + cfg.Cucumber
	}
	fsys, paths := godogSource(cfg)
	// The scenarios run on a context that is not cancelled with ctx: a scenario already started finishes
	// and cleans up; the recorder's Before hook skips the ones not started yet.
	status := godog.TestSuite{
		Name: "dewconform",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			rec.initScenario(sc, suite)
		},
		Options: &godog.Options{
			Format: format, Output: out, NoColors: !cfg.Color, FS: fsys, Paths: paths, Tags: cfg.Tags,
			Strict: true, Concurrency: cfg.Concurrency, Randomize: cfg.Randomize,
			DefaultContext: context.WithoutCancel(ctx),
		},
	}.Run()
	prog.finish()
	if err := out.Flush(); err != nil {
		return Result{}, fmt.Errorf("write output: %w", err)
	}
	if status == 2 {
		return Result{}, errors.New("godog refused the options (see above)")
	}

	res.Interrupted = ctx.Err() != nil
	res.Scenarios = rec.collect()
	res.Retries, res.CleanupProblems = col.totals()
	res.Coverage = coverage(cat, spec, col)
	for _, s := range res.Scenarios {
		res.Violations = append(res.Violations, s.Violations...)
	}
	res.count()
	switch {
	case res.Interrupted:
		res.Reason = "interrupted"
	case rec.stop.stoppedBy() != "":
		res.Reason = "stopped early after " + rec.stop.stoppedBy()
	case status == 1 && res.Counts[Fail]+res.Counts[Error]+res.Counts[BaselineKnown]+res.Counts[UnconfirmedDiffers] == 0:
		res.Reason = "godog reported a failure the runner could not attribute to a scenario"
	}
	if res.Interrupted || len(res.CleanupProblems) > 0 {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sweepTimeout)
		swept, err := Cleanup(sctx, cfg, cfg.RunID, false)
		cancel()
		res.Swept = swept
		if err != nil {
			res.CleanupProblems = append(res.CleanupProblems, red.String("sweep: "+oneLine(err)))
		}
	}
	res.Duration = time.Since(res.Started)
	if cfg.Cucumber != "" {
		if err := redactFile(cfg.Cucumber, red.cucumber); err != nil {
			return res, err
		}
	}
	printSummary(out, res)
	if err := out.Flush(); err != nil {
		return res, fmt.Errorf("write output: %w", err)
	}
	return res, writeReports(cfg, res, red)
}

// withPrimaryProject returns set with the primary identity's project replaced.
func withPrimaryProject(set identity.Set, projectID string) (identity.Set, error) {
	p, ok := set.Primary()
	if !ok {
		return set, nil
	}
	all := set.All()
	for i := range all {
		if all[i].Name == p.Name {
			all[i].ProjectID = projectID
		}
	}
	s, err := identity.New(all...)
	if err != nil {
		return set, fmt.Errorf("project id: %w", err)
	}
	return s, nil
}

// recorder turns godog's hooks into ScenarioResults.
type recorder struct {
	runCtx context.Context
	cfg    Config
	cat    *catalogue
	col    *collector
	base   baselineIndex
	prog   *progress
	stop   *stopper // Config.StopWhen

	mu      sync.Mutex
	results map[*pickleInfo]*ScenarioResult
}

// scenarioState is what the hooks learn about one scenario while it runs; godog runs a scenario's hooks
// one after the other, so it needs no lock.
type scenarioState struct {
	pickle   *godog.Scenario
	start    time.Time
	failErr  error
	failStep string
	failKind godog.StepResultStatus
	skipErr  error
	skipStep string
}

func (r *recorder) initScenario(sc *godog.ScenarioContext, suite scenarioSuite) {
	st := &scenarioState{}
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		st.pickle, st.start = p, time.Now()
		if r.runCtx.Err() != nil {
			return ctx, fmt.Errorf("%w: not started: the run was interrupted", godog.ErrSkip)
		}
		if err := r.stop.skip(); err != nil {
			return ctx, err
		}
		return ctx, nil
	})
	suite.InitializeScenario(sc)
	sc.StepContext().After(func(ctx context.Context, step *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		switch status {
		case godog.StepFailed, godog.StepUndefined, godog.StepPending, godog.StepAmbiguous:
			if st.failErr == nil {
				st.failErr, st.failStep, st.failKind = err, step.Text, status
				if err == nil {
					st.failErr = fmt.Errorf("step %s", status)
				}
			}
		case godog.StepSkipped:
			if err != nil && st.skipErr == nil {
				st.skipErr, st.skipStep = err, step.Text
			}
		}
		return ctx, nil
	})
	sc.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
		if st.pickle == nil {
			st.pickle = p
		}
		if err != nil && st.failErr == nil && !errors.Is(err, godog.ErrSkip) {
			st.failErr, st.failKind = err, godog.StepFailed
		}
		r.finish(st)
		return ctx, nil
	})
}

// finish classifies a scenario once its After hooks ran.
func (r *recorder) finish(st *scenarioState) {
	p := st.pickle
	info := r.cat.byKey[pickleKey(p.Uri, p.AstNodeIds)]
	if info == nil {
		info = &pickleInfo{ID: p.Uri + ":?", Name: p.Name, URI: p.Uri}
		for _, t := range p.Tags {
			info.Tags = append(info.Tags, t.Name)
		}
	}
	res := &ScenarioResult{
		ID: info.ID, Name: info.Name, Feature: info.Feature, Rule: info.Rule, URI: info.URI, Line: info.Line,
		Tags: info.Tags, Operations: info.Ops, Duration: time.Since(st.start),
	}
	exs, vs, throttled := r.col.scenario(p.Id)
	res.Violations = vs
	for i := range res.Violations {
		res.Violations[i].Scenario = info.Name
	}
	red := r.col.red
	switch {
	case st.failErr != nil:
		res.Step = st.failStep
		res.Reason = red.String(oneLine(st.failErr))
		switch {
		case st.failKind == godog.StepUndefined || errors.Is(st.failErr, godog.ErrUndefined):
			res.Outcome, res.Reason = Error, "undefined step: "+st.failStep
		case st.failKind == godog.StepPending || errors.Is(st.failErr, godog.ErrPending):
			res.Outcome, res.Reason = Error, "pending step: "+st.failStep
		case st.failKind == godog.StepAmbiguous || errors.Is(st.failErr, godog.ErrAmbiguous):
			res.Outcome = Error
		case isHarnessError(st.failErr):
			res.Outcome = Error
		case throttled && !r.cfg.mock():
			res.Outcome = Error
			res.Reason = "the call under test was throttled (429): " + res.Reason
		case !r.cfg.mock() && contains(info.Tags, "@unconfirmed"):
			res.Outcome = UnconfirmedDiffers
		default:
			res.Outcome = Fail
		}
	case st.skipErr != nil:
		res.Outcome, res.Step = Skip, st.skipStep
		res.Reason = skipReason(st.skipErr)
		if reason := r.col.skipReason(p.Id); reason != "" {
			res.Reason = reason
		}
	default:
		res.Outcome = Pass
	}
	r.base.apply(res)
	if res.Outcome != Pass {
		res.Exchanges = exs
	}
	r.mu.Lock()
	r.results[info] = res
	r.mu.Unlock()
	r.prog.add(res.Outcome)
	r.stop.observe(*res)
}

// collect returns the results in file order; scenarios godog never finished are skips after an interrupt
// and errors otherwise.
func (r *recorder) collect() []ScenarioResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ScenarioResult, 0, len(r.cat.list))
	for _, info := range r.cat.list {
		if res, ok := r.results[info]; ok {
			out = append(out, *res)
			continue
		}
		res := ScenarioResult{
			ID: info.ID, Name: info.Name, Feature: info.Feature, Rule: info.Rule, URI: info.URI, Line: info.Line,
			Tags: info.Tags, Operations: info.Ops, Outcome: Error, Reason: "the scenario did not run (no steps?)",
		}
		if r.runCtx.Err() != nil {
			res.Outcome, res.Reason = Skip, "not started: the run was interrupted"
		}
		out = append(out, res)
	}
	return out
}

// isHarnessError says whether err means the harness could not judge. The steps decide (they know which
// call failed and why: a timeout of a setup call, a secondary identity's rejected credentials); the
// runner does not second-guess them from the error's type.
func isHarnessError(err error) bool {
	var h HarnessError
	return errors.As(err, &h) && h.HarnessError()
}

// skipReason strips godog's wrapping ("before scenario hook failed: skipped: ...") down to the reason.
func skipReason(err error) string {
	msg := oneLine(err)
	if i := strings.LastIndex(msg, godog.ErrSkip.Error()+": "); i >= 0 {
		return msg[i+len(godog.ErrSkip.Error())+2:]
	}
	return msg
}

// coverage builds the per-operation lines: scenarios per operation tag, documented and exercised statuses.
func coverage(cat *catalogue, spec specInfo, col *collector) []OperationCoverage {
	var out []OperationCoverage
	for _, op := range operationSlugs() {
		line := OperationCoverage{Operation: op, Documented: spec.documented[op]}
		for _, p := range cat.list {
			if contains(p.Ops, op) {
				line.Scenarios++
			}
		}
		if col != nil {
			line.Exercised = col.exercised(op)
		}
		out = append(out, line)
	}
	return out
}

// printSummary writes the end-of-run summary to the console.
func printSummary(w io.Writer, res Result) {
	fmt.Fprintf(w, "\ndewconform: %s against %s (%s auth), run id %s, %s\n", res.Verdict(), res.Target, res.Auth, res.RunID,
		res.Duration.Round(time.Millisecond))
	var parts []string
	for _, o := range outcomes() {
		if n := res.Counts[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	fmt.Fprintf(w, "scenarios: %s; retries of setup/cleanup calls: %d\n", strings.Join(parts, ", "), res.Retries)
	for _, s := range res.Scenarios {
		if s.Outcome == Fail || s.Outcome == Error {
			fmt.Fprintf(w, "  %-5s %s %q: %s\n", s.Outcome, s.ID, s.Name, truncate(s.Reason, 300))
		}
	}
	fmt.Fprintln(w, "operation                  scenarios  exercised / documented statuses")
	for _, c := range res.Coverage {
		if c.Scenarios == 0 && len(c.Exercised) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-24s %9d  %s / %s\n", c.Operation, c.Scenarios, ints(c.Exercised), ints(c.Documented))
	}
	for _, p := range res.CleanupProblems {
		fmt.Fprintln(w, "cleanup problem: "+p)
	}
	if len(res.Swept) > 0 {
		sort.Strings(res.Swept)
		fmt.Fprintf(w, "swept by prefix %s: %s\n", Prefix(res.RunID), strings.Join(res.Swept, ", "))
	}
}

func ints(v []int) string {
	if len(v) == 0 {
		return "-"
	}
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// redactFile rewrites a report file through fn.
func redactFile(path string, fn func([]byte) []byte) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	if err := os.WriteFile(path, fn(data), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
