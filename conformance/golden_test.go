package conformance_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/conformance"
	"github.com/dewconform/dewconform/mock"
)

var update = flag.Bool("update", false, "rewrite the golden files of the reports (conformance/testdata/*.golden)")

// colourDescribe adds an undocumented field to every successful describe-key answer, so that the
// reports' schema-violation table has a row (undocumented fields are reported, not failed, without
// --strict).
func colourDescribe(next http.Handler) http.Handler {
	return rewriteOK(next, "/kms/describe-key", `"key_info":{`, `"key_info":{"colour":"blue",`)
}

// TestReportsGolden runs the mini-suite of testdata/golden against the mock (without its control API, so
// that it counts as a real target: @mock-only is skipped and @unconfirmed differences are their own
// outcome) and compares the JUnit, HTML and Markdown reports with testdata/*.golden once what changes
// from run to run is normalised. go test ./conformance -run TestReportsGolden -update rewrites them.
func TestReportsGolden(t *testing.T) {
	m, err := mock.New(mock.Options{Limits: bigLimits})
	require.NoError(t, err)
	srv := serve(t, colourDescribe(m))
	dir := t.TempDir()
	cfg := withReports(conformance.Config{
		KMSEndpoint: srv.URL, Concurrency: 1, RPS: -1, RunID: "golden", ToolVersion: "golden",
		Paths: []string{"testdata/golden"}, Baseline: "testdata/golden/baseline.yaml",
	}, dir)
	res, out := run(t, context.Background(), cfg)
	require.Equal(t, 1, res.ExitCode(), "the mini-suite has one fail: %s\n%s", res.Verdict(), out)
	for _, o := range []conformance.Outcome{conformance.Pass, conformance.Fail, conformance.Error, conformance.Skip,
		conformance.UnconfirmedDiffers, conformance.BaselineKnown, conformance.BaselineFixed} {
		require.Equal(t, 1, res.Counts[o], "the mini-suite has one scenario of each outcome; %s: %d", o, res.Counts[o])
	}
	for golden, path := range map[string]string{"junit.xml.golden": cfg.JUnit, "report.html.golden": cfg.Report, "summary.md.golden": cfg.Summary} {
		t.Run(golden, func(t *testing.T) {
			checkGolden(t, filepath.Join("testdata", golden), normalise(readFile(t, path)))
		})
	}
}

// normalisers replace what differs between two runs of the same suite.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d(T| )\d\d:\d\d:\d\d(\.\d+)?(Z| UTC)`), "TIMESTAMP"},
	{regexp.MustCompile(`Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT`), "Date: DATE"},
	{regexp.MustCompile(`\((\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|ms|s|m)\)`), "(DURATION)"},
	{regexp.MustCompile(`time="[0-9.]+"`), `time="SECONDS"`},
	{regexp.MustCompile(`X-Request-Id: [^\s&]+`), "X-Request-Id: REQUEST-ID"},
	{regexp.MustCompile(`(request_id(?:"|&#34;|\\")\s*:\s*(?:"|&#34;|\\"))[^"&\\]+`), "${1}REQUEST-ID"},
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "UUID"},
	{regexp.MustCompile(`dewconform-golden-[0-9a-f]+`), "dewconform-golden-HEX"},
	{regexp.MustCompile(`\b1\d{12}\b`), "EPOCH-MS"},
	// The matrix rows of operations the mini-suite does not tag (no scenario, no result): the goldens list
	// only its own operations, so that an operation added to the spec does not change them.
	{regexp.MustCompile(`(?m)^\| [a-z0-9-]+ \| 0 \|  \| [^\n]*\n`), ""},
	{regexp.MustCompile(`(?m)^<tr><th>[a-z0-9-]+ <span class="muted">\(0\)</span></th>\n<td></td>\n<td>[^\n]*</td></tr>\n`), ""},
}

func normalise(s string) string {
	for _, n := range normalisers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test ./conformance -run TestReportsGolden -update")
	if d := lineDiff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s\nrun go test ./conformance -run TestReportsGolden -update if the change is intended", path, d)
	}
}

// lineDiff returns the lines that differ between want and got, "-" for want and "+" for got, with two
// lines of context; "" when they are equal. A longest-common-subsequence diff: the reports are small.
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var lines []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, line{' ', a[i]})
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			lines = append(lines, line{'+', b[j]})
			j++
		default:
			lines = append(lines, line{'-', a[i]})
			i++
		}
	}
	const context = 2
	var out strings.Builder
	last := -1
	for k, l := range lines {
		if l.op == ' ' {
			continue
		}
		from := max(k-context, last+1)
		if last >= 0 && from > last+1 {
			out.WriteString("...\n")
		}
		for c := from; c < k; c++ {
			fmt.Fprintf(&out, "  %s\n", lines[c].text)
		}
		fmt.Fprintf(&out, "%c %s\n", l.op, l.text)
		last = k
		for c := k + 1; c < len(lines) && c <= k+context && lines[c].op == ' '; c++ {
			fmt.Fprintf(&out, "  %s\n", lines[c].text)
			last = c
		}
	}
	return out.String()
}
