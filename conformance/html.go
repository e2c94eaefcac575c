package conformance

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/dewconform/dewconform/openapi"
)

// reportView is what the HTML and Markdown reports show.
type reportView struct {
	Res        Result
	Verdict    string
	ExitCode   int
	Counts     []countView
	Ops        []opView
	Violations []violationRow
	NotPassed  []scenarioView
	// Unconfirmed lists, per scenario, every assertion marked (unconfirmed) and whether it held.
	Unconfirmed []unconfirmedRow
	Generated   string
}

type unconfirmedRow struct {
	Scenario, ID, Anchor string // Anchor is set when the scenario has details (it did not pass)
	Outcome              Outcome
	Assertion
}

type countView struct {
	Outcome Outcome
	N       int
}

type opView struct {
	Name      string
	Scenarios int
	Statuses  []statusView
	Cells     []cellView
}

type statusView struct {
	Code         int
	Exercised    bool
	Undocumented bool // answered to a call under test but not documented
}

type cellView struct {
	Outcome Outcome
	Title   string
	Anchor  string
	Passed  bool
}

type scenarioView struct {
	ScenarioResult
	Anchor  string
	Details string
	Calls   []callView
}

type callView struct {
	Title string
	Text  string
}

func anchor(i int) string { return fmt.Sprintf("s%d", i+1) }

func newReportView(res Result) reportView {
	v := reportView{Res: res, Verdict: res.Verdict(), ExitCode: res.ExitCode(), Violations: violationRows(res),
		Generated: time.Now().UTC().Format(time.RFC3339)}
	for _, o := range outcomes() {
		v.Counts = append(v.Counts, countView{o, res.Counts[o]})
	}
	byOp := res.byOperation()
	cov := map[string]OperationCoverage{}
	for _, c := range res.Coverage {
		cov[c.Operation] = c
	}
	names := openapi.Slugs()
	if len(byOp[""]) > 0 {
		names = append(names, "")
	}
	for _, op := range names {
		c := cov[op]
		ov := opView{Name: op, Scenarios: len(byOp[op])}
		if op == "" {
			ov.Name = "(no operation tag)"
		}
		if ov.Scenarios == 0 && len(c.Documented) == 0 {
			continue
		}
		for _, code := range c.Documented {
			ov.Statuses = append(ov.Statuses, statusView{Code: code, Exercised: containsInt(c.Exercised, code)})
		}
		for _, code := range c.Exercised {
			if !containsInt(c.Documented, code) {
				ov.Statuses = append(ov.Statuses, statusView{Code: code, Exercised: true, Undocumented: true})
			}
		}
		for _, i := range byOp[op] {
			s := res.Scenarios[i]
			title := fmt.Sprintf("%s: %s (%s)", s.Outcome, s.Name, s.ID)
			if s.Reason != "" {
				title += "\n" + truncate(s.Reason, 500)
			}
			ov.Cells = append(ov.Cells, cellView{Outcome: s.Outcome, Title: title, Anchor: anchor(i), Passed: s.Outcome == Pass})
		}
		v.Ops = append(v.Ops, ov)
	}
	for i, s := range res.Scenarios {
		for _, a := range s.Unconfirmed {
			row := unconfirmedRow{Scenario: s.Name, ID: s.ID, Outcome: s.Outcome, Assertion: a}
			if s.Outcome != Pass {
				row.Anchor = anchor(i)
			}
			v.Unconfirmed = append(v.Unconfirmed, row)
		}
		if s.Outcome == Pass {
			continue
		}
		sv := scenarioView{ScenarioResult: s, Anchor: anchor(i)}
		for j, ex := range s.Exchanges {
			sv.Calls = append(sv.Calls, callView{
				Title: fmt.Sprintf("call %d: %s %s as %s → %s (%s)", j+1, ex.Purpose, ex.Operation, ex.Identity, statusText(ex), ex.Step),
				Text:  exchangeText(ex),
			})
		}
		v.NotPassed = append(v.NotPassed, sv)
	}
	return v
}

func statusText(ex Exchange) string {
	if ex.Err != "" {
		return "transport error"
	}
	return fmt.Sprint(ex.Status)
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
	"versions": func(m map[string]string) string {
		var parts []string
		for _, k := range sortedKeys(m) {
			parts = append(parts, k+" "+m[k])
		}
		return strings.Join(parts, ", ")
	},
	"field": fieldName,
	"ints":  ints,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>dewconform conformance report</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222}
