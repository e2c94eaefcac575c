package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/openapi"
	"github.com/dewconform/dewconform/steps"
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
//
// A run goes through named stages: prepare (configuration, catalogue, baseline, clients), preflight,
// execute (godog), classify (the Result), sweep (after an interrupt or a failed cleanup) and report.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) (Result, error) {
	r, err := prepare(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	if r.cfg.List {
		printList(stdout, r.cat)
		return Result{Counts: map[Outcome]int{}}, nil
	}
	if err := r.finishPrepare(ctx); err != nil {
		return Result{}, err
	}
	r.announce(stderr)
	if stop, err := r.budget(stderr); stop {
		return r.res, err
	}
	if stop, err := r.preflight(ctx, stderr); stop {
		return r.res, err
	}
	ex, err := r.execute(ctx, stdout, stderr)
	if err != nil {
		return Result{}, err
	}
	r.classify(ctx, ex)
	r.sweep(ctx)
	return r.report(ex.out)
}

// runState is one run as its stages build it up.
type runState struct {
	asked   Config // as the caller gave it, before defaults
	cfg     Config
	cat     *catalogue
	base    baselineIndex
	red     *redactor
	client  *http.Client
	clients *apiClients // the runner's own, as the primary identity
	prim    identity.Identity
	res     Result
}

// prepare normalises the configuration and reads the scenarios the run would execute.
func prepare(_ context.Context, asked Config) (*runState, error) {
	cfg, err := asked.normalize()
	if err != nil {
		return nil, err
	}
	if cfg.ProjectID != "" {
		if cfg.Identities, err = withPrimaryProject(cfg.Identities, cfg.ProjectID); err != nil {
			return nil, err
		}
	}
	cat, err := loadCatalogue(cfg, openapi.Slugs())
	if err != nil {
		return nil, err
	}
	return &runState{asked: asked, cfg: cfg, cat: cat}, nil
}

// finishPrepare loads the baseline and the spec versions, picks the primary identity, probes the control
// API and builds the HTTP clients and the Result's header.
func (r *runState) finishPrepare(ctx context.Context) error {
	cfg := &r.cfg
	if cfg.Baseline != "" {
		entries, err := LoadBaseline(cfg.Baseline)
		if err != nil {
			return err
		}
		r.base = newBaselineIndex(entries)
	}
	versions, err := specVersions(ctx)
	if err != nil {
		return err
	}
	if r.prim, err = primary(*cfg); err != nil {
		return err
	}
	r.red = newRedactor(cfg.Identities.Secrets())
	if !cfg.Control && !cfg.Embedded {
		cfg.Control = probeControl(ctx, baseClient(*cfg), cfg.KMSEndpoint)
		if cfg.Control {
			// A dewconform mock (e.g. `dewconform serve`): the gentle defaults meant for a real service would
			// only slow the run down. What the user set stays.
			if r.asked.Concurrency == 0 {
				cfg.Concurrency = 4
			}
			if r.asked.RPS == 0 {
				cfg.RPS = 0
			}
		}
	}
	r.client = baseClient(*cfg)
	if r.clients, err = newClients(*cfg, r.client, r.prim); err != nil {
		return err
	}
	r.res = Result{
		Target: cfg.target(), Started: time.Now(), ToolVersion: cfg.ToolVersion, SpecVersions: versions,
		Auth: string(cfg.Auth), Mock: cfg.mock(), RunID: cfg.RunID,
	}
	return nil
}

// announce prints the run id and the resource prefix before anything is created: after a second Ctrl-C
// (which ends the process at once) this line is what tells the user what to pass to `cleanup --run-id`.
func (r *runState) announce(stderr io.Writer) {
	fmt.Fprintf(stderr, "dewconform: run id %s: every resource it creates is named %s…; if it is cut short: dewconform cleanup --endpoint %s --run-id %s\n",
		r.cfg.RunID, steps.Prefix(r.cfg.RunID), r.cfg.KMSEndpoint, r.cfg.RunID)
}

// budget refuses a run that would create more than --max-keys / --max-secrets allow, before any call.
func (r *runState) budget(stderr io.Writer) (stop bool, err error) {
	res := &r.res
	res.Estimate = r.cat.estimate()
	fmt.Fprintf(stderr, "dewconform: %d scenario(s) will create at most %s; %d of them share %d key(s) of the run\n",
		len(r.cat.list), res.Estimate, res.Estimate.SharingScenarios, res.Estimate.SharedKeys)
	reason := r.cfg.overBudget(res.Estimate)
	if reason == "" {
		return false, nil
	}
	res.Reason = reason
	res.count()
	res.Duration = time.Since(res.Started)
	fmt.Fprintln(stderr, "dewconform: "+reason)
	return true, writeReports(r.cfg, *res, r.red)
}

