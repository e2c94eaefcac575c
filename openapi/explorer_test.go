package openapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

// definitionsEnv overrides where Huawei's API-Explorer definitions (one Swagger 2 file per operation,
// in one folder per service) are looked for.
const definitionsEnv = "DEWCONFORM_HUAWEI_DEFINITIONS"

// notesSection is the NOTES.md heading of the table of accepted differences.
const notesSection = "## Differences from Huawei's API-Explorer definitions"

// swSchema is the part of a Swagger 2.0 schema or non-body parameter the comparison reads.
type swSchema struct {
	Ref        string               `json:"$ref"`
	Type       string               `json:"type"`
	Format     string               `json:"format"`
	Pattern    string               `json:"pattern"`
	MinLength  *uint64              `json:"minLength"`
	MaxLength  *uint64              `json:"maxLength"`
	Minimum    *float64             `json:"minimum"`
	Maximum    *float64             `json:"maximum"`
	Enum       []any                `json:"enum"`
	Items      *swSchema            `json:"items"`
	Properties map[string]*swSchema `json:"properties"`
	Required   required             `json:"required"`
}

// required is a schema's list of required members; a few definitions put a Swagger-invalid boolean
// `required` on a property instead, which is kept as that property's own flag rather than refused.
type required struct {
	names []string
	flag  bool
}

func (r *required) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, &r.flag); err == nil {
		return nil
	}
	return json.Unmarshal(data, &r.names)
}

type swParameter struct {
	swSchema
	Name         string    `json:"name"`
	In           string    `json:"in"`
	ParamRequire bool      `json:"required"` // shadows swSchema.Required: a parameter's flag, not a list
	Schema       *swSchema `json:"schema"`
}

type swResponse struct {
	Schema *swSchema `json:"schema"`
}

type swOperation struct {
	OperationID string                `json:"operationId"`
	Parameters  []swParameter         `json:"parameters"`
	Responses   map[string]swResponse `json:"responses"`
}

type swDocument struct {
	Definitions map[string]*swSchema               `json:"definitions"`
	Paths       map[string]map[string]*swOperation `json:"paths"`
}

// resolve follows local `#/definitions/X` references; only those occur in the API-Explorer files.
func (d *swDocument) resolve(s *swSchema) (*swSchema, error) {
	for seen := 0; s != nil && s.Ref != ""; seen++ {
		if seen > 16 {
			return nil, fmt.Errorf("reference loop at %s", s.Ref)
		}
		name, ok := strings.CutPrefix(s.Ref, "#/definitions/")
		if !ok {
			return nil, fmt.Errorf("unsupported reference %s", s.Ref)
		}
		next, ok := d.Definitions[name]
		if !ok {
			return nil, fmt.Errorf("unresolved reference %s", s.Ref)
		}
		s = next
	}
	return s, nil
}

// facts are the compared aspects of one location, each rendered as a string ("" = not stated).
type facts map[string]string

// difference is one aspect of one location on which Huawei's definition and ours disagree.
type difference struct {
	op, location, aspect, huawei, ours string
}

func (d difference) String() string {
	cell := func(v string) string {
		if v == "" {
			return "(none)"
		}
		return "`" + strings.ReplaceAll(v, "|", `\|`) + "`"
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | <reason> |", d.op, d.location, d.aspect, cell(d.huawei), cell(d.ours))
}

// accepted is one row of the NOTES.md table.
type accepted struct {
	line                                       int
	op, location, aspect, huawei, ours, reason string
	used                                       bool
}

func (a *accepted) matches(d difference) bool {
	return (a.op == "*" || a.op == d.op) && a.location == d.location && a.aspect == d.aspect &&
		a.huawei == d.huawei && a.ours == d.ours
}

// findDefinitionsDir looks for shared/reference/huawei-definitions beside the repository root (the CI
// clone has shared/ next to the checkout), walking up from the working directory.
func findDefinitionsDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv(definitionsEnv); dir != "" {
		return dir
	}
	wd, err := os.Getwd()
	require.NoError(t, err)
	for dir := wd; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "shared", "reference", "huawei-definitions")
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			return candidate
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// definitionServices lists the service folders of the definitions: every DEW service, including those
// (KPS) the specs do not model yet, so that their operations count as not yet covered.
var definitionServices = []string{"KMS", "CSMS", "KPS"}