h1{margin-bottom:.2em} table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
.verdict{font-size:1.3em;font-weight:bold;padding:.4em .8em;display:inline-block;border-radius:4px}
.v0{background:#d4f7d4}.v1{background:#f7d4d4}.v2{background:#f7ecc4}
.cell{display:inline-block;width:1.3em;height:1.3em;margin:1px;border-radius:3px;text-decoration:none}
.pass{background:#2e9e44}.fail{background:#d0312d}.error{background:#e8a317}.skip{background:#b0b0b0}
.unconfirmed-differs{background:#8a6fd1}.baseline-known{background:#e57f7f;opacity:.6}.baseline-fixed{background:#6fd1c4}
.code{display:inline-block;padding:0 .3em;margin:1px;border-radius:3px;border:1px solid #999;font-family:monospace}
.hit{background:#2e9e44;color:#fff;border-color:#2e9e44}.undoc{background:#d0312d;color:#fff}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.legend span{margin-right:1em} .muted{color:#777}
</style>
</head>
<body>
<h1>dewconform conformance report</h1>
<p class="verdict v{{.ExitCode}}">{{.Verdict}}</p>
<table>
<tr><th>target</th><td>{{.Res.Target}}</td></tr>
<tr><th>time</th><td>{{.Res.Started.UTC.Format "2006-01-02 15:04:05 UTC"}} ({{.Res.Duration}})</td></tr>
<tr><th>spec version</th><td>{{versions .Res.SpecVersions}}</td></tr>
<tr><th>tool version</th><td>{{.Res.ToolVersion}}</td></tr>
<tr><th>auth, run id</th><td>{{.Res.Auth}}, {{.Res.RunID}}{{if .Res.Mock}} (target is the mock){{end}}</td></tr>
<tr><th>scenarios</th><td>{{range .Counts}}{{if .N}}<span class="cell {{.Outcome}}" title="{{.Outcome}}"></span> {{.N}} {{.Outcome}} &nbsp; {{end}}{{end}}</td></tr>
<tr><th>retries (setup/cleanup)</th><td>{{.Res.Retries}}</td></tr>
{{if .Res.Reason}}<tr><th>reason</th><td>{{.Res.Reason}}</td></tr>{{end}}
</table>

<h2>Matrix</h2>
<p class="legend muted"><span><span class="cell pass"></span> pass</span><span><span class="cell fail"></span> fail</span><span><span class="cell error"></span> error</span><span><span class="cell skip"></span> skip</span><span><span class="cell unconfirmed-differs"></span> unconfirmed differs</span><span><span class="cell baseline-known"></span> baseline known</span><span><span class="cell baseline-fixed"></span> baseline fixed</span> — hover a cell for the scenario and reason; click for details.</p>
<table id="matrix">
<tr><th>operation</th><th>scenarios (rules)</th><th>status codes: documented (green = exercised, red = answered but undocumented)</th></tr>
{{range .Ops}}<tr><th>{{.Name}} <span class="muted">({{.Scenarios}})</span></th>
<td>{{range .Cells}}<a class="cell {{.Outcome}}" title="{{.Title}}"{{if not .Passed}} href="#{{.Anchor}}"{{end}}></a>{{end}}</td>
<td>{{range .Statuses}}<span class="code{{if .Undocumented}} undoc{{else if .Exercised}} hit{{end}}">{{.Code}}</span>{{end}}</td></tr>
{{end}}</table>

<h2>Schema violations</h2>
{{if .Violations}}<table>
<tr><th>operation</th><th>field</th><th>status</th><th>reason</th><th>count</th><th>scenarios</th></tr>
{{range .Violations}}<tr><td>{{.Operation}}</td><td><code>{{.Field}}</code>{{if .Undocumented}} <span class="muted">(undocumented field)</span>{{end}}</td><td>{{ints .Statuses}}</td><td>{{.Reason}}</td><td>{{.Count}}</td><td>{{join .Scenarios "; "}}</td></tr>
{{end}}</table>{{else}}<p class="muted">none</p>{{end}}

<h2>Unconfirmed assertions</h2>
<p class="muted">Assertions marked (unconfirmed) rest on what the documents leave open: against a target that is not the mock a difference is reported, not gated.</p>
{{if .Unconfirmed}}<table id="unconfirmed">
<tr><th>scenario</th><th>assertion</th><th>result</th></tr>
{{range .Unconfirmed}}<tr><td>{{if .Anchor}}<a href="#{{.Anchor}}">{{.Scenario}}</a>{{else}}{{.Scenario}}{{end}} <span class="muted">({{.ID}}, {{.Outcome}})</span></td><td>{{.Step}}</td><td>{{if .Differs}}<b>differs</b>: {{.Detail}}{{else}}held{{end}}</td></tr>
{{end}}</table>{{else}}<p class="muted">none</p>{{end}}

<h2>Scenarios that did not pass</h2>
{{if not .NotPassed}}<p class="muted">none</p>{{end}}
{{range .NotPassed}}<div id="{{.Anchor}}">
<h3><span class="cell {{.Outcome}}"></span> {{.Outcome}}: {{.Name}}</h3>
<p class="muted">{{.ID}} · {{.Feature}}{{if .Rule}} · Rule: {{.Rule}}{{end}} · {{join .Tags " "}}</p>
<p><b>reason:</b> {{.Reason}}</p>
{{if .Step}}<p><b>step:</b> {{.Step}}</p>{{end}}
{{range .Violations}}<p><b>schema violation:</b> {{.Operation}} {{.Status}} <code>{{field .Field}}</code>: {{.Reason}}</p>{{end}}
{{range .Unconfirmed}}<p><b>unconfirmed, {{if .Differs}}differs{{else}}held{{end}}:</b> {{.Step}}{{if .Differs}}: {{.Detail}}{{end}}</p>{{end}}
{{range .Calls}}<details><summary>{{.Title}}</summary><pre>{{.Text}}</pre></details>{{end}}
</div>
{{end}}

{{if or .Res.CleanupProblems .Res.Swept}}<h2>Cleanup</h2>
{{range .Res.CleanupProblems}}<p>problem: {{.}}</p>{{end}}
{{if .Res.Swept}}<p>swept by prefix: {{join .Res.Swept ", "}}</p>{{end}}{{end}}
<p class="muted">generated {{.Generated}} by dewconform {{.Res.ToolVersion}}</p>
</body>
</html>
`))

// HTML renders the self-contained conformance report (no external assets).
func HTML(res Result) ([]byte, error) {
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, newReportView(res)); err != nil {
		return nil, fmt.Errorf("html report: %w", err)
	}
	return buf.Bytes(), nil
}
