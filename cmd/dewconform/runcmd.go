package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
)

// Environment variables of the primary identity, as the official SDKs name them, and the target.
const (
	envAK        = "HUAWEICLOUD_SDK_AK"
	envSK        = "HUAWEICLOUD_SDK_SK"
	envProjectID = "HUAWEICLOUD_SDK_PROJECT_ID"
	envToken     = "DEWCONFORM_TOKEN"
	envEndpoint  = "DEWCONFORM_ENDPOINT"
)

// targetFlags are shared by run and cleanup.
type targetFlags struct {
	endpoint, kmsEndpoint, csmsEndpoint, projectID, identities, auth string
	timeout                                                          time.Duration
	rps                                                              float64
}

func (t *targetFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&t.endpoint, "endpoint", "", "base URL of both services (env "+envEndpoint+"); none: run against the embedded mock")
	fs.StringVar(&t.kmsEndpoint, "kms-endpoint", "", "base URL of KMS (overrides --endpoint)")
	fs.StringVar(&t.csmsEndpoint, "csms-endpoint", "", "base URL of CSMS (overrides --endpoint)")
	fs.StringVar(&t.projectID, "project-id", "", "project of the primary identity (env "+envProjectID+")")
	fs.StringVar(&t.identities, "identities", "", "identities YAML file (name, project_id, user_id, token and/or ak/sk); default: the mock's")
	fs.StringVar(&t.auth, "auth", string(conformance.AuthToken), "how requests authenticate: token or aksk")
	fs.DurationVar(&t.timeout, "timeout", 30*time.Second, "timeout of one request")
	fs.Float64Var(&t.rps, "rps", 0, fmt.Sprintf("requests per second; 0: unlimited against a dewconform mock, %d against any other endpoint; -1: unlimited", conformance.DefaultRPS))
}

// endpoints returns the KMS and CSMS base URLs, "" when no target was given.
func (t *targetFlags) endpoints(getenv func(string) string) (kms, csms string) {
	ep := t.endpoint
	if ep == "" {
		ep = getenv(envEndpoint)
	}
	kms, csms = ep, ep
	if t.kmsEndpoint != "" {
		kms = t.kmsEndpoint
	}
	if t.csmsEndpoint != "" {
		csms = t.csmsEndpoint
	}
	if kms == "" {
		kms = csms
	}
	if csms == "" {
		csms = kms
	}
	return kms, csms
}

// identitySet builds the identities: the file (or the mock's defaults), with the primary identity's
// credentials and project replaced by the SDK environment variables when they are set. With environment
// credentials and no file, the primary identity is the only one (the defaults' tokens mean nothing to a
// real target), so scenarios needing another role are skipped with the reason.
func (t *targetFlags) identitySet(getenv func(string) string) (set identity.Set, projectID string, err error) {
	ak, sk, token := getenv(envAK), getenv(envSK), getenv(envToken)
	projectID = t.projectID
	if projectID == "" {
		projectID = getenv(envProjectID)
	}
	if t.identities != "" {
		set, err = identity.Load(t.identities)
		if err != nil {
			return set, "", err
		}
	} else {
		set = identity.Defaults()
	}
	if ak == "" && sk == "" && token == "" {
		return set, projectID, nil
	}
	if (ak == "") != (sk == "") {
		return set, "", fmt.Errorf("set both %s and %s, or neither", envAK, envSK)
	}
	p, _ := set.Primary()
	if t.identities == "" {
		if projectID == "" {
			return set, "", fmt.Errorf("credentials from the environment need a project: set %s or --project-id", envProjectID)
		}
		// Only the name and the credentials are known; the user id is a placeholder the suite does not use
		// for the primary identity.
		p = identity.Identity{Name: "alice", ProjectID: projectID, UserID: "primary"}
	}
	p.AK, p.SK, p.Token = ak, sk, token
	if projectID != "" {
		p.ProjectID = projectID
	}
	all := []identity.Identity{p}
	if t.identities != "" {
		all = set.All()
		for i := range all {
			if all[i].Name == p.Name {
				all[i] = p
			}
		}
	}
	set, err = identity.New(all...)
	if err != nil {
		return set, "", fmt.Errorf("identities from the environment: %w", err)
	}
	return set, projectID, nil
}

// interruptible is the context of a dewconform process: the first SIGINT or SIGTERM cancels it (a run
// winds down and cleans up), and then the default handling comes back, so that a second Ctrl-C ends the
// process at once. The run prints its id first for that case.
func interruptible() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

const runSynopsis = "run [flags] [feature files or directories…]"

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, os.Getenv)
}

