package mock

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

// declaredReasons maps the name of every Reason constant declared in errors.go to its value, read from
// the source: the table must be checked against the declarations, not against itself.
func declaredReasons(t *testing.T) map[string]Reason {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	require.NoError(t, err)
	out := map[string]Reason{}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Reason" {
				require.Len(t, vs.Values, len(vs.Names), "one literal per Reason")
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					require.True(t, ok, "%s: a Reason is a string literal", n.Name)
					v, err := strconv.Unquote(lit.Value)
					require.NoError(t, err, n.Name)
					out[n.Name] = Reason(v)
				}
			}
		}
	}
	require.NotEmpty(t, out, "errors.go declares Reasons")
	return out
}

// usedNames counts the identifiers of the package's non-test files, leaving out declarations and the
// body of errorTable: a Reason that appears only in its own row is refused by nothing.
func usedNames(t *testing.T) map[string]int {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	used := map[string]int{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Name.Name == "errorTable" {
					return false
				}
			case *ast.ValueSpec:
				for _, v := range n.Values {
					ast.Inspect(v, func(m ast.Node) bool {
						if id, ok := m.(*ast.Ident); ok {
							used[id.Name]++
						}
						return true
					})
				}
				return false // its Names are declarations
			case *ast.Ident:
				used[n.Name]++
			}
			return true
		})
	}
	return used
}

// TestErrorTableCoversEveryReason: every Reason declared in errors.go has a row (and resolves to it,
// not to the 500 fallback), and something refuses with it: non-test code names it, or the spec
// declares its code for a request field (fieldReason). Every row is well formed.
func TestErrorTableCoversEveryReason(t *testing.T) {
	c, err := Choices{}.withDefaults()
	require.NoError(t, err)
	table := errorTable(c)
	declared := declaredReasons(t)
	used := usedNames(t)
	// The other way code refuses with a Reason: the spec declares its code for a request field.
	codes, err := problems{table}.codeReasons(declaredCodes())
	require.NoError(t, err)
	bySpec := map[Reason]bool{}
	for _, op := range openapi.Operations() {
		for field := range op.FieldCodes {
			bySpec[fieldReason(codes, op, field, "")] = true
		}
	}
	var missing, unused []string
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		if _, ok := table[declared[name]]; !ok {
			missing = append(missing, name)
		}
		if used[name] == 0 && !bySpec[declared[name]] {
			unused = append(unused, name)
		}
	}
	require.Empty(t, missing, "declared Reasons without a row in errorTable")
	require.Empty(t, unused, "declared Reasons that nothing refuses with (remove them and their rows)")
	require.Len(t, table, len(declared), "a row for something that is not a declared Reason")
	for r, p := range table {
		require.NotZero(t, p.Status, r)
		require.Regexp(t, `^(KMS|CSMS|APIGW)\.[0-9]{4}$`, p.Code, r)
		require.NotEmpty(t, p.Msg, r)
		got := problems{table}.resolve(fmt.Errorf("wrapped: %w", r), ErrKMSInternal)
		require.Equal(t, p.Code, got.Code, r)
	}
	require.Equal(t, 500, problems{table}.resolve(errors.New("bug"), ErrKMSInternal).Status)
}
