package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/steps"
)

// bigLimits lifts the mock's quotas: keys pending deletion still count, and the suite creates many.
var bigLimits = mock.Limits{KeysPerProject: 100000, GrantsPerKey: 100000, SecretsPerProject: 100000}

func newMockHandler(t *testing.T, seed *mock.Seed) http.Handler {
	t.Helper()
	m, err := mock.New(mock.Options{Control: true, Limits: bigLimits, Seed: seed})
	require.NoError(t, err)
	return m
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// lockedBuffer collects the console output of a run (godog writes from several goroutines).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// reportFiles returns a config's report paths in dir.
func withReports(cfg conformance.Config, dir string) conformance.Config {
	cfg.JUnit = filepath.Join(dir, "junit.xml")
	cfg.Cucumber = filepath.Join(dir, "cucumber.json")
	cfg.Report = filepath.Join(dir, "report.html")
	cfg.Summary = filepath.Join(dir, "summary.md")
	return cfg
}

func run(t *testing.T, ctx context.Context, cfg conformance.Config) (conformance.Result, string) {
	t.Helper()
	var out lockedBuffer
	res, err := conformance.Run(ctx, cfg, &out, &out)
	require.NoError(t, err, out.String())
	return res, out.String()
}

// godogOpts takes godog's own flags: go test ./conformance -godog.tags=@revoke-grant runs TestConformance
// on those scenarios only.
var godogOpts godog.Options

func init() { godog.BindFlags("godog.", flag.CommandLine, &godogOpts) }

// TestConformance runs the whole suite against the in-process mock in both auth modes: every scenario
// passes, and every operation of the registry had a call under test answered a documented 2xx.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite")
	}
	for _, auth := range []conformance.AuthMode{conformance.AuthToken, conformance.AuthAKSK} {
		t.Run(string(auth), func(t *testing.T) {
			srv := serve(t, newMockHandler(t, nil))
			res, out := run(t, context.Background(), conformance.Config{
				KMSEndpoint: srv.URL, Embedded: true, Control: true, Concurrency: 4, Auth: auth, Randomize: -1,
				Tags: godogOpts.Tags,
			})
			if godogOpts.Tags == "" {
				for _, msg := range unexercised(res.Coverage, steps.Exempt()) {
					t.Error(msg)
				}
			}
			for _, s := range res.Scenarios {
				if s.Outcome != conformance.Pass {
					t.Errorf("%s %s %q: %s", s.Outcome, s.ID, s.Name, s.Reason)
				}
			}
			assert.Equal(t, 0, res.ExitCode(), res.Verdict())
			assert.NotEmpty(t, res.Scenarios)
			if t.Failed() {
				t.Log(out)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "%-26s %9s  %s\n", "operation", "scenarios", "exercised / documented statuses")
			for _, c := range res.Coverage {
				fmt.Fprintf(&b, "%-26s %9d  %v / %v\n", c.Operation, c.Scenarios, c.Exercised, c.Documented)
			}
			t.Logf("%s: %s\n%s", auth, res.Verdict(), b.String())
		})
	}
}

// unexercised names every operation of a run's coverage (the registry's, in its order) that no call
// under test made through the clients got a documented 2xx answer for, unless exempt. A hand-built
// request (a malformed body) does not count: it does not show that the operation works.
func unexercised(cov []conformance.OperationCoverage, exempt map[string]string) []string {
	var out []string
	for _, c := range cov {
		if _, ok := exempt[c.Operation]; !ok && c.Succeeded == 0 {
			out = append(out, fmt.Sprintf("%s: no call under test got a documented 2xx answer (%v) from the mock: add a scenario that succeeds",
				c.Operation, successOf(c.Documented)))
		}
	}
	return out
}

func successOf(documented []int) []int {
	var out []int
	for _, s := range documented {
		if s/100 == 2 {
			out = append(out, s)
		}
	}
	return out
}

