package conformance

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name   string
		counts map[Outcome]int
		reason string
		want   int
	}{
		{"all pass", map[Outcome]int{Pass: 3, Skip: 1}, "", 0},
		{"baseline and unconfirmed do not gate", map[Outcome]int{Pass: 3, BaselineKnown: 1, UnconfirmedDiffers: 2, BaselineFixed: 1}, "", 0},
		{"a fail", map[Outcome]int{Pass: 3, Fail: 1, Error: 1}, "", 1},
		{"a fail wins over an interrupt", map[Outcome]int{Fail: 1}, "interrupted", 1},
		{"an error", map[Outcome]int{Pass: 3, Error: 1}, "", 2},
		{"run not judged", map[Outcome]int{}, "target unreachable: dial tcp", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Result{Counts: tt.counts, Reason: tt.reason}
			assert.Equal(t, tt.want, r.ExitCode())
			assert.NotContains(t, r.Verdict(), "\n")
		})
	}
}

func TestParseBaseline(t *testing.T) {
	entries, err := ParseBaseline([]byte("- scenario: a\n  reason: known\n- scenario: kms/x.feature:12\n  reason: other\n"))
	require.NoError(t, err)
	require.Len(t, entries, 2)
	for _, bad := range []string{"- reason: no scenario\n", "scenario: not a list\n", "- scenario: a\n  oops: [\n"} {
		_, err := ParseBaseline([]byte(bad))
		assert.Error(t, err, bad)
	}
	idx := newBaselineIndex(entries)
	fail := ScenarioResult{ID: "kms/y.feature:1", Name: "a", Outcome: Fail, Reason: "wrong"}
	idx.apply(&fail)
	assert.Equal(t, BaselineKnown, fail.Outcome)
	pass := ScenarioResult{ID: "kms/x.feature:12", Name: "z", Outcome: Pass}
	idx.apply(&pass)
	assert.Equal(t, BaselineFixed, pass.Outcome)
	errored := ScenarioResult{Name: "a", Outcome: Error}
	idx.apply(&errored)
	assert.Equal(t, Error, errored.Outcome, "a baseline never hides an error")
}

func TestRedactor(t *testing.T) {
	r := newRedactor([]string{"alice-token", "alice-secret-access-key", "x"})
	in := `X-Auth-Token: alice-token
Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=0123abcdef
{"secret_string":"hunter2","name":"n"} and alice-secret-access-key`
	out := r.String(in)
	for _, s := range []string{"alice-token", "alice-secret-access-key", "0123abcdef", "hunter2"} {
		assert.NotContains(t, out, s)
	}
	assert.Contains(t, out, `"name":"n"`)
	assert.Contains(t, r.String("x marks"), "x marks", "very short values are left to the field rules")
	// In the JUnit XML a line break is an entity: the token's value ends there, the report goes on.
	assert.Equal(t, "X-Auth-Token: REDACTED&#xA;&#xA;{body}&#xA;=&gt; HTTP 200",
		r.String("X-Auth-Token: some-other-token&#xA;&#xA;{body}&#xA;=&gt; HTTP 200"))

	emb := base64.StdEncoding.EncodeToString([]byte("token alice-token"))
	got := string(r.cucumber([]byte(`[{"elements":[{"steps":[{"embeddings":[{"data":"` + emb + `"}]}]}]}]`)))
	assert.NotContains(t, got, emb)
	assert.NotContains(t, got, "alice-token")
}

func TestRedactingWriterKeepsSecretsWhole(t *testing.T) {
	var b strings.Builder
	w := &redactingWriter{w: &b, r: newRedactor([]string{"alice-token"})}
	for _, part := range []string{"tok: ali", "ce-to", "ken\nnext ", "alice-token"} {
		_, err := w.Write([]byte(part))
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	assert.Equal(t, "tok: REDACTED\nnext REDACTED", b.String())
}

type harnessErr struct{}

func (harnessErr) Error() string      { return "transport" }
func (harnessErr) HarnessError() bool { return true }

func TestClassificationHelpers(t *testing.T) {
	assert.True(t, isHarnessError(fmt.Errorf("step: %w", harnessErr{})))
	assert.False(t, isHarnessError(errors.New("want status 200, got 400")))
	assert.Equal(t, "needs carol", skipReason(fmt.Errorf("before scenario hook failed: %w", fmt.Errorf("%w: needs carol", godog.ErrSkip))))
}

func TestRateLimiter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	c := &http.Client{Transport: newRateLimiter(http.DefaultTransport, 20)}
	start := time.Now()
	for range 30 {
		resp, err := c.Get(srv.URL)
		require.NoError(t, err)
		resp.Body.Close()
	}
	// A burst of 20, then 10 more at 20 per second: at least about half a second.
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond)
}

