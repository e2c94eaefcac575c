package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dewconform/dewconform/selftest"
)

// faultNames collects the repeatable --fault flag.
type faultNames []string

func (f *faultNames) String() string { return strings.Join(*f, ",") }

func (f *faultNames) Set(v string) error {
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			*f = append(*f, n)
		}
	}
	return nil
}

// selftestCmd runs the suite against the embedded mock once clean and once per seeded fault, in each mode
// (against the mock, and through a proxy that hides it). Exit codes: 0 every fault gave its declared
// verdict and the clean runs passed, 1 otherwise, 2 usage or report-file errors.
func selftestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return selftestWith(ctx, args, stdout, stderr, nil)
}

// selftestWith is selftestCmd with a hook that adjusts the options after the flags (tests shorten the
// clean run with it).
func selftestWith(ctx context.Context, args []string, stdout, stderr io.Writer, adjust func(*selftest.Options)) int {
	fs := newFlagSet("selftest", "selftest [--report FILE] [--mode mock|proxy|both] [--concurrency N] [--fault NAME]... [--list]", stdout)
	mode := fs.String("mode", "both", "mock: against the mock and its control API; proxy: through a proxy that hides it; both")
	report := fs.String("report", "", "write the table as Markdown to FILE")
	concurrency := fs.Int("concurrency", 0, "runs (the clean one and the faults') at once; 0: four times GOMAXPROCS")
	scenarios := fs.Int("scenario-concurrency", 0, "scenarios at once in a fault's run; 0: 2")
	timeout := fs.Duration("timeout", selftest.DefaultTimeout, "timeout of one request in the faults' runs")
	var faults faultNames
	fs.Var(&faults, "fault", "run only this fault (repeatable, or comma-separated); default: the whole catalogue")
	list := fs.Bool("list", false, "print the catalogue of faults and exit")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dewconform selftest: unexpected arguments %q\n", fs.Args())
		return exitNotJudge
	}
	if *concurrency < 0 || *scenarios < 0 || *timeout <= 0 {
		fmt.Fprintln(stderr, "dewconform selftest: --concurrency and --scenario-concurrency must be 0 or more, --timeout positive")
		return exitNotJudge
	}
	var modes []selftest.Mode
	switch *mode {
	case "both":
	case string(selftest.ModeMock), string(selftest.ModeProxy):
		modes = []selftest.Mode{selftest.Mode(*mode)}
	default:
		fmt.Fprintf(stderr, "dewconform selftest: --mode %q: want mock, proxy or both\n", *mode)
		return exitNotJudge
	}
	if *list {
		printCatalogue(stdout)
		return exitOK
	}
	opts := selftest.Options{
		Concurrency: *concurrency, ScenarioConcurrency: *scenarios, Modes: modes, Faults: faults, Timeout: *timeout, Report: *report,
	}
	if adjust != nil {
		adjust(&opts)
	}
	start := time.Now()
	rep, err := selftest.Run(ctx, opts, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "dewconform selftest: %s\n", oneLine(err))
		return exitNotJudge
	}
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "dewconform selftest: interrupted after %s\n", time.Since(start).Round(time.Millisecond))
		return exitFail
	}
	if !rep.OK() {
		return exitFail
	}
	return exitOK
}

// printCatalogue lists the faults: name, class, operation, rule, the verdict due in each mode, description
// (and why the proxy verdict is not fail, or which scenario a known blind spot awaits).
func printCatalogue(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tCLASS\tOPERATION\tRULE\tMOCK\tPROXY\tDESCRIPTION")
	for _, f := range selftest.Faults() {
		desc := f.Description
		if f.ProxyReason != "" {
			desc += " [proxy: " + f.ProxyReason + "]"
		}
		if f.Awaits != "" {
			desc += " [awaits the step \"" + f.Awaits + "…\"]"
		}
		rule := f.Rule
		if rule == "" {
			rule = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, f.Class, f.Operation, rule, f.Want(selftest.ModeMock), f.Want(selftest.ModeProxy), desc)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\n%s\n", selftest.CatalogueSummary(selftest.Faults()))
}