func TestExplorerDifferencesAreListed(t *testing.T) {
	dir := findDefinitionsDir(t)
	if dir == "" {
		t.Skipf("Huawei's API-Explorer definitions not found: no shared/reference/huawei-definitions above the working directory (set %s to point at it); the spec is NOT compared with Huawei's fields, required flags and statuses", definitionsEnv)
	}
	rows := readAcceptedDifferences(t)

	// The registry decides what is covered; operationIds repeat across services (KMS and CSMS both
	// have ListGrants), so an operation is known by its service and operationId.
	covered := map[string]openapi.Operation{}
	for _, op := range openapi.Operations() {
		covered[op.Service+"/"+op.ID] = op
	}
	seen := map[string]bool{}
	notCovered := map[string][]string{}

	ctx := context.Background()
	var diffs []difference
	ops := 0
	for _, service := range definitionServices {
		files, err := filepath.Glob(filepath.Join(dir, service, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, files, "no definition files for %s in %s", service, dir)
		svc := strings.ToLower(service)
		var doc *openapi3.T
		if slices.Contains(openapi.Services, svc) {
			doc, err = openapi.Load(ctx, svc)
			require.NoError(t, err)
		}
		for _, file := range files {
			for _, sw := range readDefinitionFile(t, file) {
				key := svc + "/" + sw.op.OperationID
				if _, ok := covered[key]; !ok {
					notCovered[service] = append(notCovered[service], sw.op.OperationID)
					continue
				}
				require.False(t, seen[key], "%s: operation %s is defined twice", file, key)
				seen[key] = true
				ops++
				diffs = append(diffs, compareOperation(t, doc, sw)...)
			}
		}
	}
	var undefined []string
	for key, op := range covered {
		if !seen[key] {
			undefined = append(undefined, fmt.Sprintf("%s (%s %s %s)", key, op.Slug, op.Method, op.Path))
		}
	}
	sort.Strings(undefined)
	require.Empty(t, undefined, "operations of the registry without a Huawei definition in %s: every modelled operation must be one Huawei defines", dir)
	require.Positive(t, ops)
	for _, service := range definitionServices {
		names := notCovered[service]
		sort.Strings(names)
		t.Logf("%s: %d operations not yet covered: %s", service, len(names), strings.Join(names, ", "))
	}

	var unlisted []string
	for _, d := range diffs {
		ok := false
		for _, r := range rows {
			if r.matches(d) {
				r.used = true
				ok = true
			}
		}
		if !ok {
			unlisted = append(unlisted, d.String())
		}
	}
	require.Empty(t, unlisted, "differences from Huawei's definitions not listed in NOTES.md (%s); add rows like these, with a reason:\n%s",
		notesSection, strings.Join(unlisted, "\n"))
	for _, r := range rows {
		require.True(t, r.used, "NOTES.md line %d lists a difference that no longer exists (%s %s %s): remove or correct it",
			r.line, r.op, r.location, r.aspect)
	}
	t.Logf("%d operations compared, %d differences, all listed in %d NOTES.md rows", ops, len(diffs), len(rows))
}

// definedOperation is one operation of a definition file, with the document its references resolve in.
type definedOperation struct {
	doc          *swDocument
	method, path string
	op           *swOperation
}

func readDefinitionFile(t *testing.T, file string) []definedOperation {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var sw swDocument
	require.NoError(t, json.Unmarshal(data, &sw), file)
	var out []definedOperation
	for path, methods := range sw.Paths {
		for method, op := range methods {
			if op != nil && op.OperationID != "" {
				out = append(out, definedOperation{&sw, method, path, op})
			}
		}
	}
	require.NotEmpty(t, out, "%s defines no operation", file)
	return out
}

// compareOperation compares one defined operation with ours, found by operationId in doc.
func compareOperation(t *testing.T, doc *openapi3.T, d definedOperation) []difference {
	t.Helper()
	var diffs []difference
	sw, swOp, path, method := d.doc, d.op, d.path, d.method
	id := swOp.OperationID
	ourPath, ourMethod, ourOp := findOperation(doc, id)
	require.NotNil(t, ourOp, "%s is in the registry but not in the spec", id)
	{
		{
			add := func(location string, huawei, ours facts) {
				keys := map[string]bool{}
				for k := range huawei {
					keys[k] = true
				}
				for k := range ours {
					keys[k] = true
				}
				for _, k := range slices.Sorted(maps.Keys(keys)) {
					if huawei[k] != ours[k] {
						diffs = append(diffs, difference{id, location, k, huawei[k], ours[k]})
					}
				}
			}
			add("operation", facts{"method": strings.ToUpper(method), "path": path},
				facts{"method": ourMethod, "path": ourPath})

			huaweiFields, err := swaggerRequestFields(sw, swOp)
			require.NoError(t, err, id)
			ourFields := ourRequestFields(ourOp)
			for _, loc := range unionKeys(huaweiFields, ourFields) {
				h, o := huaweiFields[loc], ourFields[loc]
				switch {
				case h == nil:
					add(loc, facts{"presence": "absent"}, facts{"presence": "present"})
				case o == nil:
					add(loc, facts{"presence": "present"}, facts{"presence": "absent"})
				default:
					add(loc, h, o)
				}
			}

			huaweiResp := map[string]facts{}
			for status, r := range swOp.Responses {
				content := "none"
				if r.Schema != nil {
					content = "json"
				}
				huaweiResp["response."+status] = facts{"content": content}
			}
			ourResp := map[string]facts{}
			for status, r := range ourOp.Responses.Map() {
				content := "none"
				if r.Value != nil && len(r.Value.Content) > 0 {
					content = "json"
				}
				ourResp["response."+status] = facts{"content": content}
			}
			for _, loc := range unionKeys(huaweiResp, ourResp) {
				h, o := huaweiResp[loc], ourResp[loc]
				switch {
				case h == nil:
					add(loc, facts{"presence": "absent"}, facts{"presence": "present"})
				case o == nil:
					add(loc, facts{"presence": "present"}, facts{"presence": "absent"})
				default:
					add(loc, h, o)
				}
			}
		}
	}
	return diffs
}

func unionKeys(a, b map[string]facts) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return slices.Sorted(maps.Keys(keys))
}

