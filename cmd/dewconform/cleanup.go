package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/dewconform/dewconform/conformance"
)

func cleanupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cleanupWith(ctx, args, stdout, stderr, os.Getenv)
}

func cleanupWith(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := newFlagSet("cleanup", "cleanup --endpoint URL (--run-id ID | --all-runs) [flags]", stdout)
	var t targetFlags
	t.bind(fs)
	runID := fs.String("run-id", "", "remove what the run with this id created (prefix dewconform-<id>-)")
	allRuns := fs.Bool("all-runs", false, "remove what any run created (prefix dewconform-)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	if (*runID == "") == !*allRuns {
		fmt.Fprintln(stderr, "dewconform cleanup: give exactly one of --run-id and --all-runs")
		return exitNotJudge
	}
	var cfg conformance.Config
	var err error
	cfg.Identities, cfg.ProjectID, err = t.identitySet(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "dewconform cleanup: %s\n", oneLine(err))
		return exitNotJudge
	}
	cfg.KMSEndpoint, cfg.CSMSEndpoint = t.endpoints(getenv)
	if cfg.KMSEndpoint == "" {
		fmt.Fprintln(stderr, "dewconform cleanup: give --endpoint (or --kms-endpoint / --csms-endpoint)")
		return exitNotJudge
	}
	cfg.Auth, cfg.Timeout, cfg.RPS = conformance.AuthMode(t.auth), t.timeout, t.rps
	res, err := conformance.Cleanup(ctx, cfg, *runID, *allRuns)
	for _, r := range res.Scheduled {
		fmt.Fprintln(stdout, "scheduled for deletion: "+r)
	}
	for _, r := range res.Purged {
		fmt.Fprintln(stdout, "purged by the mock: "+r)
	}
	for _, r := range res.Live {
		fmt.Fprintln(stdout, "still there: "+r)
	}
	for _, r := range res.Unreached {
		fmt.Fprintln(stdout, "not reached: "+r)
	}
	fmt.Fprintf(stdout, "%d resource(s) scheduled for deletion", len(res.Scheduled))
	if len(res.Purged) > 0 {
		fmt.Fprintf(stdout, ", %d purged by the mock", len(res.Purged))
	}
	fmt.Fprintln(stdout)
	if err != nil {
		fmt.Fprintf(stderr, "dewconform cleanup: %s\n", oneLine(err))
		return exitNotJudge
	}
	return exitOK
}
