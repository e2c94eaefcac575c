// Package steps holds the godog step definitions of dewconform: one World per scenario, calls through the
// generated KMS and CSMS clients, and a recording transport that validates every response against the
// embedded OpenAPI documents.
//
// The runner builds a Suite once per run with New and hands Suite.InitializeScenario to godog. Everything a
// scenario changes lives in its World, which InitializeScenario allocates, so scenarios run concurrently.
package steps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/openapi"
)

// AuthMode is how requests are authenticated. The runner's configuration uses the same type.
type AuthMode string

const (
	// AuthToken sends X-Auth-Token.
	AuthToken AuthMode = "token"
	// AuthAKSK signs requests with SDK-HMAC-SHA256 as the official SDK does.
	AuthAKSK AuthMode = "aksk"
)

// ParseAuthMode checks a mode given as text; "" means AuthToken.
func ParseAuthMode(s string) (AuthMode, error) {
	switch m := AuthMode(s); m {
	case "":
		return AuthToken, nil
	case AuthToken, AuthAKSK:
		return m, nil
	}
	return "", fmt.Errorf("auth mode %q: want token or aksk", s)
}

// Purpose says why a call was made; only the call under test (PurposeAct) is judged by the scenario's
// Then steps, and only setup and cleanup calls are retried.
type Purpose string

const (
	PurposeSetup   Purpose = "setup"   // Given steps: reaching a state
	PurposeAct     Purpose = "act"     // When steps: the call under test
	PurposeCheck   Purpose = "check"   // Then steps: second calls that observe an effect
	PurposeCleanup Purpose = "cleanup" // After the scenario
	PurposeControl Purpose = "control" // the mock's control API (not part of the contract)
)

// RetryPolicy retries setup and cleanup calls (never the call under test) on 429, 502, 503 and 504.
type RetryPolicy struct {
	Attempts int           // total attempts, including the first; 0 means 4
	Base     time.Duration // first back-off; 0 means 200ms; doubles each time
	Max      time.Duration // cap of one back-off and of Retry-After; 0 means 10s
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.Base <= 0 {
		p.Base = 200 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 10 * time.Second
	}
	return p
}

// Observer receives what the runner needs for its reports. Calls come from concurrently running
// scenarios, so implementations must be safe for concurrent use. Exchanges are already redacted.
type Observer interface {
	// Exchange is called for every HTTP exchange, setup, check, cleanup and control calls included.
	Exchange(ex Exchange)
	// Violation is called for every contract violation (undocumented fields too, even when not strict).
	Violation(sc ScenarioRef, v ContractViolation)
	// Retry is called before a setup or cleanup call is retried after ex.
	Retry(ex Exchange, wait time.Duration)
	// Cleanup is called when a cleanup action of a scenario fails (the resource may be left behind).
	Cleanup(sc ScenarioRef, resource string, err error)
	// Skipped is called when a scenario is skipped before its first step, with the reason (a missing
	// identity, or @mock-only without the control API). godog's formatters do not show the reason.
	Skipped(sc ScenarioRef, reason string)
	// Unconfirmed is called for every judged assertion marked (unconfirmed), whether it held or not.
	Unconfirmed(sc ScenarioRef, a UnconfirmedAssertion)
}

// ScenarioRef names a scenario in Observer calls.
type ScenarioRef struct {
	ID   string // godog's pickle ID
	Name string
	URI  string
	Tags []string
}

// Config is what a Suite needs to run the features against one target.
type Config struct {
	KMSEndpoint  string // base URL, e.g. https://kms.cn-north-4.myhuaweicloud.com
	CSMSEndpoint string // base URL; CSMS shares KMS's host on the real service
	// ControlEndpoint is the base URL of the mock's control API; "" means KMSEndpoint.
	ControlEndpoint string
	// ProjectID is used for identities that carry no project of their own.
	ProjectID  string
	Identities identity.Set
	Auth       AuthMode      // "" means token
	HTTPClient *http.Client  // nil means a client with Timeout
	Timeout    time.Duration // per request; 0 means 30s
	// Strict makes undocumented response fields fail the step instead of only being reported.
	Strict bool
	// Control says the target offers the mock's control API; @mock-only scenarios are skipped without it.
	Control bool
	// UnconfirmedGates makes an assertion marked (unconfirmed) fail its step when it does not hold, as
	// any other: set it when the target is a dewconform mock, which implements the chosen expectation.
	UnconfirmedGates bool
	// RunID goes into every created resource's name ("dewconform-<run id>-..."); "" means a random one.
	RunID    string
	Observer Observer // may be nil
	Retry    RetryPolicy
	// Now is the clock for request signing and date checks; nil means time.Now.
	Now func() time.Time
}