func findOperation(doc *openapi3.T, id string) (string, string, *openapi3.Operation) {
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == id {
				return path, method, op
			}
		}
	}
	return "", "", nil
}

// swaggerRequestFields lists the request fields of a Swagger operation by location: path.X, query.X,
// body (the body itself) and body.X. The X-Auth-Token header is left out: we model it as a security scheme.
func swaggerRequestFields(sw *swDocument, op *swOperation) (map[string]facts, error) {
	out := map[string]facts{}
	for _, p := range op.Parameters {
		switch {
		case p.In == "header" && strings.EqualFold(p.Name, "X-Auth-Token"):
			continue
		case p.In == "body":
			body, err := sw.resolve(p.Schema)
			if err != nil {
				return nil, err
			}
			out["body"] = facts{"required": strconv.FormatBool(p.ParamRequire), "type": orObject(body.Type)}
			for name, prop := range body.Properties {
				s, err := sw.resolve(prop)
				if err != nil {
					return nil, err
				}
				f, err := swaggerFacts(sw, s)
				if err != nil {
					return nil, err
				}
				f["required"] = strconv.FormatBool(slices.Contains(body.Required.names, name) || s.Required.flag)
				out["body."+name] = f
			}
		default:
			f, err := swaggerFacts(sw, &p.swSchema)
			if err != nil {
				return nil, err
			}
			f["required"] = strconv.FormatBool(p.ParamRequire)
			out[p.In+"."+p.Name] = f
		}
	}
	return out, nil
}

// orObject reads a schema without a type as an object, which is what the files mean by it.
func orObject(typ string) string {
	if typ == "" {
		return "object"
	}
	return typ
}

func swaggerFacts(sw *swDocument, s *swSchema) (facts, error) {
	f := facts{
		"type":      s.Type,
		"format":    s.Format,
		"pattern":   s.Pattern,
		"minLength": lengthFact(s.MinLength, true),
		"maxLength": lengthFact(s.MaxLength, false),
		"minimum":   numberFact(s.Minimum),
		"maximum":   numberFact(s.Maximum),
		"enum":      enumFact(s.Enum),
	}
	if s.Items != nil {
		items, err := sw.resolve(s.Items)
		if err != nil {
			return nil, err
		}
		f["items"] = itemsFact(items.Type, items.Enum)
	}
	return f, nil
}

func ourRequestFields(op *openapi3.Operation) map[string]facts {
	out := map[string]facts{}
	for _, p := range op.Parameters {
		if p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Value == nil {
			continue
		}
		f := ourFacts(p.Value.Schema.Value)
		f["required"] = strconv.FormatBool(p.Value.Required)
		out[p.Value.In+"."+p.Value.Name] = f
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return out
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		out["body"] = facts{"required": strconv.FormatBool(op.RequestBody.Value.Required), "type": "none"}
		return out
	}
	body := mt.Schema.Value
	out["body"] = facts{"required": strconv.FormatBool(op.RequestBody.Value.Required), "type": typeFact(body.Type)}
	for name, prop := range body.Properties {
		if prop == nil || prop.Value == nil {
			continue
		}
		f := ourFacts(prop.Value)
		f["required"] = strconv.FormatBool(slices.Contains(body.Required, name))
		out["body."+name] = f
	}
	return out
}