func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := newFlagSet("run", runSynopsis, stdout)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintf(fs.Output(), `
environment (the primary identity, when --identities does not give it):
  %s, %s, %s   AK/SK and project, as the official SDKs read them
  %s   an IAM token
  DEWCONFORM_ENDPOINT   default for --endpoint

exit codes: 0 every scenario that ran passed; 1 at least one fail; 2 not judged (bad flags,
unreachable target, rejected credentials, harness errors)
`, envAK, envSK, envProjectID, envToken)
	}
	var t targetFlags
	t.bind(fs)
	var cfg conformance.Config
	fs.StringVar(&cfg.Tags, "tags", "", `tag expression, e.g. "@kms && ~@mock-only" (comma = or, ~ = not)`)
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "scenarios run at once; 0: 4 against a dewconform mock (embedded, or serve --control), 1 against any other endpoint")
	fs.BoolVar(&cfg.Strict, "strict", false, "undocumented response fields fail")
	fs.StringVar(&cfg.Format, "format", conformance.FormatProgress, "console output: pretty or progress")
	fs.StringVar(&cfg.JUnit, "junit", "", "write a JUnit XML report to this file")
	fs.StringVar(&cfg.Cucumber, "cucumber", "", "write a cucumber JSON report to this file")
	fs.StringVar(&cfg.Report, "report", "", "write the HTML conformance report to this file")
	fs.StringVar(&cfg.Summary, "summary", "", "write the Markdown summary to this file")
	fs.StringVar(&cfg.Baseline, "baseline", "", "YAML list of {scenario, reason} known to fail on this target")
	fs.BoolVar(&cfg.List, "list", false, "print the scenarios the run would execute, with their tags, and call nothing")
	fs.StringVar(&cfg.RunID, "run-id", "", "id in the prefix of created resources (dewconform-<id>-); default random")
	fs.IntVar(&cfg.MaxKeys, "max-keys", 0, "refuse to start (exit 2) a run that would create more keys; 0: no maximum")
	fs.IntVar(&cfg.MaxSecrets, "max-secrets", 0, "refuse to start (exit 2) a run that would create more secrets; 0: no maximum")
	fs.Int64Var(&cfg.Randomize, "randomize", 0, "shuffle scenarios with this seed (-1: random seed)")
	if code, done := parse(fs, args, stderr); done {
		return code
	}
	cfg.Paths = fs.Args()
	cfg.Auth, cfg.Timeout, cfg.RPS = conformance.AuthMode(t.auth), t.timeout, t.rps
	if cfg.RPS < 0 {
		cfg.RPS = -1
	}
	var err error
	cfg.Identities, cfg.ProjectID, err = t.identitySet(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "dewconform run: %s\n", oneLine(err))
		return exitNotJudge
	}
	cfg.KMSEndpoint, cfg.CSMSEndpoint = t.endpoints(getenv)
	cfg.ToolVersion = toolVersion()
	cfg.Color = isTerminal(stdout)
	cfg.Progress = isTerminal(stdout) || cfg.Format == conformance.FormatProgress
	cfg.ProgressInteractive = isTerminal(stderr)

	if cfg.KMSEndpoint == "" && !cfg.List {
		url, stop, err := startEmbedded(cfg.Identities)
		if err != nil {
			fmt.Fprintf(stderr, "dewconform run: embedded mock: %v\n", err)
			return exitNotJudge
		}
		defer stop()
		cfg.KMSEndpoint, cfg.CSMSEndpoint, cfg.Embedded, cfg.Control = url, url, true, true
	}
	res, err := conformance.Run(ctx, cfg, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "dewconform run: %s\n", oneLine(err))
		return exitNotJudge
	}
	if cfg.List {
		return exitOK
	}
	code := res.ExitCode()
	if code != exitOK {
		fmt.Fprintln(stderr, "dewconform: "+res.Verdict())
	}
	return code
}

// embeddedKeyLimit lifts the mock's key quota for the embedded run: keys pending deletion still count,
// and the whole suite creates more than the real service's 100.
const embeddedKeyLimit = 100000

// startEmbedded serves the mock, control API on, on a loopback port.
func startEmbedded(ids identity.Set) (url string, stop func(), err error) {
	m, err := mock.New(mock.Options{Identities: ids, Control: true,
		Limits: mock.Limits{KeysPerProject: embeddedKeyLimit, GrantsPerKey: embeddedKeyLimit, SecretsPerProject: embeddedKeyLimit}})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := newHTTPServer(m)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "dewconform: embedded mock:", err)
		}
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