// breakCancel wraps the mock and answers every successful cancel-key-deletion with key_state "2": the
// key would come back enabled instead of disabled.
func breakCancel(next http.Handler) http.Handler {
	return rewriteOK(next, "/kms/cancel-key-deletion", `"key_state":"3"`, `"key_state":"2"`)
}

// rewriteOK wraps the mock and replaces old with repl in the 200 answers of the operation whose path ends
// in suffix: the tests' way to make a target break one rule.
func rewriteOK(next http.Handler, suffix, old, repl string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, suffix) {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			body = bytes.Replace(body, []byte(old), []byte(repl), 1)
		}
		copyAnswer(w, rec, body)
	})
}

func TestBrokenEndpointFailsAndReportsTheRule(t *testing.T) {
	for _, auth := range []conformance.AuthMode{conformance.AuthToken, conformance.AuthAKSK} {
		t.Run(string(auth), func(t *testing.T) {
			srv := serve(t, breakCancel(newMockHandler(t, nil)))
			dir := t.TempDir()
			cfg := withReports(conformance.Config{
				KMSEndpoint: srv.URL, Concurrency: 4, RPS: -1, Auth: auth, Tags: "@cancel-key-deletion", Format: conformance.FormatPretty,
			}, dir)
			res, out := run(t, context.Background(), cfg)
			require.Equal(t, 1, res.ExitCode(), res.Verdict())
			require.True(t, res.Mock, "the control API is detected through /_dewconform/health")

			html := readFile(t, cfg.Report)
			assert.Contains(t, html, `id="matrix"`)
			assert.Contains(t, html, "the creator cancels the deletion of her key", "the report names the broken rule")
			assert.Contains(t, html, "key_state", "the report says what was wrong")
			assert.Contains(t, html, "cancel-key-deletion")
			md := readFile(t, cfg.Summary)
			assert.Contains(t, md, "the creator cancels the deletion of her key")
			assert.Contains(t, md, "## Matrix")

			checkJUnit(t, cfg.JUnit, res)
			var cucumber []map[string]any
			require.NoError(t, json.Unmarshal([]byte(readFile(t, cfg.Cucumber)), &cucumber))
			assert.NotEmpty(t, cucumber)

			// Every output and report, console included, is free of tokens and SKs.
			outputs := map[string]string{"console": out}
			for _, p := range []string{cfg.JUnit, cfg.Cucumber, cfg.Report, cfg.Summary} {
				outputs[filepath.Base(p)] = readFile(t, p)
			}
			for name, text := range outputs {
				for _, s := range identity.Defaults().Secrets() { // every token and SK: no output may contain one
					assert.NotContains(t, text, s, "%s leaks a credential", name)
				}
				assert.NotRegexp(t, `Signature=[0-9a-f]{16}`, text, "%s leaks a signature", name)
			}
			// The failing scenarios carry their calls.
			var failed *conformance.ScenarioResult
			for i := range res.Scenarios {
				if res.Scenarios[i].Outcome == conformance.Fail {
					failed = &res.Scenarios[i]
					break
				}
			}
			require.NotNil(t, failed)
			assert.NotEmpty(t, failed.Exchanges)
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Tests int    `xml:"tests,attr"`
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Error   *struct{} `xml:"error"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// checkJUnit parses the JUnit file and checks that its counts match the run.
func checkJUnit(t *testing.T, path string, res conformance.Result) {
	t.Helper()
	var doc junitDoc
	require.NoError(t, xml.Unmarshal([]byte(readFile(t, path)), &doc))
	assert.Equal(t, len(res.Scenarios), doc.Tests)
	assert.Equal(t, res.Counts[conformance.Fail], doc.Failures)
	assert.Equal(t, res.Counts[conformance.Error], doc.Errors)
	assert.Equal(t, res.Counts[conformance.Skip]+res.Counts[conformance.UnconfirmedDiffers]+res.Counts[conformance.BaselineKnown], doc.Skipped)
	var cases, failures int
	for _, s := range doc.Suites {
		cases += len(s.Cases)
		for _, c := range s.Cases {
			if c.Failure != nil {
				failures++
			}
		}
	}
	assert.Equal(t, doc.Tests, cases)
	assert.Equal(t, doc.Failures, failures)
}

func TestReportsOfAPassingRun(t *testing.T) {
	srv := serve(t, newMockHandler(t, nil))
	dir := t.TempDir()
	cfg := withReports(conformance.Config{KMSEndpoint: srv.URL, Embedded: true, Tags: "@restore-secret && ~@multi-user"}, dir)
	res, _ := run(t, context.Background(), cfg)
	require.NotEmpty(t, res.Scenarios)
	checkJUnit(t, cfg.JUnit, res)
	html := readFile(t, cfg.Report)
	assert.True(t, strings.HasPrefix(html, "<!DOCTYPE html>"))
	assert.Contains(t, html, `id="matrix"`)
	assert.Contains(t, html, "restore-secret")
	assert.NotContains(t, html, "<script src", "self-contained")
	assert.NotContains(t, html, "<link ", "self-contained")
	assert.Contains(t, html, "1.1.0", "spec version")
	assert.Contains(t, readFile(t, cfg.Summary), "restore-secret")
}

func TestBaseline(t *testing.T) {
	srv := serve(t, breakCancel(newMockHandler(t, nil)))
	cfg := conformance.Config{KMSEndpoint: srv.URL, Concurrency: 4, RPS: -1, Tags: "@cancel-key-deletion && ~@multi-user"}
	first, _ := run(t, context.Background(), cfg)
	require.Equal(t, 1, first.ExitCode())

	var b strings.Builder
	var failing []string
	for _, s := range first.Scenarios {
		if s.Outcome == conformance.Fail {
			failing = append(failing, s.Name)
			fmt.Fprintf(&b, "- scenario: %q\n  reason: cancel answers key_state 2\n", s.Name)
		}
	}
	fmt.Fprintf(&b, "- scenario: %q\n  reason: was broken once\n", "a request without credentials is refused")
	cfg.Baseline = filepath.Join(t.TempDir(), "baseline.yaml")
	require.NoError(t, os.WriteFile(cfg.Baseline, []byte(b.String()), 0o600))

	second, _ := run(t, context.Background(), cfg)
	assert.Equal(t, 0, second.ExitCode(), second.Verdict())
	assert.Equal(t, len(failing), second.Counts[conformance.BaselineKnown])
	assert.Equal(t, 1, second.Counts[conformance.BaselineFixed])
}

func TestUnreachableEndpointExitsTwo(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	res, _ := run(t, context.Background(), conformance.Config{KMSEndpoint: url, Timeout: 2 * time.Second})
	assert.Equal(t, 2, res.ExitCode())
	assert.Contains(t, res.Reason, "unreachable")
	assert.NotContains(t, res.Reason, "\n")
	assert.Empty(t, res.Scenarios)
}

func TestRejectedPrimaryCredentialsExitTwo(t *testing.T) {
	srv := serve(t, newMockHandler(t, nil))
	ids := identity.Defaults().All()
	ids[0].Token = "alice-token-that-the-mock-does-not-know"
	set, err := identity.New(ids...)
	require.NoError(t, err)
	dir := t.TempDir()
	cfg := withReports(conformance.Config{KMSEndpoint: srv.URL, Identities: set}, dir)
	res, _ := run(t, context.Background(), cfg)
	assert.Equal(t, 2, res.ExitCode(), "a credential problem never reports green")
	assert.Contains(t, res.Reason, "credentials")
	assert.NotContains(t, readFile(t, cfg.JUnit), "alice-token-that-the-mock-does-not-know")
}

// slowCancel makes every cancel-key-deletion call outlast the client's timeout: the harness cannot judge.
func slowCancel(next http.Handler, delay time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/kms/cancel-key-deletion") {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func TestTimeoutIsAnErrorNotAFail(t *testing.T) {
	srv := serve(t, slowCancel(newMockHandler(t, nil), 2*time.Second))
	res, _ := run(t, context.Background(), conformance.Config{
		KMSEndpoint: srv.URL, Concurrency: 4, RPS: -1, Timeout: 300 * time.Millisecond,
		Tags: "@cancel-key-deletion && ~@multi-user && ~@mock-only",
	})
	assert.Equal(t, 2, res.ExitCode(), res.Verdict())
	assert.Zero(t, res.Counts[conformance.Fail])
	assert.NotZero(t, res.Counts[conformance.Error])
}

func TestListCallsNothing(t *testing.T) {
	var calls atomic.Int64
	srv := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	var out bytes.Buffer
	_, err := conformance.Run(context.Background(), conformance.Config{KMSEndpoint: srv.URL, List: true, Tags: "@restore-secret"}, &out, io.Discard)
	require.NoError(t, err)
	assert.Zero(t, calls.Load())
	assert.Contains(t, out.String(), "csms/restore_secret.feature:")
	assert.Contains(t, out.String(), "@restore-secret")
	assert.NotContains(t, out.String(), "@cancel-key-deletion")
}

// TestInterrupt cancels a run midway and checks, through list calls, that everything the run created is
// scheduled for deletion and that the resources it did not create did not change.
func TestInterrupt(t *testing.T) {
	keep := "keep-me"
	seed := &mock.Seed{
		Keys:    []mock.SeedKey{{Owner: "alice", Alias: "precious-key"}},
		Secrets: []mock.SeedSecret{{Owner: "alice", Name: "precious-secret", Value: &keep}},
	}
	var creates atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := newMockHandler(t, seed)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/kms/create-key") && creates.Add(1) == 15 {
			cancel()
		}
		m.ServeHTTP(w, r)
	}))
	const runID = "irq1"
	res, _ := run(t, ctx, conformance.Config{
		KMSEndpoint: srv.URL, Concurrency: 4, RPS: -1, RunID: runID, Tags: "~@mock-only",
	})
	require.True(t, res.Interrupted)
	assert.NotEqual(t, 0, res.ExitCode(), "an interrupted run is never green: %s", res.Verdict())
	assert.NotZero(t, res.Counts[conformance.Skip], "scenarios not started are skipped")

	keys, secrets := listAll(t, srv.URL)
	var mine int
	for alias, state := range keys {
		switch {
		case strings.HasPrefix(alias, steps.Prefix(runID)):
			mine++
			assert.Equal(t, "4", state, "key %s the run created is scheduled for deletion", alias)
		case alias == "precious-key":
			assert.Equal(t, "2", state, "a key the run did not create is unchanged")
		}
	}
	assert.NotZero(t, mine, "the run created keys before the interrupt")
	_, ok := keys["precious-key"]
	assert.True(t, ok)
	for name, state := range secrets {
		switch {
		case strings.HasPrefix(name, steps.Prefix(runID)):
			assert.Equal(t, "PENDING_DELETE", state, "secret %s", name)
		case name == "precious-secret":
			assert.Equal(t, "ENABLED", state)
		}
	}
	_, ok = secrets["precious-secret"]
	assert.True(t, ok)
}

// listAll lists alice's keys (alias -> state) and secrets (name -> state) through the API.
func listAll(t *testing.T, base string) (keys, secrets map[string]string) {
	t.Helper()
	const project = "0123456789abcdef0123456789abcdef"
	keys, secrets = map[string]string{}, map[string]string{}
	marker := ""
	for {
		body := `{"limit":"100","key_spec":"ALL"` + map[bool]string{true: "", false: `,"marker":"` + marker + `"`}[marker == ""] + `}`
		var page struct {
			KeyDetails []struct {
				Alias string `json:"key_alias"`
				State string `json:"key_state"`
			} `json:"key_details"`
			NextMarker string `json:"next_marker"`
			Truncated  string `json:"truncated"`
		}
		call(t, http.MethodPost, base+"/v1.0/"+project+"/kms/list-keys", body, &page)
		for _, k := range page.KeyDetails {
			keys[k.Alias] = k.State
		}
		if page.Truncated != "true" || page.NextMarker == "" {
			break
		}
		marker = page.NextMarker
	}
	smarker := ""
	for {
		url := base + "/v1/" + project + "/secrets?limit=100"
		if smarker != "" {
			url += "&marker=" + smarker
		}
		var page struct {
			Secrets []struct {
				Name  string `json:"name"`
				State string `json:"state"`
			} `json:"secrets"`
			PageInfo struct {
				NextMarker *string `json:"next_marker"`
			} `json:"page_info"`
		}
		call(t, http.MethodGet, url, "", &page)
		for _, s := range page.Secrets {
			secrets[s.Name] = s.State
		}
		if page.PageInfo.NextMarker == nil || *page.PageInfo.NextMarker == "" || len(page.Secrets) == 0 {
			break
		}
		smarker = *page.PageInfo.NextMarker
	}
	return keys, secrets
}

func call(t *testing.T, method, url, body string, out any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", "alice-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	require.NoError(t, json.Unmarshal(data, out))
}

// TestRejectedSecondaryCredentialsAreErrors gives bob a token the target does not know: every scenario
// where bob acts cannot be judged. The run ends in errors and exit code 2, never green and never a fail.
func TestRejectedSecondaryCredentialsAreErrors(t *testing.T) {
	srv := serve(t, newMockHandler(t, nil))
	ids := identity.Defaults().All()
	for i := range ids {
		if ids[i].Name == "bob" {
			ids[i].Token = "bob-token-that-the-mock-does-not-know"
		}
	}
	set, err := identity.New(ids...)
	require.NoError(t, err)
	res, _ := run(t, context.Background(), conformance.Config{
		KMSEndpoint: srv.URL, Identities: set, Concurrency: 4, RPS: -1, Tags: "@retire-grant",
	})
	assert.Equal(t, 2, res.ExitCode(), res.Verdict())
	assert.Zero(t, res.Counts[conformance.Fail])
	require.NotZero(t, res.Counts[conformance.Error])
	for _, s := range res.Scenarios {
		if s.Outcome == conformance.Error {
			assert.Contains(t, s.Reason, "bob's credentials", s.Name)
			assert.NotContains(t, s.Reason, "bob-token-that-the-mock-does-not-know")
		}
	}
}

// TestThrottledCallUnderTestIsAnError: a target that is not the mock answers 429 to every call under test
// of cancel-key-deletion (and to nothing else): nothing was judged, so the run exits 2 without a fail.
func TestThrottledCallUnderTestIsAnError(t *testing.T) {
	m, err := mock.New(mock.Options{Limits: bigLimits}) // no control API: not the mock, to the runner
	require.NoError(t, err)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/kms/cancel-key-deletion") {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", "throttled")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error_code":"APIGW.0308","error_msg":"throttled","request_id":"throttled"}`))
			return
		}
		m.ServeHTTP(w, r)
	}))
	res, _ := run(t, context.Background(), conformance.Config{
		KMSEndpoint: srv.URL, Concurrency: 4, RPS: -1, Tags: "@cancel-key-deletion && ~@multi-user",
	})
	assert.False(t, res.Mock)
	assert.Equal(t, 2, res.ExitCode(), res.Verdict())
	assert.Zero(t, res.Counts[conformance.Fail])
	require.NotZero(t, res.Counts[conformance.Error])
	for _, s := range res.Scenarios {
		if s.Outcome == conformance.Error {
			assert.Contains(t, s.Reason, "throttled", s.Name)
		}
	}
}