func ourFacts(s *openapi3.Schema) facts {
	f := facts{
		"type":      typeFact(s.Type),
		"format":    s.Format,
		"pattern":   s.Pattern,
		"minLength": lengthFact(&s.MinLength, true),
		"maxLength": lengthFact(s.MaxLength, false),
		"minimum":   numberFact(s.Min),
		"maximum":   numberFact(s.Max),
		"enum":      enumFact(s.Enum),
	}
	if s.Items != nil && s.Items.Value != nil {
		f["items"] = itemsFact(typeFact(s.Items.Value.Type), s.Items.Value.Enum)
	}
	return f
}

func typeFact(t *openapi3.Types) string {
	if t == nil {
		return ""
	}
	return strings.Join(t.Slice(), ",")
}

// lengthFact renders a length bound; a minLength of 0 says nothing, so it reads as unstated.
func lengthFact(v *uint64, isMin bool) string {
	if v == nil || (isMin && *v == 0) {
		return ""
	}
	return strconv.FormatUint(*v, 10)
}

func numberFact(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// enumFact renders an enum as a sorted list: the order of the values carries no meaning.
func enumFact(values []any) string {
	if len(values) == 0 {
		return ""
	}
	s := make([]string, 0, len(values))
	for _, v := range values {
		s = append(s, fmt.Sprint(v))
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func itemsFact(typ string, enum []any) string {
	if e := enumFact(enum); e != "" {
		return typ + " enum " + e
	}
	return typ
}

// readAcceptedDifferences parses the table under notesSection in NOTES.md. Its columns, by header name:
// operation (an operationId or * for every operation), location, aspect, huawei, ours, reason. Values may
// be wrapped in backticks, `\|` stands for a literal pipe and (none) for an unstated constraint.
func readAcceptedDifferences(t *testing.T) []*accepted {
	t.Helper()
	data, err := os.ReadFile("NOTES.md")
	require.NoError(t, err)

	var rows []*accepted
	var header []string
	inSection := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "## ") {
			if inSection {
				break
			}
			inSection = strings.HasPrefix(text, notesSection)
			continue
		}
		if !inSection || !strings.HasPrefix(text, "|") {
			continue
		}
		cells := splitRow(text)
		if header == nil {
			header = cells
			continue
		}
		if strings.Trim(strings.Join(cells, ""), "-: ") == "" {
			continue // the separator row
		}
		require.Len(t, cells, len(header), "NOTES.md line %d: wrong number of cells", line)
		col := map[string]string{}
		for i, h := range header {
			col[strings.ToLower(h)] = cells[i]
		}
		r := &accepted{line: line, op: col["operation"], location: col["location"], aspect: col["aspect"],
			huawei: noneAsEmpty(col["huawei"]), ours: noneAsEmpty(col["ours"]), reason: col["reason"]}
		require.NotEmpty(t, r.op, "NOTES.md line %d: no operation", line)
		require.NotEmpty(t, r.location, "NOTES.md line %d: no location", line)
		require.NotEmpty(t, r.aspect, "NOTES.md line %d: no aspect", line)
		require.GreaterOrEqual(t, len(r.reason), 10, "NOTES.md line %d: every difference needs a reason", line)
		rows = append(rows, r)
	}
	require.NoError(t, sc.Err())
	require.NotNil(t, header, "NOTES.md has no table under %q", notesSection)
	for _, h := range []string{"operation", "location", "aspect", "huawei", "ours", "reason"} {
		require.Contains(t, lower(header), h, "NOTES.md table under %q lacks column %q", notesSection, h)
	}
	return rows
}

// noneAsEmpty reads the table's "(none)", which stands for a constraint a definition does not state.
func noneAsEmpty(s string) string {
	if s == "(none)" {
		return ""
	}
	return s
}

func lower(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = strings.ToLower(v)
	}
	return out
}

// splitRow splits a Markdown table row into trimmed cells, dropping one pair of backticks around each.
func splitRow(row string) []string {
	row = strings.TrimSuffix(strings.TrimPrefix(row, "|"), "|")
	const pipe = "\x00"
	row = strings.ReplaceAll(row, `\|`, pipe)
	parts := strings.Split(row, "|")
	for i, p := range parts {
		p = strings.TrimSpace(strings.ReplaceAll(p, pipe, "|"))
		if len(p) >= 2 && strings.HasPrefix(p, "`") && strings.HasSuffix(p, "`") {
			p = p[1 : len(p)-1]
		}
		parts[i] = p
	}
	return parts
}