// preflight checks that the target answers and accepts the primary identity, and that there is something
// to run. stop says the run ends here, with its reports written (err is then about writing them).
func (r *runState) preflight(ctx context.Context, stderr io.Writer) (stop bool, err error) {
	res := &r.res
	if err := r.clients.preflight(ctx, r.prim.ProjectID); err != nil {
		res.Reason = r.red.String(err.Error())
		res.count()
		res.Duration = time.Since(res.Started)
		res.Coverage = coverage(r.cat, nil)
		fmt.Fprintln(stderr, "dewconform: "+res.Reason)
		return true, writeReports(r.cfg, *res, r.red)
	}
	if len(r.cat.list) > 0 && !r.cfg.mock() {
		// On a real account a run that runs out of keys half-way leaves errors and billed keys: stop first.
		reason, note := r.clients.quotaCheck(ctx, r.prim.ProjectID, res.Estimate)
		fmt.Fprintln(stderr, "dewconform: "+r.red.String(note))
		if reason != "" {
			res.Reason = reason
			res.count()
			res.Duration = time.Since(res.Started)
			fmt.Fprintln(stderr, "dewconform: "+reason)
			return true, writeReports(r.cfg, *res, r.red)
		}
	}
	if len(r.cat.list) == 0 {
		res.Reason = "no scenario matches the tags and paths"
		res.count()
		res.Duration = time.Since(res.Started)
		return true, writeReports(r.cfg, *res, r.red)
	}
	return false, nil
}

// execution is what the godog run leaves for the later stages.
type execution struct {
	status int // godog's exit status
	rec    *recorder
	col    *collector
	out    *redactingWriter // the console, redacted
}

// execute runs the scenarios through godog.
func (r *runState) execute(ctx context.Context, stdout, stderr io.Writer) (*execution, error) {
	cfg := r.cfg
	col := newCollector(r.red)
	init := cfg.scenarioInit
	if init == nil {
		init = newStepsSuite
	}
	suite, err := init(suiteConfig{cfg: cfg, client: r.client, obs: col})
	if err != nil {
		return nil, err
	}
	var prog *progress
	if cfg.Progress {
		prog = newProgress(stderr, cfg.ProgressInteractive, len(r.cat.list))
	}
	rec := &recorder{runCtx: ctx, cfg: cfg, cat: r.cat, col: col, base: r.base, prog: prog, stop: newStopper(cfg.StopWhen),
		results: map[*pickleInfo]*ScenarioResult{}}

	out := &redactingWriter{w: stdout, r: r.red}
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
	// The shared keys go once every scenario is done with them; a problem is a cleanup problem.
	if p, ok := suite.(interface{ ReleasePool(context.Context) int }); ok {
		p.ReleasePool(context.WithoutCancel(ctx))
	}
	if err := out.Flush(); err != nil {
		return nil, fmt.Errorf("write output: %w", err)
	}
	if status == 2 {
		return nil, errors.New("godog refused the options (see above)")
	}
	return &execution{status: status, rec: rec, col: col, out: out}, nil
}

// classify fills the Result from what the scenarios recorded.
func (r *runState) classify(ctx context.Context, ex *execution) {
	res := &r.res
	res.Interrupted = ctx.Err() != nil
	res.Scenarios = ex.rec.collect()
	res.Retries, res.CleanupProblems = ex.col.totals()
	res.Created = ex.col.usage()
	res.Coverage = coverage(r.cat, ex.col)
	for _, s := range res.Scenarios {
		res.Violations = append(res.Violations, s.Violations...)
	}
	res.count()
	switch {
	case res.Interrupted:
		res.Reason = "interrupted"
	case ex.rec.stop.stoppedBy() != "":
		res.Reason = "stopped early after " + ex.rec.stop.stoppedBy()
	case ex.status == 1 && res.Counts[Fail]+res.Counts[Error]+res.Counts[BaselineKnown]+res.Counts[UnconfirmedDiffers] == 0:
		res.Reason = "godog reported a failure the runner could not attribute to a scenario"
	}
}

