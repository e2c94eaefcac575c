package selftest

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/steps"
)

// DefaultTimeout is the per-request timeout of the faults' runs: the mock answers in milliseconds, so a
// fault that never answers is an error after this long, with a margin for a loaded machine under -race.
const DefaultTimeout = 5 * time.Second

// fullTimeout is the per-request timeout of the runs meant to pass (the clean run, strict-only faults
// without strict): nothing in them hangs, and a slow machine must not turn them into errors.
const fullTimeout = 30 * time.Second

// FullConcurrency is the number of scenarios at once of the runs meant to go through all their scenarios.
const FullConcurrency = 8

// Options configure a self-test.
type Options struct {
	// Concurrency is the number of runs (the clean ones and the faults') at once; 0 means four times
	// GOMAXPROCS (the runs spend most of their time waiting: on the mock's answers, and for the faults
	// that never answer, on the request timeout).
	Concurrency int
	// ScenarioConcurrency is the number of scenarios a fault's run executes at once; 0 means 2. Scenarios
	// already running when the fault is caught run to their end, so more is not always faster. The runs
	// meant to go through all their scenarios (the clean runs, strict-only faults without strict, faults
	// that must end unconfirmed-differs or missed) use FullConcurrency.
	ScenarioConcurrency int
	// Modes selects the modes; empty means all of them (Modes()).
	Modes []Mode
	// Faults selects faults of the catalogue by name; empty means all of them.
	Faults []string
	// Catalogue replaces Faults() (for tests of the self-test itself); nil means Faults().
	Catalogue []Fault
	// Timeout is the per-request timeout of the faults' runs; 0 means DefaultTimeout.
	Timeout time.Duration
	// Report is a Markdown file to write the table to; "" writes none.
	Report string
	// CleanTags restricts the clean runs (a godog tag expression); "" runs the full suite. Only for tests
	// that check the machinery: the self-test proper always runs the clean suite in full.
	CleanTags string
}

// Detection is what a fault's run gave.
type Detection string

const (
	// Detected: a fail of a scenario of the fault's operation (for transport faults a fail or an error),
	// and the run did not pass.
	Detected Detection = "detected"
	// DetectedUnconfirmed: no such fail, but an unconfirmed-differs scenario of the operation, and the run
	// passed (exit 0).
	DetectedUnconfirmed Detection = "unconfirmed-differs"
	Missed              Detection = "missed"
	// DetectedWithoutStrict is a strict-only fault a run without strict caught: the fault is not what its
	// class says, or the non-strict checks are wrong.
	DetectedWithoutStrict Detection = "detected-without-strict"
	// NotRun is a fault declared mock-only in the mode: it is not run there.
	NotRun Detection = "not-run"
)

// FaultResult is the outcome of one fault's run in one mode.
type FaultResult struct {
	Fault Fault
	Mode  Mode
	Want  Verdict   // the declared verdict in Mode
	Got   Detection // what the run gave
	// Blind says the fault awaits a check the steps do not offer yet (Fault.Awaits): it must be missed.
	Blind bool
	// Scenario is "<id> <name>" of the first scenario that caught the fault ("" when missed), Outcome its
	// outcome (fail, unconfirmed-differs, or error for transport faults) and Reason why it did not pass.
	Scenario string
	Outcome  conformance.Outcome
	Reason   string
	ExitCode int // the run's exit code (of the strict run for strict-only faults)
	// NonStrict is, for a strict-only fault, what the run without strict gave (Missed is expected).
	NonStrict Detection
	Scenarios int // scenarios that ran (not skipped) until the fault was caught
	Duration  time.Duration
	Err       string // the run itself failed (configuration, mock); the fault then counts as missed
}

// AsDeclared says whether the run gave what the fault declares for the mode: a known blind spot
// (Blind) is still missed, a mock-only fault was not run, a fail is Detected, an unconfirmed-differs
// is DetectedUnconfirmed; a strict-only fault is besides missed without strict.
func (f FaultResult) AsDeclared() bool {
	if f.Fault.StrictOnly && f.Got != NotRun && f.NonStrict != Missed {
		return false
	}
	switch {
	case f.Blind:
		return f.Got == Missed && f.Err == ""
	case f.Want == VerdictMockOnly:
		return f.Got == NotRun
	case f.Want == VerdictUnconfirmedDiffers:
		return f.Got == DetectedUnconfirmed
	}
	return f.Got == Detected
}

