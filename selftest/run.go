package selftest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/mock"
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
	// Concurrency is the number of runs (the clean one and the faults') at once; 0 means twice GOMAXPROCS
	// (the runs of faults that never answer spend most of their time waiting for the request timeout).
	Concurrency int
	// ScenarioConcurrency is the number of scenarios a fault's run executes at once; 0 means 2. Scenarios
	// already running when the fault is caught run to their end, so more is not always faster. The runs
	// meant to pass in full (the clean run, strict-only faults without strict) use FullConcurrency.
	ScenarioConcurrency int
	// Faults selects faults of the catalogue by name; empty means all of them.
	Faults []string
	// Catalogue replaces Faults() (for tests of the self-test itself); nil means Faults().
	Catalogue []Fault
	// Timeout is the per-request timeout of the faults' runs; 0 means DefaultTimeout.
	Timeout time.Duration
	// Report is a Markdown file to write the table to; "" writes none.
	Report string
	// CleanTags restricts the clean run (a godog tag expression); "" runs the full suite. Only for tests
	// that check the machinery: the self-test proper always runs the clean suite in full.
	CleanTags string
}

// Verdict is what became of one fault.
type Verdict string

const (
	Detected Verdict = "detected"
	Missed   Verdict = "missed"
	// DetectedWithoutStrict is a strict-only fault a run without strict caught: the fault is not what its
	// class says, or the non-strict checks are wrong.
	DetectedWithoutStrict Verdict = "detected-without-strict"
)

// FaultResult is the outcome of one fault's run.
type FaultResult struct {
	Fault   Fault
	Verdict Verdict
	// Scenario is "<id> <name>" of the first scenario that caught the fault ("" when missed), Outcome its
	// outcome (fail, or error for transport faults) and Reason why it did not pass.
	Scenario string
	Outcome  conformance.Outcome
	Reason   string
	// NonStrict is, for a strict-only fault, the verdict of the run without strict (Missed is expected).
	NonStrict Verdict
	Scenarios int // scenarios that ran (not skipped) until the fault was caught
	Duration  time.Duration
	Err       string // the run itself failed (configuration, mock); the fault then counts as missed
}

// CleanResult is the outcome of the run against the unmodified mock.
type CleanResult struct {
	Passed    bool
	Verdict   string
	Scenarios int
	Failures  []string // "<outcome> <id> <name>: <reason>" of each scenario that did not pass
	Duration  time.Duration
}

// Report is the outcome of a self-test.
type Report struct {
	Clean    CleanResult
	Faults   []FaultResult
	Duration time.Duration
}

// OK says whether the clean run passed and every fault was detected as its class requires.
func (r Report) OK() bool {
	if !r.Clean.Passed {
		return false
	}
	for _, f := range r.Faults {
		if f.Verdict != Detected {
			return false
		}
	}
	return true
}

// DetectedCount returns how many faults were detected.
func (r Report) DetectedCount() int {
	n := 0
	for _, f := range r.Faults {
		if f.Verdict == Detected {
			n++
		}
	}
	return n
}

