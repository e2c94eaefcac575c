package steps_test

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/features"
	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/steps"
)

// recorder is a test Observer: it keeps what the suite reports.
type recorder struct {
	mu          sync.Mutex
	exchanges   []steps.Exchange
	violations  []steps.ContractViolation
	retries     int
	cleanups    []string
	skipped     []string
	unconfirmed []steps.UnconfirmedAssertion
}

func (r *recorder) Unconfirmed(_ steps.ScenarioRef, a steps.UnconfirmedAssertion) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unconfirmed = append(r.unconfirmed, a)
}

func (r *recorder) Skipped(sc steps.ScenarioRef, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped = append(r.skipped, sc.Name+": "+reason)
}

func (r *recorder) Exchange(ex steps.Exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exchanges = append(r.exchanges, ex)
}

func (r *recorder) Violation(_ steps.ScenarioRef, v steps.ContractViolation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.violations = append(r.violations, v)
}

func (r *recorder) Retry(steps.Exchange, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries++
}

func (r *recorder) Cleanup(sc steps.ScenarioRef, resource string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, fmt.Sprintf("%s: %s: %v", sc.Name, resource, err))
}

// newMock starts the reference mock in-process with its control API. Quotas are raised because one mock
// serves the whole run, and keys pending deletion still count.
func newMock(t *testing.T) *httptest.Server {
	t.Helper()
	srv, err := mock.New(mock.Options{Control: true, Limits: mock.Limits{KeysPerProject: 100000, GrantsPerKey: 1000, SecretsPerProject: 100000}})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts
}

// godogOpts takes godog's own flags, so that go test ./steps -godog.tags=@revoke-grant narrows the run.
var godogOpts godog.Options

func init() { godog.BindFlags("godog.", flag.CommandLine, &godogOpts) }

// TestFeatures runs every feature against the in-process mock, once per auth mode. It is the
// developer loop; conformance.TestConformance is the official run. -godog.tags narrows it.
func TestFeatures(t *testing.T) {
	for _, mode := range []steps.AuthMode{steps.AuthToken, steps.AuthAKSK} {
		t.Run(string(mode), func(t *testing.T) {
			ts := newMock(t)
			obs := &recorder{}
			suite, err := steps.New(steps.Config{
				KMSEndpoint:  ts.URL,
				CSMSEndpoint: ts.URL,
				Identities:   identity.Defaults(),
				Auth:         mode,
				HTTPClient:   ts.Client(),
				Control:      true,
				RunID:        "test-" + string(mode),
				Observer:     obs,
			})
			require.NoError(t, err)
			tags := godogOpts.Tags
			status := godog.TestSuite{
				Name:                "dewconform-" + string(mode),
				ScenarioInitializer: suite.InitializeScenario,
				Options: &godog.Options{
					Format:   "progress",
					Output:   testOutput(t),
					NoColors: true,
					FS:       features.FS, Paths: []string{"."},
					Tags:        tags,
					Strict:      true,
					Concurrency: 4,
					Randomize:   -1,
					TestingT:    t,
				},
			}.Run()
			require.Equal(t, 0, status, "the features fail against the mock")
			obs.mu.Lock()
			defer obs.mu.Unlock()
			require.Empty(t, obs.violations, "the mock broke the contract")
			require.Empty(t, obs.cleanups, "cleanup failed")
			for _, ex := range obs.exchanges {
				requireRedacted(t, ex)
			}
		})
	}
}

func testOutput(t *testing.T) *strings.Builder {
	t.Helper()
	var b strings.Builder
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			t.Log(b.String())
		}
	})
	return &b
}

// requireRedacted checks that no default credential or secret value appears in a recorded exchange.
func requireRedacted(t *testing.T, ex steps.Exchange) {
	t.Helper()
	var all strings.Builder
	all.WriteString(ex.URL + ex.RequestBody + ex.ResponseBody + ex.Err)
	for _, h := range []map[string][]string{ex.RequestHeader, ex.ResponseHeader} {
		for k, vs := range h {
			all.WriteString(k + ":" + strings.Join(vs, ",") + "\n")
		}
	}
	text := all.String()
	for _, secret := range append(identity.Defaults().Secrets(), "dewconform-value") {
		require.NotContains(t, text, secret, "exchange %s %s leaks a secret", ex.Method, ex.URL)
	}
	require.NotRegexp(t, `Signature=[0-9a-f]{64}`, text)
}

// TestSkips runs the suite with only alice and without the control API: scenarios that need another
// identity or the mock's control API are skipped with their reason, and the rest still passes.
func TestSkips(t *testing.T) {
	ts := newMock(t)
	alice, ok := identity.Defaults().ByName("alice")
	require.True(t, ok)
	only, err := identity.New(alice)
	require.NoError(t, err)
	obs := &recorder{}
	suite, err := steps.New(steps.Config{KMSEndpoint: ts.URL, Identities: only, HTTPClient: ts.Client(), RunID: "skips", Observer: obs})
	require.NoError(t, err)
	var out strings.Builder
	status := godog.TestSuite{
		Name:                "skips",
		ScenarioInitializer: suite.InitializeScenario,
		Options: &godog.Options{
			Format: "pretty", Output: &out, NoColors: true, Strict: true, Concurrency: 4,
			FS: features.FS, Paths: []string{"."},
		},
	}.Run()
	require.Equal(t, 0, status, out.String())
	assert.Regexp(t, `\d+ skipped`, out.String())
	reasons := strings.Join(obs.skipped, "\n")
	assert.Contains(t, reasons, "needs the mock's control API (@mock-only)")
	assert.Contains(t, reasons, "needs identities the configuration lacks: bob")
	// The scenarios alice can run alone still ran: calls under test were made, and none by a skipped identity.
	obs.mu.Lock()
	defer obs.mu.Unlock()
	acted := 0
	for _, ex := range obs.exchanges {
		if ex.Purpose == steps.PurposeAct {
			acted++
			assert.Contains(t, []string{"alice", "anonymous"}, ex.Identity, "%s %s", ex.Method, ex.URL)
		}
	}
	assert.NotZero(t, acted, "no call under test was made")
}