// CleanResult is the outcome of the run against the unmodified mock in one mode.
type CleanResult struct {
	Mode      Mode
	Passed    bool
	Verdict   string
	Scenarios int
	Failures  []string // "<outcome> <id> <name>: <reason>" of each scenario that did not pass
	Duration  time.Duration
}

// Report is the outcome of a self-test.
type Report struct {
	Clean  []CleanResult // one per mode
	Faults []FaultResult // one per fault and mode, mode by mode in catalogue order
	// ProxyBinding says whether the proxy-mode declarations bind: the harness gives confidence to single
	// assertions (HarnessGatesAssertions). Without it a scenario wholly unconfirmed cannot fail through the
	// proxy, and the proxy mode is run and shown but its mismatches do not fail the self-test.
	ProxyBinding bool
	Duration     time.Duration
}

// binding says whether f's result counts for OK.
func (r Report) binding(f FaultResult) bool { return f.Mode != ModeProxy || r.ProxyBinding }

// OK says whether every clean run passed and every fault gave its declared verdict (in proxy mode only
// when ProxyBinding).
func (r Report) OK() bool {
	for _, c := range r.Clean {
		if !c.Passed {
			return false
		}
	}
	for _, f := range r.Faults {
		if r.binding(f) && !f.AsDeclared() {
			return false
		}
	}
	return true
}

// Count returns how many faults were run or declared in mode m, and how many of them gave their
// declared verdict.
func (r Report) Count(m Mode) (asDeclared, total int) {
	for _, f := range r.Faults {
		if f.Mode == m {
			total++
			if f.AsDeclared() {
				asDeclared++
			}
		}
	}
	return asDeclared, total
}

// HarnessGatesAssertions reports whether the steps give confidence to single assertions ("Then the call
// is refused" gates, only the exact status and code are unconfirmed). Until they do, scenarios once
// tagged @unconfirmed end unconfirmed-differs through the proxy as a whole, and the proxy-mode
// declarations (written for that design) cannot all be reached. It reads the steps' vocabulary, so it
// turns true by itself when the steps gain the mechanism.
func HarnessGatesAssertions() bool {
	return slices.ContainsFunc(steps.StepExpressions(), func(e string) bool { return strings.Contains(e, "the call is refused") })
}

// Run runs, in each selected mode, the suite against a clean mock, then once per selected fault, each on
// its own fresh mock on 127.0.0.1 (behind a fresh proxy in proxy mode), up to Concurrency runs at once. A
// fault's run is limited to the scenarios tagged with its operation and stops at its first detection: a
// fail of such a scenario (for transport faults, a fail or an error). Strict-only faults run once without
// strict (which must not detect them) and once with. Faults declared mock-only in a mode are not run in
// it. It prints the table to stdout and writes the Markdown report. The error is for bad options and
// report files; everything about the faults is in the Report (see Report.OK).
func Run(ctx context.Context, opts Options, stdout io.Writer) (Report, error) {
	all := opts.Catalogue
	if all == nil {
		all = Faults()
	}
	faults, err := selectFaults(all, opts.Faults)
	if err != nil {
		return Report{}, err
	}
	modes := opts.Modes
	if len(modes) == 0 {
		modes = Modes()
	}
	for _, m := range modes {
		if !slices.Contains(Modes(), m) {
			return Report{}, fmt.Errorf("unknown mode %q (want %s or %s)", m, ModeMock, ModeProxy)
		}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4 * runtime.GOMAXPROCS(0)
	}
	if opts.ScenarioConcurrency <= 0 {
		opts.ScenarioConcurrency = 2
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	start := time.Now()
	rep := Report{Clean: make([]CleanResult, len(modes)), Faults: make([]FaultResult, len(modes)*len(faults)),
		ProxyBinding: HarnessGatesAssertions()}
	// The longest runs go first, so that the short ones fill the slots at the end: the clean runs (the
	// full suite), then the runs that go through all their scenarios (strict-only faults without strict,
	// faults not meant to stop at a fail), then the others.
	stepExprs := steps.StepExpressions()
	jobs := make(chan func(), len(rep.Clean)+len(rep.Faults))
	for i, m := range modes {
		jobs <- func() { rep.Clean[i] = runClean(ctx, opts, m) }
	}
	for rank := range 3 {
		for mi, m := range modes {
			for fi, f := range faults {
				blind := blindSpot(f, stepExprs)
				if length(f, m, blind) == rank {
					jobs <- func() { rep.Faults[mi*len(faults)+fi] = runFault(ctx, opts, f, m, blind) }
				}
			}
		}
	}
	close(jobs)
	var wg sync.WaitGroup
	for range min(opts.Concurrency, cap(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				job()
			}
		}()
	}
	wg.Wait()
	rep.Duration = time.Since(start)
	printTable(stdout, rep)
	if opts.Report != "" {
		if err := os.WriteFile(opts.Report, []byte(Markdown(rep)), 0o644); err != nil {
			return rep, fmt.Errorf("write report: %w", err)
		}
	}
	return rep, nil
}

