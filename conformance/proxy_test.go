package conformance_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/identity"
)

// These tests run the features against a target the runner does not recognise as the mock: a plain
// reverse proxy in front of it that hides the control API and the health endpoint the runner probes.
// There assertions marked (unconfirmed) are reported, not gated, and @mock-only scenarios are skipped.

// realTarget serves the mock behind a reverse proxy; tamper, when not nil, sits between the proxy and
// the client and may change what passes.
func realTarget(t *testing.T, tamper func(next http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	backend := serve(t, newMockHandler(t, nil))
	u, err := url.Parse(backend.URL)
	require.NoError(t, err)
	var h http.Handler = httputil.NewSingleHostReverseProxy(u)
	if tamper != nil {
		h = tamper(h)
	}
	proxy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_dewconform/") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
	return serve(t, proxy)
}

// realConfig runs fast: the defaults meant for a real service (one scenario at a time, a few requests per
// second) would make the suite minutes long.
func realConfig(srv *httptest.Server, tags string) conformance.Config {
	return conformance.Config{KMSEndpoint: srv.URL, Concurrency: 4, RPS: -1, Tags: tags, Randomize: -1}
}

func TestRealTargetCleanRunPasses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite")
	}
	res, out := run(t, context.Background(), realConfig(realTarget(t, nil), ""))
	require.False(t, res.Mock, "the proxy hides the mock")
	assert.Equal(t, 0, res.ExitCode(), "%s\n%s", res.Verdict(), out)
	assert.Zero(t, res.Counts[conformance.Fail])
	assert.Zero(t, res.Counts[conformance.Error])
	assert.Zero(t, res.Counts[conformance.UnconfirmedDiffers], "the mock meets every expectation, unconfirmed ones too")
	held := 0
	for _, s := range res.Scenarios {
		if s.Outcome == conformance.Skip {
			assert.Contains(t, s.Reason, "control API", "%s is skipped only for want of the control API", s.ID)
		}
		held += len(s.Unconfirmed)
	}
	assert.NotZero(t, res.Counts[conformance.Skip], "@mock-only scenarios are skipped")
	assert.NotZero(t, held, "the unconfirmed assertions are judged and recorded")
}

// answerRewrite changes old to repl in the 403 answers to the operation whose path ends in suffix.
func answerRewrite(suffix, old, repl string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, suffix) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if rec.Code == http.StatusForbidden {
				body = bytes.ReplaceAll(body, []byte(old), []byte(repl))
			}
			copyAnswer(w, rec, body)
		})
	}
}

func copyAnswer(w http.ResponseWriter, rec *httptest.ResponseRecorder, body []byte) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

// A target that refuses with another code than the one the features expect (KMS.2402 for KMS.0306, which
// the documents do not settle) differs from an unconfirmed expectation: reported, not failed.
func TestRealTargetWithAnotherRefusalCodeDiffers(t *testing.T) {
	srv := realTarget(t, answerRewrite("/kms/describe-key", "KMS.0306", "KMS.2402"))
	dir := t.TempDir()
	res, out := run(t, context.Background(), withReports(realConfig(srv, "@describe-key"), dir))
	assert.Equal(t, 0, res.ExitCode(), "%s\n%s", res.Verdict(), out)
	var differs []conformance.ScenarioResult
	for _, s := range res.Scenarios {
		switch s.Outcome {
		case conformance.UnconfirmedDiffers:
			differs = append(differs, s)
		case conformance.Pass, conformance.Skip:
		default:
			t.Errorf("%s %s %q: %s", s.Outcome, s.ID, s.Name, s.Reason)
		}
	}
	require.Len(t, differs, 1, out)
	s := differs[0]
	assert.Equal(t, "a user without rights and without a grant may not describe the key", s.Name)
	require.NotEmpty(t, s.Unconfirmed)
	var differing []string
	for _, a := range s.Unconfirmed {
		if a.Differs {
			differing = append(differing, a.Step)
			assert.Contains(t, a.Detail, "KMS.2402")
		}
	}
	assert.Equal(t, []string{`the error code is "KMS.0306" (unconfirmed)`}, differing, "only the code differs: the status and the refusal hold")
	md := readFile(t, filepath.Join(dir, "summary.md"))
	assert.Contains(t, md, `the error code is "KMS.0306" (unconfirmed)`, "the report names the assertion")
	assert.Contains(t, md, "KMS.2402")
	assert.True(t, strings.HasPrefix(strings.Split(md, "\n")[2], "**PASS"), "no gating assertion failed")
	html := readFile(t, filepath.Join(dir, "report.html"))
	assert.Contains(t, html, `the error code is &#34;KMS.0306&#34; (unconfirmed)`)
	junit := readFile(t, filepath.Join(dir, "junit.xml"))
	assert.Contains(t, junit, "unconfirmed, differs: the error code is &#34;KMS.0306&#34; (unconfirmed)")
	// The cucumber report carries the finding on the step itself, as an attachment.
	notes := cucumberAttachments(t, filepath.Join(dir, "cucumber.json"), `the error code is "KMS.0306" (unconfirmed)`)
	require.NotEmpty(t, notes)
	assert.Contains(t, strings.Join(notes, "\n"), "differs from an unconfirmed expectation: want error code \"KMS.0306\", got \"KMS.2402\"")
}

