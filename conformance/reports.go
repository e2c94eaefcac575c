package conformance

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// writeReports writes the requested JUnit, HTML and Markdown reports, each through the redactor.
func writeReports(cfg Config, res Result, red *redactor) error {
	type report struct {
		path  string
		write func(Result) ([]byte, error)
	}
	for _, r := range []report{{cfg.JUnit, JUnit}, {cfg.Report, HTML}, {cfg.Summary, Markdown}} {
		if r.path == "" {
			continue
		}
		data, err := r.write(res)
		if err != nil {
			return err
		}
		if dir := filepath.Dir(r.path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("report directory: %w", err)
			}
		}
		if err := os.WriteFile(r.path, red.Bytes(data), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// JUnit XML. The runner writes it itself rather than through godog's formatter: godog's would count
// errors, baselined failures and differences from unconfirmed expectations as failures and carry no exchanges.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// JUnit renders the result as JUnit XML: one testsuite per feature, one testcase per scenario. fail is a
// <failure>, error an <error>, skip, differences from unconfirmed expectations and baselined failures
// <skipped> (they do not fail the gate); a run that could not start is one <error> test case. A scenario
// with assertions marked (unconfirmed) lists them in its <system-out>, held or not.
func JUnit(res Result) ([]byte, error) {
	doc := junitSuites{Name: "dewconform", Time: seconds(res.Duration)}
	idx := map[string]int{}
	props := []junitProperty{{"target", res.Target}, {"auth", res.Auth}, {"run_id", res.RunID}, {"tool_version", res.ToolVersion}}
	for _, svc := range sortedKeys(res.SpecVersions) {
		props = append(props, junitProperty{svc + "_spec_version", res.SpecVersions[svc]})
	}
	suiteOf := func(name string) *junitSuite {
		i, ok := idx[name]
		if !ok {
			i = len(doc.Suites)
			idx[name] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: name, Timestamp: res.Started.UTC().Format(time.RFC3339), Properties: props})
		}
		return &doc.Suites[i]
	}
	if len(res.Scenarios) == 0 && res.Reason != "" {
		s := suiteOf("dewconform")
		s.Cases = append(s.Cases, junitCase{Name: "run", Classname: "dewconform", Time: "0",
			Error: &junitMessage{Message: res.Reason, Type: "error"}})
		s.Tests, s.Errors = 1, 1
	}
	suiteTime := map[string]time.Duration{}
	for _, sc := range res.Scenarios {
		s := suiteOf(sc.Feature)
		suiteTime[sc.Feature] += sc.Duration
		c := junitCase{Name: sc.Name + " [" + sc.ID + "]", Classname: sc.Feature, Time: seconds(sc.Duration)}
		msg := &junitMessage{Message: sc.Reason, Type: string(sc.Outcome), Body: details(sc)}
		s.Tests++
		switch sc.Outcome {
		case Fail:
			c.Failure = msg
			s.Failures++
		case Error:
			c.Error = msg
			s.Errors++
		case Skip, UnconfirmedDiffers, BaselineKnown:
			c.Skipped = &junitMessage{Message: string(sc.Outcome) + ": " + sc.Reason}
			if sc.Outcome != Skip {
				c.SystemOut = details(sc)
			}
			s.Skipped++
		case BaselineFixed:
			c.SystemOut = sc.Reason
		}
		// Every scenario says which of its assertions were unconfirmed and whether they held.
		if u := unconfirmedText(sc); u != "" && !strings.Contains(c.SystemOut, u) {
			if c.SystemOut != "" {
				c.SystemOut += "\n"
			}
			c.SystemOut += u
		}
		s.Cases = append(s.Cases, c)
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		// CI readers parse the time attribute as a number: an empty one breaks some of them.
		s.Time = seconds(suiteTime[s.Name])
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("junit: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// details is the plain-text account of a scenario that did not pass: the reason, the step and its calls.
func details(sc ScenarioResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s\n", sc.Outcome, sc.ID, sc.Reason)
	if sc.Step != "" {
		fmt.Fprintf(&b, "step: %s\n", sc.Step)
	}
	for _, v := range sc.Violations {
		fmt.Fprintf(&b, "schema violation: %s %d %s: %s\n", v.Operation, v.Status, fieldName(v.Field), v.Reason)
	}
	b.WriteString(unconfirmedText(sc))
	for i, ex := range sc.Exchanges {
		fmt.Fprintf(&b, "\n--- call %d (%s, %s as %s, step %q)\n", i+1, ex.Purpose, ex.Operation, ex.Identity, ex.Step)
		b.WriteString(exchangeText(ex))
	}
	return b.String()
}

// unconfirmedText lists a scenario's unconfirmed assertions, one a line, "" when it has none.
func unconfirmedText(sc ScenarioResult) string {
	var b strings.Builder
	for _, a := range sc.Unconfirmed {
		b.WriteString(assertionLine(a) + "\n")
	}
	return b.String()
}

// assertionLine is one unconfirmed assertion and what came of it.
func assertionLine(a Assertion) string {
	if a.Differs {
		return "unconfirmed, differs: " + a.Step + ": " + a.Detail
	}
	return "unconfirmed, held: " + a.Step
}

// exchangeText renders one request and response.
func exchangeText(ex Exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", ex.Method, ex.URL)
	writeHeader(&b, ex.RequestHeader)
	if ex.RequestBody != "" {
		fmt.Fprintf(&b, "\n%s\n", ex.RequestBody)
	}
	switch {
	case ex.Err != "":
		fmt.Fprintf(&b, "=> transport error: %s\n", ex.Err)
	default:
		fmt.Fprintf(&b, "=> HTTP %d (%s)\n", ex.Status, ex.Duration.Round(time.Millisecond))
		writeHeader(&b, ex.ResponseHeader)
		if ex.ResponseBody != "" {
			fmt.Fprintf(&b, "\n%s\n", ex.ResponseBody)
		}
	}
	return b.String()
}

func writeHeader(b *strings.Builder, h map[string][]string) {
	for _, k := range sortedKeys(h) {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\n", k, v)
		}
	}
}

func fieldName(f string) string {
	if f == "" {
		return "(response)"
	}
	return f
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// violationRow is one line of the schema-violation table: an operation and field, with how often and where.
type violationRow struct {
	Operation, Field, Reason string
	Statuses                 []int
	Count                    int
	Scenarios                []string
	Undocumented             bool
}

func violationRows(res Result) []violationRow {
	type key struct{ op, field, reason string }
	idx := map[key]*violationRow{}
	var order []key
	for _, v := range res.Violations {
		k := key{v.Operation, fieldName(v.Field), v.Reason}
		r, ok := idx[k]
		if !ok {
			r = &violationRow{Operation: v.Operation, Field: k.field, Reason: v.Reason, Undocumented: v.Undocumented}
			idx[k] = r
			order = append(order, k)
		}
		r.Count++
		if !containsInt(r.Statuses, v.Status) {
			r.Statuses = append(r.Statuses, v.Status)
		}
		if !contains(r.Scenarios, v.Scenario) {
			r.Scenarios = append(r.Scenarios, v.Scenario)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].op != order[j].op {
			return order[i].op < order[j].op
		}
		return order[i].field < order[j].field
	})
	out := make([]violationRow, 0, len(order))
	for _, k := range order {
		out = append(out, *idx[k])
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
