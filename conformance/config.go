// Package conformance is dewconform's runner: it turns a Config into a godog run of the embedded features
// (through package steps) against one target, classifies every scenario (pass, fail, error, skip, and the
// baseline and @unconfirmed outcomes), writes the JUnit, cucumber, HTML and Markdown reports, and maps the
// run to an exit code. It never imports the mock: it must not know what it is talking to.
package conformance

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/steps"
)

// AuthMode is how requests authenticate: the steps' type, so that the runner passes it on unchanged.
type AuthMode = steps.AuthMode

// Auth modes.
const (
	AuthToken = steps.AuthToken
	AuthAKSK  = steps.AuthAKSK
)

// Output formats of the console.
const (
	FormatPretty   = "pretty"
	FormatProgress = "progress"
)

// DefaultRPS is the request rate against a target that is not the embedded mock when Config.RPS is 0.
const DefaultRPS = 5

// Config is one run. The zero values of the optional fields are the gentle defaults for a real target and
// the fast ones for the embedded mock (Embedded).
type Config struct {
	KMSEndpoint  string // base URL of KMS, e.g. https://kms.cn-north-4.myhuaweicloud.com
	CSMSEndpoint string // base URL of CSMS; "" means KMSEndpoint
	// ProjectID overrides the primary identity's project (from HUAWEICLOUD_SDK_PROJECT_ID or --project-id).
	ProjectID  string
	Identities identity.Set // the zero Set means identity.Defaults()
	Auth       AuthMode     // token (default) or aksk
	Tags       string       // godog tag expression, e.g. "@kms && ~@mock-only"
	// Concurrency is the number of scenarios run at once; 0 means 4 against a dewconform mock (embedded, or
	// a `serve` whose control API answers) and 1 otherwise.
	Concurrency int
	Strict      bool          // undocumented response fields fail
	Timeout     time.Duration // per request; 0 means 30s
	// RPS limits requests per second; 0 means no limit against a dewconform mock and DefaultRPS against any
	// other target; a negative value means no limit.
	RPS    float64
	Format string // pretty or progress (default)
	Color  bool   // colour the console output
	// Report files; "" means not written (the cucumber JSON is then written to a temporary file and removed).
	JUnit, Cucumber, Report, Summary string
	Baseline                         string // YAML list of {scenario, reason}
	// Paths are feature files or directories on disk; empty means the embedded features.
	Paths []string
	List  bool // print the scenarios the run would execute, call nothing
	// Embedded says the target is the in-process mock (the runner then expects it to be exact).
	Embedded bool
	// Control says the target offers the mock's control API; when false, Run probes GET /_dewconform/health.
	Control bool
	// MaxKeys and MaxSecrets refuse to start a run whose scenarios would create more (0: no maximum).
	MaxKeys, MaxSecrets int
	// RunID prefixes every created resource ("dewconform-<run id>-"); "" means a random one.
	RunID string
	// Progress prints done/total, failures so far and elapsed time to stderr; ProgressInteractive redraws
	// one line in place (stderr is a terminal).
	Progress, ProgressInteractive bool
	// ToolVersion goes into the reports.
	ToolVersion string
	// Randomize is godog's seed for the scenario order (-1 picks one; 0 keeps file order).
	Randomize int64
	// HTTPClient is the base client (its Transport is wrapped by the rate limiter); nil means a default one.
	HTTPClient *http.Client
	// StopWhen, when set, is called with each scenario's result as soon as it is classified (from
	// concurrently running scenarios: it must be safe for concurrent use). Once it returns true the run
	// stops early: scenarios already running finish, the others are skipped ("not started: the run stopped
	// early") and Result.Reason names the scenario that stopped it. The self-test uses it to end a fault's
	// run at its first detection.
	StopWhen func(ScenarioResult) bool

	// scenarioInit replaces the steps in the runner's own tests.
	scenarioInit func(suiteConfig) (scenarioSuite, error)
}

// normalize fills the defaults and checks the configuration; its errors are usage errors (exit code 2).
func (c Config) normalize() (Config, error) {
	c.KMSEndpoint = strings.TrimRight(c.KMSEndpoint, "/")
	c.CSMSEndpoint = strings.TrimRight(c.CSMSEndpoint, "/")
	if c.CSMSEndpoint == "" {
		c.CSMSEndpoint = c.KMSEndpoint
	}
	if c.KMSEndpoint == "" {
		c.KMSEndpoint = c.CSMSEndpoint
	}
	if !c.List {
		if c.KMSEndpoint == "" {
			return c, errors.New("no endpoint: set the KMS and/or CSMS endpoint")
		}
		for _, ep := range []string{c.KMSEndpoint, c.CSMSEndpoint} {
			u, err := url.Parse(ep)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return c, fmt.Errorf("endpoint %q: want an http or https URL", ep)
			}
		}
	}
	if c.Identities.Len() == 0 {
		c.Identities = identity.Defaults()
	}
	auth, err := steps.ParseAuthMode(string(c.Auth))
	if err != nil {
		return c, err
	}
	c.Auth = auth
	switch c.Format {
	case "":
		c.Format = FormatProgress
	case FormatPretty, FormatProgress:
	default:
		return c, fmt.Errorf("format %q: want pretty or progress", c.Format)
	}
	if c.Concurrency < 0 {
		return c, fmt.Errorf("concurrency %d: want 1 or more", c.Concurrency)
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
		if c.Embedded {
			c.Concurrency = 4
		}
	}
	if c.MaxKeys < 0 || c.MaxSecrets < 0 {
		return c, fmt.Errorf("--max-keys %d, --max-secrets %d: want 0 (no maximum) or more", c.MaxKeys, c.MaxSecrets)
	}
	if c.Timeout < 0 {
		return c, fmt.Errorf("timeout %s: want a positive duration", c.Timeout)
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.RPS == 0 && !c.Embedded {
		c.RPS = DefaultRPS
	}
	if c.RunID == "" {
		c.RunID = randomRunID()
	}
	if err := steps.CheckRunID(c.RunID); err != nil {
		return c, err
	}
	if c.ToolVersion == "" {
		c.ToolVersion = "devel"
	}
	return c, nil
}

// mock reports whether the target is the mock, which must match every expectation exactly: there an
// @unconfirmed difference or a throttled call under test is a fail.
func (c Config) mock() bool { return c.Embedded || c.Control }

// target names the endpoints in reports.
func (c Config) target() string {
	if c.Embedded {
		return "embedded mock (" + c.KMSEndpoint + ")"
	}
	if c.CSMSEndpoint != c.KMSEndpoint {
		return "KMS " + c.KMSEndpoint + ", CSMS " + c.CSMSEndpoint
	}
	return c.KMSEndpoint
}