// length ranks f's run in m, longest first: 0 for the faults that never answer (they wait for the
// request timeout), 1 for the runs that go through all their scenarios, 2 for the others.
func length(f Fault, m Mode, blind bool) int {
	switch {
	case f.Class == ClassTransport && strings.HasSuffix(f.Name, "-never-answers"):
		return 0
	case runsThrough(f, m, blind):
		return 1
	}
	return 2
}

// runsThrough says whether f's run in m is expected to go through all its scenarios instead of stopping
// at a fail.
func runsThrough(f Fault, m Mode, blind bool) bool {
	return f.StrictOnly || blind || f.Want(m) == VerdictUnconfirmedDiffers
}

// selectFaults returns the named faults in catalogue order, all of them when names is empty.
func selectFaults(all []Fault, names []string) ([]Fault, error) {
	if len(names) == 0 {
		return all, nil
	}
	var out []Fault
	var unknown []string
	for _, n := range names {
		if !slices.ContainsFunc(all, func(f Fault) bool { return f.Name == n }) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown fault(s) %s (see the catalogue: dewconform selftest --list)", strings.Join(unknown, ", "))
	}
	for _, f := range all {
		if slices.Contains(names, f.Name) {
			out = append(out, f)
		}
	}
	return out, nil
}

// target is one fresh mock behind an optional fault, served on 127.0.0.1; in proxy mode behind a reverse
// proxy that hides what tells the runner it talks to a dewconform mock. close stops both servers.
func target(wrap func(http.Handler) http.Handler, m Mode) (endpoint string, close func(), err error) {
	mk, err := mock.New(mock.Options{Control: true, Limits: mock.Limits{KeysPerProject: 100000, GrantsPerKey: 100000, SecretsPerProject: 100000}})
	if err != nil {
		return "", nil, fmt.Errorf("mock: %w", err)
	}
	var h http.Handler = mk
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	if m != ModeProxy {
		return srv.URL, srv.Close, nil
	}
	front, err := proxy(srv.URL)
	if err != nil {
		srv.Close()
		return "", nil, err
	}
	return front.URL, func() { front.Close(); srv.Close() }, nil
}

// controlPrefix is where the mock serves its control API and its health endpoint (the runner's test for
// "is this a dewconform mock").
const controlPrefix = "/_dewconform"