// Run runs the suite against a clean mock, then once per selected fault, each on its own fresh mock on
// 127.0.0.1, up to Concurrency runs at once. A fault's run is limited to the scenarios tagged with its
// operation and stops at its first detection: a fail of such a scenario (for transport faults, a fail or
// an error). Strict-only faults run once without strict (which must not detect them) and once with. It
// prints the table to stdout and writes the Markdown report. The error is for bad options and report
// files; everything about the faults is in the Report (see Report.OK).
func Run(ctx context.Context, opts Options, stdout io.Writer) (Report, error) {
	all := opts.Catalogue
	if all == nil {
		all = Faults()
	}
	faults, err := selectFaults(all, opts.Faults)
	if err != nil {
		return Report{}, err
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 2 * runtime.GOMAXPROCS(0)
	}
	if opts.ScenarioConcurrency <= 0 {
		opts.ScenarioConcurrency = 2
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	start := time.Now()
	rep := Report{Faults: make([]FaultResult, len(faults))}
	// The longest runs go first, so that the short ones fill the slots at the end: the clean run (the full
	// suite), then the strict-only faults (their run without strict goes through all their scenarios).
	jobs := make(chan func(), len(faults)+1)
	jobs <- func() { rep.Clean = runClean(ctx, opts) }
	order := make([]int, 0, len(faults))
	for i, f := range faults {
		if f.StrictOnly {
			order = append(order, i)
		}
	}
	for i, f := range faults {
		if !f.StrictOnly {
			order = append(order, i)
		}
	}
	for _, i := range order {
		jobs <- func() { rep.Faults[i] = runFault(ctx, opts, faults[i]) }
	}
	close(jobs)
	var wg sync.WaitGroup
	for range min(opts.Concurrency, len(faults)+1) {
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

// target is one fresh mock behind an optional fault, served on 127.0.0.1.
func target(wrap func(http.Handler) http.Handler) (*httptest.Server, error) {
	m, err := mock.New(mock.Options{Control: true, Limits: mock.Limits{KeysPerProject: 100000, GrantsPerKey: 100000, SecretsPerProject: 100000}})
	if err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	var h http.Handler = m
	if wrap != nil {
		h = wrap(h)
	}
	return httptest.NewServer(h), nil
}

// config is the run configuration against url: the embedded mock's fast settings, token auth (the faults
// recognise callers by their tokens), file order (the first detection is then reproducible).
func config(url, tags string, concurrency int, timeout time.Duration, strict bool, stop func(conformance.ScenarioResult) bool) conformance.Config {
	return conformance.Config{
		KMSEndpoint: url, Embedded: true, Control: true, Auth: conformance.AuthToken, Tags: tags,
		Concurrency: concurrency, Strict: strict, Timeout: timeout, StopWhen: stop,
	}
}

func runClean(ctx context.Context, opts Options) CleanResult {
	start := time.Now()
	srv, err := target(nil)
	if err != nil {
		return CleanResult{Verdict: err.Error()}
	}
	defer srv.Close()
	res, err := conformance.Run(ctx, config(srv.URL, opts.CleanTags, FullConcurrency, fullTimeout, false, nil), io.Discard, io.Discard)
	if err != nil {
		return CleanResult{Verdict: "run: " + err.Error(), Duration: time.Since(start)}
	}
	out := CleanResult{Passed: res.ExitCode() == 0 && len(res.Scenarios) > 0, Verdict: res.Verdict(), Duration: time.Since(start)}
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

// catches says whether a scenario's result detects f.
func catches(f Fault, s conformance.ScenarioResult) bool {
	if !slices.Contains(s.Operations, f.Operation) {
		return false
	}
	return s.Outcome == conformance.Fail || (f.Class == ClassTransport && s.Outcome == conformance.Error)
}

func runFault(ctx context.Context, opts Options, f Fault) FaultResult {
	start := time.Now()
	out := FaultResult{Fault: f, Verdict: Missed}
	if f.StrictOnly {
		v, _, err := faultRun(ctx, opts, f, false)
		if err != nil {
			out.Err = err.Error()
			out.Duration = time.Since(start)
			return out
		}
		out.NonStrict = v.Verdict
	}
	v, _, err := faultRun(ctx, opts, f, f.StrictOnly)
	if err != nil {
		out.Err = err.Error()
		out.Duration = time.Since(start)
		return out
	}
	out.Verdict, out.Scenario, out.Outcome, out.Reason, out.Scenarios = v.Verdict, v.Scenario, v.Outcome, v.Reason, v.Scenarios
	if f.StrictOnly && out.NonStrict == Detected {
		out.Verdict = DetectedWithoutStrict
	}
	out.Duration = time.Since(start)
	return out
}

// faultRun runs the scenarios of f's operation against a fresh faulty mock, stopping at the first that
// catches it.
func faultRun(ctx context.Context, opts Options, f Fault, strict bool) (FaultResult, conformance.Result, error) {
	srv, err := target(f.Wrap)
	if err != nil {
		return FaultResult{}, conformance.Result{}, err
	}
	defer srv.Close()
	stop := func(s conformance.ScenarioResult) bool { return catches(f, s) }
	concurrency, timeout := opts.ScenarioConcurrency, opts.Timeout
	if f.StrictOnly && !strict {
		concurrency, timeout = FullConcurrency, fullTimeout
	}
	res, err := conformance.Run(ctx, config(srv.URL, "@"+f.Operation, concurrency, timeout, strict, stop), io.Discard, io.Discard)
	if err != nil {
		return FaultResult{}, res, fmt.Errorf("run: %w", err)
	}
	v := FaultResult{Verdict: Missed}
	if res.Reason != "" && !strings.HasPrefix(res.Reason, "stopped early") {
		v.Reason = res.Reason
	}
	for _, s := range res.Scenarios {
		if s.Outcome != conformance.Skip {
			v.Scenarios++
		}
		if v.Verdict == Missed && catches(f, s) {
			v.Verdict, v.Scenario, v.Outcome, v.Reason = Detected, s.ID+" "+s.Name, s.Outcome, s.Reason
		}
	}
	if len(res.Scenarios) == 0 && v.Reason == "" {
		v.Reason = "no scenario is tagged @" + f.Operation
	}
	return v, res, nil
}

// printTable writes the console table.
func printTable(w io.Writer, rep Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tCLASS\tOPERATION\tRESULT\tRAN\tTIME\tFIRST SCENARIO THAT CAUGHT IT")
	for _, f := range rep.Faults {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", f.Fault.Name, f.Fault.Class, f.Fault.Operation, resultText(f), f.Scenarios,
			f.Duration.Round(100*time.Millisecond), caughtBy(f))
	}
	_ = tw.Flush()
	clean := "PASS"
	if !rep.Clean.Passed {
		clean = "FAIL"
	}
	fmt.Fprintf(w, "\nclean run: %s (%s, %d scenarios, %s)\n", clean, rep.Clean.Verdict, rep.Clean.Scenarios, rep.Clean.Duration.Round(time.Millisecond))
	for _, l := range rep.Clean.Failures {
		fmt.Fprintln(w, "  "+truncate(l, 300))
	}
	for _, f := range rep.Faults {
		if f.Verdict != Detected {
			fmt.Fprintf(w, "%s %s: %s\n", f.Verdict, f.Fault.Name, truncate(missReason(f), 300))
		}
	}
	fmt.Fprintf(w, "selftest: %s: %d/%d faults detected (%s), %s\n", map[bool]string{true: "PASS", false: "FAIL"}[rep.OK()],
		rep.DetectedCount(), len(rep.Faults), percent(rep.DetectedCount(), len(rep.Faults)), rep.Duration.Round(time.Millisecond))
}

func resultText(f FaultResult) string {
	s := string(f.Verdict)
	if f.Verdict == Detected && f.Outcome != "" {
		s += " (" + string(f.Outcome) + ")"
	}
	if f.Fault.StrictOnly {
		if f.NonStrict == Detected {
			s += ", also without strict"
		} else {
			s += ", strict only"
		}
	}
	return s
}

func caughtBy(f FaultResult) string {
	if f.Verdict == Detected {
		return f.Scenario
	}
	return "-"
}

func missReason(f FaultResult) string {
	switch {
	case f.Err != "":
		return f.Err
	case f.Verdict == DetectedWithoutStrict:
		return "a run without strict caught it; a strict-only fault must pass without strict"
	case f.Reason != "":
		return fmt.Sprintf("no scenario tagged @%s failed (%d ran; %s)", f.Fault.Operation, f.Scenarios, f.Reason)
	}
	return fmt.Sprintf("no scenario tagged @%s failed (%d ran): add the scenario or check that catches it", f.Fault.Operation, f.Scenarios)
}

// Markdown renders the report as a Markdown document.
func Markdown(rep Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# dewconform self-test\n\n%d/%d faults detected (%s); clean run: %s (%d scenarios). Verdict: %s.\n\n",
		rep.DetectedCount(), len(rep.Faults), percent(rep.DetectedCount(), len(rep.Faults)), rep.Clean.Verdict, rep.Clean.Scenarios,
		map[bool]string{true: "PASS", false: "FAIL"}[rep.OK()])
	b.WriteString("| fault | class | operation | result | first scenario that caught it |\n|---|---|---|---|---|\n")
	for _, f := range rep.Faults {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(f.Fault.Name), f.Fault.Class, f.Fault.Operation, cell(resultText(f)), cell(caughtBy(f)))
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
	counts, ops := countByOperation(rep.Faults)
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
		if f.Verdict != Detected {
			misses = append(misses, fmt.Sprintf("- **%s** (%s): %s", cell(f.Fault.Name), f.Verdict, cell(missReason(f))))
		}
	}
	if len(misses) > 0 {
		b.WriteString("\n## Not detected\n\n" + strings.Join(misses, "\n") + "\n")
	}
	return b.String()
}

// countByOperation counts the faults per operation and class; seed operations come first.
func countByOperation(faults []FaultResult) (map[string]map[Class]int, []string) {
	counts := map[string]map[Class]int{}
	ops := slices.Clone(SeedOperations())
	for _, f := range faults {
		op := f.Fault.Operation
		if counts[op] == nil {
			counts[op] = map[Class]int{}
			if !slices.Contains(ops, op) {
				ops = append(ops, op)
			}
		}
		counts[op][f.Fault.Class]++
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