// cucumberAttachments returns the decoded attachments of every step named step in a cucumber report.
func cucumberAttachments(t *testing.T, path, step string) []string {
	t.Helper()
	var features []struct {
		Elements []struct {
			Steps []struct {
				Name       string `json:"name"`
				Embeddings []struct {
					Data string `json:"data"`
				} `json:"embeddings"`
			} `json:"steps"`
		} `json:"elements"`
	}
	require.NoError(t, json.Unmarshal([]byte(readFile(t, path)), &features))
	var out []string
	for _, f := range features {
		for _, e := range f.Elements {
			for _, st := range e.Steps {
				if st.Name != step {
					continue
				}
				for _, em := range st.Embeddings {
					b, err := base64.StdEncoding.DecodeString(em.Data)
					require.NoError(t, err)
					out = append(out, string(b))
				}
			}
		}
	}
	return out
}

// A target that answers bob's retire-grant with the refusal the features expect but ends the grant all
// the same (here: revokes it as alice behind the refusal) is caught by the gating effect checks.
func TestRealTargetThatEndsARefusedGrantFails(t *testing.T) {
	ids := identity.Defaults()
	bob, _ := ids.ByName("bob")
	alice, _ := ids.ByName("alice")
	sneaky := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/kms/retire-grant") || r.Header.Get("X-Auth-Token") != bob.Token {
				next.ServeHTTP(w, r)
				return
			}
			body, _ := io.ReadAll(r.Body)
			rec := httptest.NewRecorder()
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(rec, r)
			if rec.Code == http.StatusForbidden {
				revoke := r.Clone(r.Context())
				revoke.URL.Path = strings.TrimSuffix(r.URL.Path, "retire-grant") + "revoke-grant"
				revoke.Header.Set("X-Auth-Token", alice.Token)
				revoke.Body = io.NopCloser(bytes.NewReader(body))
				revoke.ContentLength = int64(len(body))
				done := httptest.NewRecorder()
				next.ServeHTTP(done, revoke)
				require.Equal(t, http.StatusOK, done.Code, "the revoke behind the refusal: %s", done.Body)
			}
			copyAnswer(w, rec, rec.Body.Bytes())
		})
	}
	res, out := run(t, context.Background(), realConfig(realTarget(t, sneaky), "@retire-grant"))
	require.Equal(t, 1, res.ExitCode(), "%s\n%s", res.Verdict(), out)
	var failed []string
	for _, s := range res.Scenarios {
		if s.Outcome == conformance.Fail {
			failed = append(failed, s.Name)
			assert.Contains(t, s.Reason, "want it listed", "the effect check catches it: %s", s.Reason)
			assert.Equal(t, "that grant is listed", s.Step)
		}
	}
	assert.Contains(t, failed, "the grantee may not retire a grant that does not include retire-grant", out)
}