// proxy serves a plain reverse proxy to backend that answers the control API's paths as the gateway
// answers an unknown path: the runner then sees a target it does not recognise as the mock.
func proxy(backend string) (*httptest.Server, error) {
	u, err := url.Parse(backend)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	// A fault that never answers makes the proxy log the client's cancellation: expected, not news.
	rp.ErrorLog = log.New(io.Discard, "", 0)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == controlPrefix || strings.HasPrefix(r.URL.Path, controlPrefix+"/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error_code":"APIGW.0101","error_msg":"The API does not exist or has not been published in the environment"}`)
			return
		}
		rp.ServeHTTP(w, r)
	})), nil
}

// config is the run configuration against endpoint in mode m. Against the mock: the embedded mock's fast
// settings. Through the proxy: a target like any other (no control API, @mock-only skipped, unconfirmed
// differences not gating), with the concurrency and an unlimited rate set explicitly, since the gentle
// defaults for a real service would make the self-test slow. Both use token auth (the faults recognise
// callers by their tokens) and file order (the first detection is then reproducible).
func config(endpoint string, m Mode, tags string, concurrency int, timeout time.Duration, strict bool, stop func(conformance.ScenarioResult) bool) conformance.Config {
	cfg := conformance.Config{
		KMSEndpoint: endpoint, Embedded: true, Control: true, Auth: conformance.AuthToken, Tags: tags,
		Concurrency: concurrency, Strict: strict, Timeout: timeout, StopWhen: stop,
	}
	if m == ModeProxy {
		cfg.Embedded, cfg.Control, cfg.RPS = false, false, -1
	}
	return cfg
}

func runClean(ctx context.Context, opts Options, m Mode) CleanResult {
	start := time.Now()
	out := CleanResult{Mode: m}
	endpoint, closeAll, err := target(nil, m)
	if err != nil {
		out.Verdict = err.Error()
		return out
	}
	defer closeAll()
	res, err := conformance.Run(ctx, config(endpoint, m, opts.CleanTags, FullConcurrency, fullTimeout, false, nil), io.Discard, io.Discard)
	out.Duration = time.Since(start)
	if err != nil {
		out.Verdict = "run: " + err.Error()
		return out
	}
	out.Passed, out.Verdict = res.ExitCode() == 0 && len(res.Scenarios) > 0, res.Verdict()
	if m == ModeProxy && res.Mock {
		out.Passed, out.Verdict = false, "the runner recognised the proxy as the mock: the proxy mode would test nothing new"
	}
	for _, s := range res.Scenarios {
		if s.Outcome != conformance.Skip {
			out.Scenarios++
		}
		if s.Outcome != conformance.Pass && s.Outcome != conformance.Skip {
			out.Failures = append(out.Failures, fmt.Sprintf("%s %s %q: %s", s.Outcome, s.ID, s.Name, s.Reason))
		}
	}
	return out
}

// catches says whether a scenario's result detects f (gating).
func catches(f Fault, s conformance.ScenarioResult) bool {
	if !slices.Contains(s.Operations, f.Operation) {
		return false
	}
	return s.Outcome == conformance.Fail || (f.Class == ClassTransport && s.Outcome == conformance.Error)
}

func runFault(ctx context.Context, opts Options, f Fault, m Mode, blind bool) FaultResult {
	start := time.Now()
	out := FaultResult{Fault: f, Mode: m, Want: f.Want(m), Got: Missed, Blind: blind}
	if out.Want == VerdictMockOnly {
		out.Got = NotRun
		return out
	}
	if f.StrictOnly {
		v, err := faultRun(ctx, opts, f, m, false, blind)
		if err != nil {
			out.Err = err.Error()
			out.Duration = time.Since(start)
			return out
		}
		out.NonStrict = v.Got
	}
	v, err := faultRun(ctx, opts, f, m, f.StrictOnly, blind)
	if err != nil {
		out.Err = err.Error()
		out.Duration = time.Since(start)
		return out
	}
	out.Got, out.Scenario, out.Outcome, out.Reason, out.Scenarios, out.ExitCode = v.Got, v.Scenario, v.Outcome, v.Reason, v.Scenarios, v.ExitCode
	if f.StrictOnly && out.NonStrict == Detected {
		out.Got = DetectedWithoutStrict
	}
	out.Duration = time.Since(start)
	return out
}

// faultRun runs the scenarios of f's operation against a fresh faulty mock in mode m, stopping at the
// first that catches it.
func faultRun(ctx context.Context, opts Options, f Fault, m Mode, strict, blind bool) (FaultResult, error) {
	endpoint, closeAll, err := target(f.Wrap, m)
	if err != nil {
		return FaultResult{}, err
	}
	defer closeAll()
	stop := func(s conformance.ScenarioResult) bool { return catches(f, s) }
	concurrency, timeout := opts.ScenarioConcurrency, opts.Timeout
	if f.StrictOnly && !strict {
		concurrency, timeout = FullConcurrency, fullTimeout
	} else if runsThrough(f, m, blind) {
		concurrency = FullConcurrency
	}
	res, err := conformance.Run(ctx, config(endpoint, m, "@"+f.Operation, concurrency, timeout, strict, stop), io.Discard, io.Discard)
	if err != nil {
		return FaultResult{}, fmt.Errorf("run: %w", err)
	}
	v := FaultResult{Got: Missed, ExitCode: res.ExitCode()}
	if res.Reason != "" && !strings.HasPrefix(res.Reason, "stopped early") {
		v.Reason = res.Reason
	}
	var unconfirmed *conformance.ScenarioResult
	for i, s := range res.Scenarios {
		if s.Outcome != conformance.Skip {
			v.Scenarios++
		}
		if v.Got == Missed && catches(f, s) {
			v.Got, v.Scenario, v.Outcome, v.Reason = Detected, s.ID+" "+s.Name, s.Outcome, s.Reason
		}
		if unconfirmed == nil && s.Outcome == conformance.UnconfirmedDiffers && slices.Contains(s.Operations, f.Operation) {
			unconfirmed = &res.Scenarios[i]
		}
	}
	switch {
	case v.Got == Detected && v.ExitCode == 0:
		// Cannot happen with the runner's exit codes; if it did, the fault would not gate.
		v.Got, v.Reason = Missed, "a scenario failed but the run exited 0: "+v.Reason
	case v.Got == Missed && unconfirmed != nil && v.ExitCode == 0:
		v.Got, v.Scenario, v.Outcome, v.Reason = DetectedUnconfirmed, unconfirmed.ID+" "+unconfirmed.Name, unconfirmed.Outcome, unconfirmed.Reason
	case v.Got == Missed && unconfirmed != nil:
		v.Reason = fmt.Sprintf("scenario %s %s differs in an unconfirmed expectation, but the run exited %d: %s",
			unconfirmed.ID, unconfirmed.Name, v.ExitCode, res.Verdict())
	}
	if len(res.Scenarios) == 0 && v.Reason == "" {
		v.Reason = "no scenario is tagged @" + f.Operation
	}
	return v, nil
}

// printTable writes the console table.
func printTable(w io.Writer, rep Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tMODE\tCLASS\tOPERATION\tWANT\tRESULT\tRAN\tTIME\tFIRST SCENARIO THAT CAUGHT IT")
	for _, f := range rep.Faults {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", f.Fault.Name, f.Mode, f.Fault.Class, f.Fault.Operation, wantText(f),
			resultText(f), f.Scenarios, f.Duration.Round(100*time.Millisecond), caughtBy(f))
	}
	_ = tw.Flush()
	for _, c := range rep.Clean {
		clean := "PASS"
		if !c.Passed {
			clean = "FAIL"
		}
		fmt.Fprintf(w, "\nclean run (%s): %s (%s, %d scenarios, %s)\n", c.Mode, clean, c.Verdict, c.Scenarios, c.Duration.Round(time.Millisecond))
		for _, l := range c.Failures {
			fmt.Fprintln(w, "  "+truncate(l, 300))
		}
	}
	for _, f := range rep.Faults {
		if !f.AsDeclared() {
			note := ""
			if !rep.binding(f) {
				note = " [not binding: the harness lacks per-assertion confidence]"
			}
			fmt.Fprintf(w, "%s %s (%s, want %s): %s%s\n", f.Got, f.Fault.Name, f.Mode, wantText(f), truncate(missReason(f), 300), note)
		}
	}
	if !rep.ProxyBinding && slices.ContainsFunc(rep.Faults, func(f FaultResult) bool { return f.Mode == ModeProxy }) {
		fmt.Fprintln(w, "note: the steps lack per-assertion confidence (\"Then the call is refused\"); the proxy mode's declarations do not bind yet")
	}
	fmt.Fprintf(w, "selftest: %s: %s, %s\n", map[bool]string{true: "PASS", false: "FAIL"}[rep.OK()], summary(rep), rep.Duration.Round(time.Millisecond))
}

// summary says, per mode run, how many faults gave their declared verdict.
func summary(rep Report) string {
	var parts []string
	for _, m := range Modes() {
		n, total := rep.Count(m)
		if total > 0 {
			parts = append(parts, fmt.Sprintf("%s %d/%d faults as declared (%s)", m, n, total, percent(n, total)))
		}
	}
	if len(parts) == 0 {
		return "no fault run"
	}
	return strings.Join(parts, ", ")
}

func wantText(f FaultResult) string {
	if f.Blind {
		return "missed (blind spot)"
	}
	return string(f.Want)
}

func resultText(f FaultResult) string {
	s := string(f.Got)
	if f.Got == Detected && f.Outcome != "" {
		s += " (" + string(f.Outcome) + ")"
	}
	if f.Fault.StrictOnly && f.Got != NotRun {
		if f.NonStrict == Detected {
			s += ", also without strict"
		} else {
			s += ", strict only"
		}
	}
	return s
}

func caughtBy(f FaultResult) string {
	if f.Got == Detected || f.Got == DetectedUnconfirmed {
		return f.Scenario
	}
	return "-"
}

func missReason(f FaultResult) string {
	switch {
	case f.Err != "":
		return f.Err
	case f.Got == DetectedWithoutStrict:
		return "a run without strict caught it; a strict-only fault must pass without strict"
	case f.Blind && f.Got != Missed:
		return "a known blind spot was caught, though no step offers the check it awaits (" + f.Fault.Awaits + ")"
	case f.Got == Detected && f.Want == VerdictUnconfirmedDiffers:
		return fmt.Sprintf("a gating %s of %s; the declaration says only an unconfirmed expectation differs (%s)", f.Outcome, f.Scenario, f.Reason)
	case f.Got == DetectedUnconfirmed:
		return fmt.Sprintf("%s differs only in an unconfirmed expectation, so the run does not gate (%s)", f.Scenario, f.Reason)
	case f.Reason != "":
		return fmt.Sprintf("no scenario tagged @%s failed (%d ran; %s)", f.Fault.Operation, f.Scenarios, f.Reason)
	}
	return fmt.Sprintf("no scenario tagged @%s failed (%d ran): add the scenario or check that catches it", f.Fault.Operation, f.Scenarios)
}

// Markdown renders the report as a Markdown document.
func Markdown(rep Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# dewconform self-test\n\n%s. Verdict: %s.\n\n", summary(rep), map[bool]string{true: "PASS", false: "FAIL"}[rep.OK()])
	for _, c := range rep.Clean {
		fmt.Fprintf(&b, "- clean run (%s): %s (%d scenarios)\n", c.Mode, c.Verdict, c.Scenarios)
	}
	if !rep.ProxyBinding {
		b.WriteString("- the steps lack per-assertion confidence: the proxy mode's declarations do not bind yet\n")
	}
	b.WriteString("\n| fault | mode | class | operation | want | result | first scenario that caught it |\n|---|---|---|---|---|---|---|\n")
	for _, f := range rep.Faults {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", cell(f.Fault.Name), f.Mode, f.Fault.Class, f.Fault.Operation,
			cell(wantText(f)), cell(resultText(f)), cell(caughtBy(f)))
	}
	b.WriteString("\n## Catalogue per class and operation\n\n| operation |")
	for _, c := range Classes() {
		fmt.Fprintf(&b, " %s |", c)
	}
	b.WriteString(" total |\n|---|")
	for range Classes() {
		b.WriteString("---|")
	}
	b.WriteString("---|\n")
	var catalogue []Fault
	for _, f := range rep.Faults {
		if !slices.ContainsFunc(catalogue, func(g Fault) bool { return g.Name == f.Fault.Name }) {
			catalogue = append(catalogue, f.Fault)
		}
	}
	counts, ops := countByOperation(catalogue)
	for _, op := range ops {
		fmt.Fprintf(&b, "| %s |", op)
		total := 0
		for _, c := range Classes() {
			n := counts[op][c]
			total += n
			fmt.Fprintf(&b, " %d |", n)
		}
		fmt.Fprintf(&b, " %d |\n", total)
	}
	var misses []string
	for _, f := range rep.Faults {
		if !f.AsDeclared() {
			misses = append(misses, fmt.Sprintf("- **%s** (%s, want %s, got %s): %s", cell(f.Fault.Name), f.Mode, cell(wantText(f)), f.Got, cell(missReason(f))))
		}
	}
	if len(misses) > 0 {
		b.WriteString("\n## Not as declared\n\n" + strings.Join(misses, "\n") + "\n")
	}
	return b.String()
}

// countByOperation counts the faults per operation and class; seed operations come first.
func countByOperation(faults []Fault) (map[string]map[Class]int, []string) {
	counts := map[string]map[Class]int{}
	ops := slices.Clone(SeedOperations())
	for _, f := range faults {
		op := f.Operation
		if counts[op] == nil {
			counts[op] = map[Class]int{}
			if !slices.Contains(ops, op) {
				ops = append(ops, op)
			}
		}
		counts[op][f.Class]++
	}
	ops = slices.DeleteFunc(ops, func(op string) bool { return counts[op] == nil })
	return counts, ops
}

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

func percent(n, total int) string {
	if total == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(total))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
