package mock_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

// modelledList reads the "## Modelled" section of KNOWN_DIFFERENCES.md: the operations its "- KMS:" and
// "- CSMS:" items list, by service, each name without the note in parentheses after it.
func modelledList(t *testing.T, doc string) map[string][]string {
	t.Helper()
	_, section, ok := strings.Cut(doc, "\n## Modelled\n")
	require.True(t, ok, "KNOWN_DIFFERENCES.md has a Modelled section")
	section, _, _ = strings.Cut(section, "\n## ")
	// Items start with "- "; their continuation lines are indented.
	var items []string
	for _, line := range strings.Split(section, "\n") {
		switch {
		case strings.HasPrefix(line, "- "):
			items = append(items, strings.TrimPrefix(line, "- "))
		case strings.HasPrefix(line, "  ") && len(items) > 0:
			items[len(items)-1] += " " + strings.TrimSpace(line)
		}
	}
	out := map[string][]string{}
	for _, item := range items {
		for prefix, svc := range map[string]string{"KMS:": "kms", "CSMS:": "csms"} {
			if list, ok := strings.CutPrefix(item, prefix); ok {
				out[svc] = splitNames(strings.TrimSuffix(strings.TrimSpace(list), "."))
			}
		}
	}
	return out
}

// splitNames splits a comma-separated list at the commas outside parentheses and drops each name's
// parenthesised note.
func splitNames(list string) []string {
	var names []string
	var cur strings.Builder
	depth := 0
	flush := func() {
		if name := strings.TrimSpace(cur.String()); name != "" {
			names = append(names, name)
		}
		cur.Reset()
	}
	for _, r := range list {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == ',' && depth == 0:
			flush()
		case depth == 0:
			cur.WriteRune(r)
		}
	}
	flush()
	return names
}

// TestKnownDifferencesListsEveryOperation: the document's list of modelled operations is the registry's,
// service by service: an operation of the spec missing from it, or a listed name that is no operation,
// fails by name.
func TestKnownDifferencesListsEveryOperation(t *testing.T) {
	doc, err := os.ReadFile("KNOWN_DIFFERENCES.md")
	require.NoError(t, err)
	listed := modelledList(t, string(doc))
	want := map[string][]string{}
	for _, op := range openapi.Operations() {
		want[op.Service] = append(want[op.Service], op.Slug)
	}
	for _, svc := range []string{"kms", "csms"} {
		require.NotEmpty(t, want[svc], svc)
		for _, slug := range want[svc] {
			require.Contains(t, listed[svc], slug, "KNOWN_DIFFERENCES.md does not list %s operation %s as modelled", svc, slug)
		}
		for _, name := range listed[svc] {
			require.True(t, slices.Contains(want[svc], name),
				"KNOWN_DIFFERENCES.md lists %q as a modelled %s operation; the spec has no such operation", name, svc)
		}
	}
	require.Len(t, listed, 2, "one list per service")
}
