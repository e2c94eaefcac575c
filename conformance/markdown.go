package conformance

import (
	"fmt"
	"strings"
	"time"
)

// Markdown renders the same content as the HTML report, for CI job summaries.
func Markdown(res Result) ([]byte, error) {
	v := newReportView(res)
	var b strings.Builder
	fmt.Fprintf(&b, "# dewconform conformance report\n\n**%s**\n\n", md(v.Verdict))
	fmt.Fprintf(&b, "| | |\n|---|---|\n| target | %s |\n| time | %s (%s) |\n", md(res.Target),
		res.Started.UTC().Format("2006-01-02 15:04:05 UTC"), res.Duration.Round(time.Millisecond))
	var specs []string
	for _, k := range sortedKeys(res.SpecVersions) {
		specs = append(specs, k+" "+res.SpecVersions[k])
	}
	fmt.Fprintf(&b, "| spec version | %s |\n| tool version | %s |\n| auth, run id | %s, %s |\n", md(strings.Join(specs, ", ")),
		md(res.ToolVersion), res.Auth, md(res.RunID))
	var counts []string
	for _, c := range v.Counts {
		if c.N > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", c.N, c.Outcome))
		}
	}
	fmt.Fprintf(&b, "| scenarios | %s |\n| retries (setup/cleanup) | %d |\n", strings.Join(counts, ", "), res.Retries)
	fmt.Fprintf(&b, "| created (estimated at most) | %s (%s) |\n", res.Created, res.Estimate)
	if len(res.Leftovers) > 0 {
		fmt.Fprintf(&b, "| left behind | %s |\n", md(strings.Join(res.Leftovers, "; ")))
	}
	if res.Reason != "" {
		fmt.Fprintf(&b, "| reason | %s |\n", md(res.Reason))
	}
	b.WriteString("\n## Matrix\n\n")
	b.WriteString("Cells: ✅ pass, ❌ fail, ⚠️ error, ⏭️ skip, 🟣 unconfirmed differs, 📌 baseline known, 🔧 baseline fixed. Status codes: **bold** = exercised, ~~struck~~ = answered but undocumented.\n\n")
	b.WriteString("| operation | scenarios | results | status codes |\n|---|---|---|---|\n")
	for _, op := range v.Ops {
		var cells []string
		for _, c := range op.Cells {
			cells = append(cells, symbol(c.Outcome))
		}
		var codes []string
		for _, s := range op.Statuses {
			switch {
			case s.Undocumented:
				codes = append(codes, fmt.Sprintf("~~%d~~", s.Code))
			case s.Exercised:
				codes = append(codes, fmt.Sprintf("**%d**", s.Code))
			default:
				codes = append(codes, fmt.Sprint(s.Code))
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", md(op.Name), op.Scenarios, strings.Join(cells, ""), strings.Join(codes, " "))
	}
	b.WriteString("\n## Schema violations\n\n")
	if len(v.Violations) == 0 {
		b.WriteString("none\n")
	} else {
		b.WriteString("| operation | field | status | reason | count | scenarios |\n|---|---|---|---|---|---|\n")
		for _, r := range v.Violations {
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %d | %s |\n", md(r.Operation), mdCode(r.Field), ints(r.Statuses), md(r.Reason), r.Count, md(strings.Join(r.Scenarios, "; ")))
		}
	}
	b.WriteString("\n## Unconfirmed assertions\n\n")
	if len(v.Unconfirmed) == 0 {
		b.WriteString("none\n")
	} else {
		b.WriteString("Assertions marked (unconfirmed) rest on what the documents leave open: against a target that is not the mock a difference is reported, not gated.\n\n")
		b.WriteString("| scenario | assertion | result |\n|---|---|---|\n")
		for _, u := range v.Unconfirmed {
			result := "held"
			if u.Differs {
				result = "**differs**: " + md(u.Detail)
			}
			fmt.Fprintf(&b, "| %s (`%s`, %s) | %s | %s |\n", md(u.Scenario), mdCode(u.ID), u.Outcome, md(u.Step), result)
		}
	}
	b.WriteString("\n## Scenarios that did not pass\n\n")
	if len(v.NotPassed) == 0 {
		b.WriteString("none\n")
	}
	for _, s := range v.NotPassed {
		fmt.Fprintf(&b, "### %s %s: %s\n\n`%s` · %s\n\n**reason:** %s\n\n", symbol(s.Outcome), s.Outcome, md(s.Name), s.ID, md(strings.Join(s.Tags, " ")), md(s.Reason))
		if s.Step != "" {
			fmt.Fprintf(&b, "**step:** %s\n\n", md(s.Step))
		}
		for _, vi := range s.Violations {
			fmt.Fprintf(&b, "- schema violation: %s %d `%s`: %s\n", md(vi.Operation), vi.Status, mdCode(fieldName(vi.Field)), md(vi.Reason))
		}
		for _, a := range s.Unconfirmed {
			fmt.Fprintf(&b, "- %s\n", md(assertionLine(a)))
		}
		if len(s.Violations)+len(s.Unconfirmed) > 0 {
			b.WriteString("\n") // ends the list: a <details> right after it would render inside its last item
		}
		for _, c := range s.Calls {
			fmt.Fprintf(&b, "<details><summary>%s</summary>\n\n```\n%s```\n\n</details>\n\n", md(c.Title), strings.ReplaceAll(c.Text, "```", "'''"))
		}
	}
	if len(res.CleanupProblems) > 0 || len(res.Swept) > 0 {
		b.WriteString("\n## Cleanup\n\n")
		for _, p := range res.CleanupProblems {
			fmt.Fprintf(&b, "- problem: %s\n", md(p))
		}
		if len(res.Swept) > 0 {
			fmt.Fprintf(&b, "- swept by prefix: %s\n", md(strings.Join(res.Swept, ", ")))
		}
	}
	return []byte(b.String()), nil
}

func symbol(o Outcome) string {
	switch o {
	case Pass:
		return "✅"
	case Fail:
		return "❌"
	case Error:
		return "⚠️"
	case Skip:
		return "⏭️"
	case UnconfirmedDiffers:
		return "🟣"
	case BaselineKnown:
		return "📌"
	case BaselineFixed:
		return "🔧"
	}
	return "?"
}

// md escapes text for a Markdown table cell or line.
func md(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "'")
	return r.Replace(s)
}

// mdCode makes text safe inside a Markdown code span.
func mdCode(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "`", "'"), "|", `\|`)
}