// Suite is built once per run and shared, read-only, by every scenario.
type Suite struct {
	cfg       Config
	validator *Validator
	client    *http.Client
	roles     []string // the identity names scenarios may mention
	planner   *Planner
	pool      *keyPool // the run's shared keys (see pool.go)

	// patterns holds the compiled step expressions (string → *regexp.Regexp). godog compiles a string
	// expression on every registration, i.e. for every step of every scenario; that was a fifth of the
	// suite's CPU time against the in-process mock.
	patterns sync.Map
	// paddings holds the large bodies of the body-limit scenarios (MiB → []byte), read-only once built.
	paddings sync.Map
}

// pattern returns expr compiled, once per run. A malformed expression is handed to godog as the
// string, so that godog reports it as it always did.
func (s *Suite) pattern(expr string) any {
	if re, ok := s.patterns.Load(expr); ok {
		return re
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return expr
	}
	v, _ := s.patterns.LoadOrStore(expr, re)
	return v
}

// New checks the configuration and builds the spec routers and validators once.
func New(cfg Config) (*Suite, error) {
	if cfg.KMSEndpoint == "" && cfg.CSMSEndpoint == "" {
		return nil, errors.New("no endpoint: set KMSEndpoint and/or CSMSEndpoint")
	}
	if cfg.CSMSEndpoint == "" {
		cfg.CSMSEndpoint = cfg.KMSEndpoint
	}
	if cfg.KMSEndpoint == "" {
		cfg.KMSEndpoint = cfg.CSMSEndpoint
	}
	if cfg.ControlEndpoint == "" {
		cfg.ControlEndpoint = cfg.KMSEndpoint
	}
	for _, ep := range []*string{&cfg.KMSEndpoint, &cfg.CSMSEndpoint, &cfg.ControlEndpoint} {
		*ep = strings.TrimRight(*ep, "/")
	}
	auth, err := ParseAuthMode(string(cfg.Auth))
	if err != nil {
		return nil, err
	}
	cfg.Auth = auth
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RunID == "" {
		cfg.RunID = randomHex(4)
	}
	if err := CheckRunID(cfg.RunID); err != nil {
		return nil, err
	}
	cfg.Retry = cfg.Retry.withDefaults()
	v, err := NewValidator(context.Background(), map[string][]byte{"kms": openapi.KMS(), "csms": openapi.CSMS()})
	if err != nil {
		return nil, err
	}
	// Redirects are answers too: following one would hide an undocumented 3xx from the validator.
	client := &http.Client{Timeout: cfg.Timeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s := &Suite{cfg: cfg, validator: v, client: client, planner: NewPlanner(), pool: &keyPool{keys: map[string]*keyRef{}}}
	s.roles = knownRoles(cfg.Identities)
	return s, nil
}

var runIDPattern = regexp.MustCompile(`^[a-zA-Z0-9-]{1,20}$`)

// CheckRunID accepts a run id that can go into every resource name: 1 to 20 letters, digits or dashes.
func CheckRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("run id %q: want 1 to 20 letters, digits or dashes", id)
	}
	return nil
}

// ResourcePrefix starts the name of every resource any run creates.
const ResourcePrefix = "dewconform-"

// Prefix returns the name prefix of every resource a run with this id creates; the runner's sweep
// finds what a run left behind by it.
func Prefix(runID string) string { return ResourcePrefix + runID + "-" }

// RunID returns the run id that prefixes every created resource.
func (s *Suite) RunID() string { return s.cfg.RunID }

// Prefix returns the name prefix of every resource this run creates.
func (s *Suite) Prefix() string { return Prefix(s.cfg.RunID) }

// Validator returns the suite's spec validator.
func (s *Suite) Validator() *Validator { return s.validator }

// InitializeScenario is godog's ScenarioInitializer: it allocates the scenario's World and binds the steps.
func (s *Suite) InitializeScenario(sc *godog.ScenarioContext) {
	w := &World{s: s}
	w.bind(sc)
	sc.Before(w.before)
	sc.StepContext().Before(w.beforeStep)
	sc.StepContext().After(w.afterStep)
	sc.After(w.after)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms; a fixed fallback keeps names valid.
		return strings.Repeat("0", 2*n)
	}
	return hex.EncodeToString(b)
}

// knownRoles lists the identity names steps may mention: the default identities' (the features' roles)
// and any configured name.
func knownRoles(set identity.Set) []string {
	seen := map[string]bool{}
	for _, n := range append(identity.Defaults().Names(), set.Names()...) {
		seen[n] = true
	}
	return slices.Sorted(maps.Keys(seen))
}