// sweep removes, by the run's prefix, what an interrupted run or a failed cleanup may have left behind;
// what it could not remove or could not look at is the run's leftovers.
func (r *runState) sweep(ctx context.Context) {
	res := &r.res
	if !res.Interrupted && len(res.CleanupProblems) == 0 {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sweepTimeout)
	swept, err := cleanup(sctx, r.cfg, r.cfg.RunID, false, false)
	cancel()
	res.Swept = swept.Scheduled
	for _, l := range append(swept.Live, swept.Unreached...) {
		res.Leftovers = append(res.Leftovers, r.red.String(l))
	}
	if err != nil {
		res.CleanupProblems = append(res.CleanupProblems, r.red.String("sweep: "+oneLine(err)))
		if len(res.Leftovers) == 0 {
			// The sweep failed without saying what it missed: the run cannot say that nothing is left.
			res.Leftovers = append(res.Leftovers, r.red.String("unknown: the sweep failed: "+oneLine(err)))
		}
	}
}

// report redacts the cucumber file, prints the summary and writes the other reports.
func (r *runState) report(out *redactingWriter) (Result, error) {
	res := &r.res
	res.Duration = time.Since(res.Started)
	if r.cfg.Cucumber != "" {
		if err := redactFile(r.cfg.Cucumber, r.red.cucumber); err != nil {
			return *res, err
		}
	}
	printSummary(out, *res)
	if err := out.Flush(); err != nil {
		return *res, fmt.Errorf("write output: %w", err)
	}
	return *res, writeReports(r.cfg, *res, r.red)
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
	res.Unconfirmed = r.col.assertions(p.Id)
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
		default:
			res.Outcome = Fail
			var rb *steps.RefusedBy
			if errors.As(st.failErr, &rb) && !slices.Contains(res.Operations, rb.Operation) {
				res.ChargedTo = rb.Operation
				res.Operations = append(slices.Clone(res.Operations), rb.Operation)
			}
		}
	case st.skipErr != nil:
		res.Outcome, res.Step = Skip, st.skipStep
		res.Reason = skipReason(st.skipErr)
		if reason := r.col.skipReason(p.Id); reason != "" {
			res.Reason = reason
		}
	case len(res.differing()) > 0:
		// Every gating assertion held; an unconfirmed one did not (on the mock it would have failed its step).
		d := res.differing()
		res.Outcome, res.Step = UnconfirmedDiffers, d[0].Step
		res.Reason = fmt.Sprintf("differs from an unconfirmed expectation (%d of %d): %s", len(d), len(res.Unconfirmed), d[0].Detail)
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

// coverage builds the per-operation lines, one per registry operation in its order: scenarios per
// operation tag, the statuses the spec documents, and those the calls under test received.
func coverage(cat *catalogue, col *collector) []OperationCoverage {
	var out []OperationCoverage
	for _, op := range openapi.Operations() {
		line := OperationCoverage{Operation: op.Slug, Documented: op.Documented}
		for _, p := range cat.list {
			if slices.Contains(p.Ops, op.Slug) {
				line.Scenarios++
			}
		}
		if col != nil {
			line.Exercised, line.Succeeded = col.exercised(op.Slug)
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
		switch s.Outcome {
		case Fail, Error:
			fmt.Fprintf(w, "  %-5s %s %q: %s\n", s.Outcome, s.ID, s.Name, truncate(s.Reason, 300))
		case UnconfirmedDiffers:
			for _, a := range s.differing() {
				fmt.Fprintf(w, "  %s %s %q: %s\n", s.Outcome, s.ID, s.Name, truncate(assertionLine(a), 300))
			}
		}
	}
	fmt.Fprintln(w, "operation                  scenarios  exercised / documented statuses")
	for _, c := range res.Coverage {
		if c.Scenarios == 0 && len(c.Exercised) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-24s %9d  %s / %s\n", c.Operation, c.Scenarios, ints(c.Exercised), ints(c.Documented))
	}
	fmt.Fprintf(w, "created: %s (estimated at most %s)\n", res.Created, res.Estimate)
	for _, p := range res.CleanupProblems {
		fmt.Fprintln(w, "cleanup problem: "+p)
	}
	for _, l := range res.Leftovers {
		fmt.Fprintln(w, "left behind: "+l)
	}
	if len(res.Swept) > 0 {
		sort.Strings(res.Swept)
		fmt.Fprintf(w, "swept by prefix %s: %s\n", steps.Prefix(res.RunID), strings.Join(res.Swept, ", "))
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
