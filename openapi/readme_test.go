package openapi_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

// The README's list of operations sits between these markers; the registry is the only list of
// operations, so the README's copy is checked against it rather than kept by hand.
const (
	readmeOpsBegin = "<!-- operations:begin -->"
	readmeOpsEnd   = "<!-- operations:end -->"
	readmeOpsHead  = "| slug | service | SDK operation | method and path | seed |\n|---|---|---|---|---|"
)

// readmeRow renders the README row of one operation.
func readmeRow(op openapi.Operation) string {
	row := fmt.Sprintf("| `%s` | %s | %s | `%s %s` |", op.Slug, strings.ToUpper(op.Service), op.ID, op.Method, op.Path)
	if op.Seed {
		return row + " yes |"
	}
	return row + " |"
}

// readmeOperations renders the whole block between the markers, in registry order.
func readmeOperations(ops []openapi.Operation) string {
	rows := []string{readmeOpsHead}
	for _, op := range ops {
		rows = append(rows, readmeRow(op))
	}
	return strings.Join(rows, "\n")
}

// readmeListedRows returns the table rows between the markers, keyed by slug (the first cell).
func readmeListedRows(readme string) (map[string]string, error) {
	_, rest, ok := strings.Cut(readme, readmeOpsBegin)
	if !ok {
		return nil, fmt.Errorf("no %s marker", readmeOpsBegin)
	}
	block, _, ok := strings.Cut(rest, readmeOpsEnd)
	if !ok {
		return nil, fmt.Errorf("no %s marker after %s", readmeOpsEnd, readmeOpsBegin)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "| `") {
			continue // blank lines, the header and its separator
		}
		cells := strings.Split(line, "|")
		slug := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if _, dup := rows[slug]; dup {
			return nil, fmt.Errorf("%s is listed twice", slug)
		}
		rows[slug] = line
	}
	return rows, nil
}

// readmeProblems compares the README's rows with the registry and names every difference.
func readmeProblems(ops []openapi.Operation, listed map[string]string) []string {
	var problems []string
	known := map[string]bool{}
	for _, op := range ops {
		known[op.Slug] = true
		got, ok := listed[op.Slug]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("operation %s (%s) is missing from the README's list", op.Slug, op.ID))
		case got != readmeRow(op):
			problems = append(problems, fmt.Sprintf("the README's row for %s is stale:\n  got  %s\n  want %s", op.Slug, got, readmeRow(op)))
		}
	}
	for slug := range listed {
		if !known[slug] {
			problems = append(problems, fmt.Sprintf("the README lists %s, which is not an operation of the specs", slug))
		}
	}
	slices.Sort(problems)
	return problems
}

func TestReadmeListsEveryOperation(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	listed, err := readmeListedRows(string(data))
	require.NoError(t, err, "README.md")
	ops := openapi.Operations()
	problems := readmeProblems(ops, listed)
	if len(problems) > 0 {
		t.Fatalf("README.md's list of operations differs from the specs' registry:\n%s\n\nReplace the lines between %s and %s with:\n%s",
			strings.Join(problems, "\n"), readmeOpsBegin, readmeOpsEnd, readmeOperations(ops))
	}
}

// TestReadmeCheckFindsDifferences makes sure the comparison above can fail: a missing, an extra and a
// stale row are each named.
func TestReadmeCheckFindsDifferences(t *testing.T) {
	ops := openapi.Operations()
	require.NotEmpty(t, ops)
	listed, err := readmeListedRows(readmeOpsBegin + "\n" + readmeOperations(ops) + "\n" + readmeOpsEnd)
	require.NoError(t, err)
	require.Empty(t, readmeProblems(ops, listed))

	first, last := ops[0], ops[len(ops)-1]
	delete(listed, first.Slug)
	listed["no-such-operation"] = "| `no-such-operation` | KMS | X | `POST /x` | |"
	listed[last.Slug] = strings.Replace(listed[last.Slug], last.Method, "PATCH", 1)
	got := strings.Join(readmeProblems(ops, listed), "\n")
	require.Contains(t, got, first.Slug+" ("+first.ID+") is missing")
	require.Contains(t, got, "lists no-such-operation")
	require.Contains(t, got, "row for "+last.Slug+" is stale")

	_, err = readmeListedRows("no markers")
	require.Error(t, err)
}
