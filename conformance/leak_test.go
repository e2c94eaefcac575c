package conformance_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/openapi"
)

// TestSecretFieldsNeverLeak sends, for every field the spec marks x-dewconform-secret on every operation
// that has one (the registry), a unique value through that field, and has the target echo the request
// back as its answer: the value then travels through the request and the response, the failure message,
// the console (pretty, which prints the docstring), and every report (JUnit, cucumber with its
// attachments, HTML, Markdown). It must appear in none of them. Marking a new field in the spec is all
// it takes for the field to be checked here.
func TestSecretFieldsNeverLeak(t *testing.T) {
	marker := "leak-" + randomHex(t)
	type probe struct{ op, service, field, value string }
	var probes []probe
	for _, op := range openapi.Operations() {
		for _, f := range op.SecretFields {
			probes = append(probes, probe{op.Slug, op.Service, f, marker + "-" + op.Slug + "-" + f})
		}
	}
	require.NotEmpty(t, probes, "the registry marks no secret field")

	var feature strings.Builder
	feature.WriteString("Feature: secret fields never leak\n")
	for _, p := range probes {
		fmt.Fprintf(&feature, `
  @%s @%s
  Scenario: %s carries %s
    When alice sends to %s the body:
      """
      {"%s": "%s", "nested": {"%s": "%s"}}
      """
    Then the response status is 599
`, p.service, p.op, p.op, p.field, p.op, p.field, p.value, p.field, p.value)
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "leak.feature"), []byte(feature.String()), 0o644))

	// The target answers every probe with the request's own body, so the value comes back in the answer.
	var mu sync.Mutex
	seen := map[string]bool{}
	m := newMockHandler(t, nil)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), marker) {
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			m.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		for _, p := range probes {
			if strings.Contains(string(body), p.value) {
				seen[p.value] = true
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}))

	reports := t.TempDir()
	cfg := withReports(conformance.Config{
		KMSEndpoint: srv.URL, Embedded: true, Control: true, Concurrency: 1, RPS: -1, RunID: "leak",
		Format: conformance.FormatPretty, Paths: []string{dir},
	}, reports)
	res, out := run(t, context.Background(), cfg)
	require.Equal(t, 1, res.ExitCode(), "every probe scenario fails (so that its exchanges are reported): %s\n%s", res.Verdict(), out)
	require.Equal(t, len(probes), res.Counts[conformance.Fail], out)
	for _, p := range probes {
		require.True(t, seen[p.value], "the probe of %s %s never reached the target", p.op, p.field)
	}

	outputs := map[string]string{"console": out}
	for _, path := range []string{cfg.JUnit, cfg.Cucumber, cfg.Report, cfg.Summary} {
		outputs[filepath.Base(path)] = readFile(t, path)
	}
	for name, text := range outputs {
		assert.Contains(t, text, "REDACTED", "%s shows no redaction: did the probes reach it?", name)
		for _, p := range probes {
			assert.NotContains(t, text, p.value, "%s leaks the %s of %s", name, p.field, p.op)
		}
		assert.NotContains(t, text, marker, "%s leaks a probe value", name)
	}
}

func randomHex(t *testing.T) string {
	b := make([]byte, 8)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}
