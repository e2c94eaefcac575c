package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Exit codes, as documented for "run": 0 pass, 1 a scenario failed, 2 not judged or usage error.
const (
	exitOK       = 0
	exitFail     = 1
	exitNotJudge = 2
)

// command is one subcommand. Every subcommand is listed in commands(), the one place to add another
// (selftest registers itself there).
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run the conformance suite against an endpoint (default: the embedded mock)", runCmd},
		{"serve", "serve the reference mock of KMS and CSMS", serveCmd},
		{"spec", "print an embedded OpenAPI document", specCmd},
		{"cleanup", "remove the resources runs left behind, by their run prefix", cleanupCmd},
		{"selftest", "prove the suite's power: run it against the mock with each seeded fault", selftestCmd},
		{"version", "print the tool's version, commit and commit time, the spec and Go versions", versionCmd},
		{"licenses", "print the licence of dewconform and the notices of the code built into it", licensesCmd},
		{"health", "exit 0 when a dewconform mock or DEW endpoint answers (for CI health checks)", healthCmd},
	}
}

// run dispatches to a subcommand and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitNotJudge
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "dewconform: unknown command %q\n", args[0])
	usage(stderr)
	return exitNotJudge
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: dewconform <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"dewconform <command> --help\" for a command's flags.")
}

// newFlagSet returns a flag set whose errors and help go to stderr/stdout as the exit codes expect.
func newFlagSet(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: dewconform %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; done is true when the command should return code at once (help or a bad flag).
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, done bool) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "dewconform %s: %v\n", fs.Name(), err)
		fmt.Fprintf(stderr, "run \"dewconform %s --help\" for the flags\n", fs.Name())
		return exitNotJudge, true
	}
	return 0, false
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