func TestJUnitOfAnUnjudgedRun(t *testing.T) {
	data, err := JUnit(Result{Reason: "target unreachable", Counts: map[Outcome]int{}})
	require.NoError(t, err)
	assert.Contains(t, string(data), `tests="1"`)
	assert.Contains(t, string(data), `errors="1"`)
}

// Only a call under test made through the clients and answered a documented 2xx counts as a success of
// its operation: not a hand-built request, not a setup call, not an undocumented 2xx.
func TestCollectorCountsSuccesses(t *testing.T) {
	c := newCollector(newRedactor(nil))
	c.exchange("p", Exchange{Purpose: "act", Operation: "list-keys", Status: 200, HandBuilt: true})
	c.exchange("p", Exchange{Purpose: "setup", Operation: "list-keys", Status: 200})
	c.exchange("p", Exchange{Purpose: "act", Operation: "list-keys", Status: 204})
	c.exchange("p", Exchange{Purpose: "act", Operation: "list-keys", Status: 400})
	statuses, succeeded := c.exercised("list-keys")
	assert.Equal(t, []int{200, 204, 400}, statuses)
	assert.Zero(t, succeeded)
	c.exchange("p", Exchange{Purpose: "act", Operation: "list-keys", Status: 200})
	_, succeeded = c.exercised("list-keys")
	assert.Equal(t, 1, succeeded)
}

// TestVerdictNeverPassesAGatingFailure: the HTML banner and the Markdown verdict read PASS only when every
// scenario that ran held its gating assertions; a difference from an unconfirmed expectation is named
// beside a PASS, a failed or baselined gating assertion never reads PASS.
func TestVerdictNeverPassesAGatingFailure(t *testing.T) {
	differs := ScenarioResult{ID: "kms/a.feature:3", Name: "open", Outcome: UnconfirmedDiffers,
		Unconfirmed: []Assertion{{Step: `the error code is "KMS.0306" (unconfirmed)`, Differs: true, Detail: "got KMS.2402"}}}
	cases := []struct {
		name     string
		outcomes []Outcome
		pass     bool
	}{
		{"all held", []Outcome{Pass, Pass, Skip}, true},
		{"an unconfirmed difference", []Outcome{Pass, UnconfirmedDiffers}, true},
		{"a gating failure", []Outcome{Pass, Fail, UnconfirmedDiffers}, false},
		{"a gating failure beside an error", []Outcome{Fail, Error}, false},
		{"a baselined gating failure", []Outcome{Pass, BaselineKnown}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Result{Target: "t", Auth: "token"}
			for i, o := range tc.outcomes {
				s := ScenarioResult{ID: fmt.Sprintf("kms/x.feature:%d", i+1), Name: fmt.Sprintf("s%d", i), Outcome: o}
				if o == UnconfirmedDiffers {
					s = differs
				}
				res.Scenarios = append(res.Scenarios, s)
			}
			res.count()
			html, err := HTML(res)
			require.NoError(t, err)
			md, err := Markdown(res)
			require.NoError(t, err)
			banner := regexpFind(t, `<p class="verdict v\d">([^<]*)</p>`, string(html))
			verdict := regexpFind(t, `(?m)^\*\*(.*)\*\*$`, string(md))
			for _, v := range []string{banner, verdict} {
				assert.Equal(t, tc.pass, strings.HasPrefix(v, "PASS"), v)
			}
			if tc.pass && res.Counts[UnconfirmedDiffers] > 0 {
				assert.Contains(t, banner, "unconfirmed expectation")
				assert.Contains(t, string(html), "got KMS.2402", "the report names the differing assertion")
				assert.Contains(t, string(md), `the error code is "KMS.0306" (unconfirmed)`)
			}
		})
	}
}

func regexpFind(t *testing.T, expr, s string) string {
	t.Helper()
	m := regexp.MustCompile(expr).FindStringSubmatch(s)
	require.NotNil(t, m, "no %s in the report", expr)
	return m[1]
}
