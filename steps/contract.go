package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/dewconform/dewconform/openapi"
)

// ContractViolation is a response that does not match the spec: an undocumented status, a body that
// breaks its schema, or (Undocumented) a field the schema does not list. It fails the step that made
// the call; an undocumented field fails it only in strict mode.
type ContractViolation struct {
	Operation    string // operation slug, e.g. ops.CancelKeyDeletion
	OperationID  string // the spec's operationId, e.g. "CancelKeyDeletion"
	Status       int
	Field        string // JSON pointer of the offending field in the response body, "" for the whole response
	Reason       string
	Undocumented bool // an additional field the schema does not describe
}

func (v *ContractViolation) Error() string {
	field := v.Field
	if field == "" {
		field = "(response)"
	}
	kind := "contract violation"
	if v.Undocumented {
		kind = "undocumented field"
	}
	return fmt.Sprintf("%s: %s %d %s: %s", kind, v.Operation, v.Status, field, v.Reason)
}

// Validator checks responses against the embedded OpenAPI documents. It is built once per run and is
// safe for concurrent use: routing and validation only read the parsed documents.
type Validator struct {
	services []*serviceSpec
	byOpID   map[string]*routers.Route // fallback routes by operationId
	// direct holds, by operationId, the path template of every operation that no other path of any
	// document can match: a request to such a template with the operation's method is routed without
	// searching the routers (which was a fifth of the validator's time), and reaches the same route.
	direct map[string][]string
	opts   *openapi3filter.Options // read-only, shared by every validation
}

type serviceSpec struct {
	name   string
	doc    *openapi3.T
	router routers.Router
}

// NewValidator parses the given documents (service name -> YAML or JSON), validates them, clears their
// servers (so that routing matches any target host) and builds one router per document.
func NewValidator(ctx context.Context, docs map[string][]byte) (*Validator, error) {
	v := &Validator{
		byOpID: map[string]*routers.Route{},
		direct: map[string][]string{},
		opts: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		},
	}
	var templates [][]string // every path of every document, split into segments
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		loader := openapi3.NewLoader()
		loader.Context = ctx
		doc, err := loader.LoadFromData(docs[name])
		if err != nil {
			return nil, fmt.Errorf("load %s spec: %w", name, err)
		}
		if err := doc.Validate(ctx); err != nil {
			return nil, fmt.Errorf("validate %s spec: %w", name, err)
		}
		// The servers list is documentation only; with it, routing would only match Huawei's hosts.
		doc.Servers = nil
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("route %s spec: %w", name, err)
		}
		v.services = append(v.services, &serviceSpec{name: name, doc: doc, router: router})
		for path, item := range doc.Paths.Map() {
			templates = append(templates, strings.Split(path, "/"))
			for method, op := range item.Operations() {
				v.byOpID[op.OperationID] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			}
		}
	}
	for id, route := range v.byOpID {
		tmpl := strings.Split(route.Path, "/")
		overlaps := 0 // the template itself is one
		for _, other := range templates {
			if templatesOverlap(tmpl, other) {
				overlaps++
			}
		}
		if overlaps == 1 {
			v.direct[id] = tmpl
		}
	}
	return v, nil
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// templatesOverlap tells whether some path could match both templates (gorillamux: a parameter is one
// non-empty segment).
func templatesOverlap(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !isParam(a[i]) && !isParam(b[i]) && a[i] != b[i] {
			return false
		}
	}
	return true
}

// matchesTemplate is gorillamux's match of an escaped path against a split path template: as many
// segments, literals equal, a parameter any non-empty segment.
func matchesTemplate(tmpl []string, p string) bool {
	for i, seg := range tmpl {
		part := p
		if i < len(tmpl)-1 {
			j := strings.IndexByte(p, '/')
			if j < 0 {
				return false
			}
			part, p = p[:j], p[j+1:]
		} else if strings.IndexByte(p, '/') >= 0 {
			return false
		}
		if isParam(seg) {
			if part == "" {
				return false
			}
		} else if part != seg {
			return false
		}
	}
	return true
}

// OperationID finds the operation a request addresses, or "" when no path and method of the spec match.
func (v *Validator) OperationID(req *http.Request) string {
	if route, _ := v.route(req, ""); route != nil {
		return route.Operation.OperationID
	}
	return ""
}

func (v *Validator) route(req *http.Request, intended string) (*routers.Route, map[string]string) {
	// The operation the step meant, when the request is to its path and method: the routers could find
	// no other (see direct). ValidateResponse does not read the path parameters, so none are extracted.
	if tmpl, ok := v.direct[intended]; ok {
		if route := v.byOpID[intended]; route.Method == req.Method && matchesTemplate(tmpl, req.URL.EscapedPath()) {
			return route, nil
		}
	}
	for _, s := range v.services {
		if route, params, err := s.router.FindRoute(req); err == nil {
			return route, params
		}
	}
	// A deliberately wrong method or path reaches no operation; its answer is judged against the
	// operation the step meant to call (whose documented 404 is the gateway's answer).
	if route, ok := v.byOpID[intended]; ok {
		return route, nil
	}
	return nil, nil
}

// Validate checks one response. intended is the operationId the caller meant to call (used when the
// request matches no route, e.g. a wrong method). It returns the operationId used and every violation.
func (v *Validator) Validate(ctx context.Context, req *http.Request, status int, header http.Header, body []byte, intended string) (string, []*ContractViolation) {
	route, params := v.route(req, intended)
	if route == nil {
		return "", []*ContractViolation{{Status: status, Reason: fmt.Sprintf("no operation of the spec matches %s %s", req.Method, req.URL.Path)}}
	}
	opID := route.Operation.OperationID
	mk := func(field, reason string, undocumented bool) *ContractViolation {
		return &ContractViolation{Operation: slugOf(opID), OperationID: opID, Status: status, Field: field, Reason: reason, Undocumented: undocumented}
	}
	responses := route.Operation.Responses
	ref := responses.Status(status)
	if ref == nil {
		ref = responses.Default()
	}
	if ref == nil || ref.Value == nil {
		// kin-openapi skips redirects and, by default, undocumented statuses; both are violations here.
		return opID, []*ContractViolation{mk("", fmt.Sprintf("status %d is not documented for %s", status, opID), false)}
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                v.opts,
	}
	input.SetBodyBytes(body)
	var out []*ContractViolation
	if err := openapi3filter.ValidateResponse(ctx, input); err != nil {
		for _, e := range flatten(err) {
			var se *openapi3.SchemaError
			var re *openapi3filter.ResponseError
			switch {
			case errors.As(e, &se):
				out = append(out, mk(pointer(se.JSONPointer()), schemaReason(se), false))
			case errors.As(e, &re):
				out = append(out, mk("", re.Reason, false))
			default:
				out = append(out, mk("", e.Error(), false))
			}
		}
	}
	for _, u := range undocumentedFields(ref.Value, header, body) {
		out = append(out, mk(u.field, u.reason, true))
	}
	for _, b := range bodyShape(ref.Value, status, body) {
		out = append(out, mk(b.field, b.reason, false))
	}
	return opID, out
}

// bodyShape finds what schema validation cannot see in a body: a success documented without a body that
// answers one that is not JSON (kin-openapi has no media type to check it against), and, in any JSON
// body, an object with a member name twice (RFC 8259 says names SHOULD be unique; decoders differ on
// which one wins, Go's keeps the last silently, so a client may read another value than was validated).
func bodyShape(resp *openapi3.Response, status int, body []byte) []extra {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	if !json.Valid(trimmed) {
		if status/100 == 2 && len(resp.Content) == 0 {
			return []extra{{"", fmt.Sprintf("status %d is documented without a body, and the answer has a body that is not JSON: %s", status, summarize(trimmed))}}
		}
		return nil // where a body is documented, schema validation reports it
	}
	var out []extra
	duplicates(trimmed, &out)
	return out
}

// duplicates appends every repeated member name of the objects of data (valid JSON), at any depth, with
// its pointer. It scans the bytes itself: json.Decoder's tokens cost a sixth of the validation of a
// thousand-key listing.
func duplicates(data []byte, out *[]extra) {
	type level struct {
		object bool
		names  [][]byte // the object's member names so far (escapes resolved only where there are some)
		index  int      // the array's current element
		key    bool     // the next string of the object is a member name
	}
	var stack []level
	// where is the pointer of the object on top of the stack: each outer level's current member or index.
	where := func() []string {
		var parts []string
		for _, l := range stack[:len(stack)-1] {
			if l.object {
				parts = append(parts, string(l.names[len(l.names)-1]))
			} else {
				parts = append(parts, strconv.Itoa(l.index))
			}
		}
		return parts
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			stack = append(stack, level{object: c == '{', key: c == '{'})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			if top := &stack[len(stack)-1]; top.object {
				top.key = true
			} else {
				top.index++
			}
		case '"':
			end := stringEnd(data, i)
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].key {
				top := &stack[n-1]
				name := data[i+1 : end]
				if bytes.IndexByte(name, '\\') >= 0 {
					name = []byte(unquote(name))
				}
				for _, seen := range top.names {
					if bytes.Equal(seen, name) {
						*out = append(*out, extra{pointer(append(where(), string(name))), fmt.Sprintf("member %q appears more than once in its object", name)})
						break
					}
				}
				top.names = append(top.names, name)
				top.key = false
			}
			i = end
		}
	}
}

// stringEnd returns the index of the quote that closes the string opened at data[start].
func stringEnd(data []byte, start int) int {
	for i := start + 1; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(data) - 1
}

func unquote(raw []byte) string {
	var s string
	if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &s); err != nil {
		return string(raw)
	}
	return s
}

// slugOf is the registry's slug of an operationId (the validator routes the same documents).
func slugOf(operationID string) string {
	if op, ok := openapi.Lookup(operationID); ok {
		return op.Slug
	}
	return operationID
}

// flatten unfolds kin-openapi's MultiError and ResponseError wrappers into leaf errors.
func flatten(err error) []error {
	var me openapi3.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		var out []error
		for _, e := range me {
			out = append(out, flatten(e)...)
		}
		return out
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Err != nil {
		if inner := flatten(re.Err); len(inner) > 0 {
			// Keep the reason of the wrapper when the inner error has nothing better to say.
			var se *openapi3.SchemaError
			if len(inner) == 1 && !errors.As(inner[0], &se) {
				return []error{re}
			}
			return inner
		}
	}
	return []error{err}
}

func schemaReason(se *openapi3.SchemaError) string {
	reason := se.Reason
	if se.SchemaField != "" {
		reason = fmt.Sprintf("%s (schema keyword %q)", reason, se.SchemaField)
	}
	// A oneOf/anyOf mismatch carries the reasons of each alternative in Origin.
	var me openapi3.MultiError
	if errors.As(se.Origin, &me) {
		var parts []string
		for _, e := range me {
			var inner *openapi3.SchemaError
			if errors.As(e, &inner) {
				parts = append(parts, pointer(inner.JSONPointer())+": "+inner.Reason)
			}
		}
		if len(parts) > 0 {
			reason += " [" + strings.Join(parts, "; ") + "]"
		}
	}
	return reason
}

func pointer(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
	}
	return "/" + strings.Join(esc, "/")
}

type extra struct{ field, reason string }

// undocumentedFields walks a JSON body against the response schema and lists every object member the
// schema does not describe. kin-openapi accepts such members unless additionalProperties is false, so
// this is the only place they are noticed.
func undocumentedFields(resp *openapi3.Response, header http.Header, body []byte) []extra {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	var value any
	if err := json.Unmarshal(trimmed, &value); err != nil {
		return nil // not JSON: schema validation already reports it where a schema exists
	}
	var schema *openapi3.Schema
	if mt := resp.Content.Get(header.Get("Content-Type")); mt != nil && mt.Schema != nil {
		schema = mt.Schema.Value
	} else if mt := resp.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		schema = mt.Schema.Value
	}
	var out []extra
	if schema == nil {
		// A response documented without a body: any member of an object body is undocumented.
		if obj, ok := value.(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(obj)) {
				out = append(out, extra{pointer([]string{k}), "field is not documented (the response has no documented body)"})
			}
		}
		return out
	}
	walkExtras(schema, value, nil, &out)
	return out
}

// walkExtras appends to out the members of value that schema does not describe. path is a stack the
// calls share: an element is only read while its call runs (pointer copies it into a string).
func walkExtras(schema *openapi3.Schema, value any, path []string, out *[]extra) {
	if schema == nil {
		return
	}
	switch v := value.(type) {
	case map[string]any:
		var props map[string]*openapi3.Schema
		if len(schema.AllOf) == 0 && len(schema.OneOf) == 0 && len(schema.AnyOf) == 0 {
			// The common case, without building a merged map: the schema's own properties.
			if plainOpen(schema) {
				return
			}
		} else {
			var open bool
			if props, open = properties(schema, v); open {
				return
			}
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			p := append(path, k)
			var sub *openapi3.Schema
			var ok bool
			if props != nil {
				sub, ok = props[k]
			} else {
				var ref *openapi3.SchemaRef
				ref, ok = schema.Properties[k]
				ok = ok && ref != nil
				if ok {
					sub = ref.Value
				}
			}
			if !ok {
				*out = append(*out, extra{pointer(p), "field is not documented"})
				continue
			}
			walkExtras(sub, v[k], p, out)
		}
	case []any:
		items := itemsOf(schema)
		if items == nil {
			return
		}
		for i, item := range v {
			walkExtras(items, item, append(path, strconv.Itoa(i)), out)
		}
	}
}

// plainOpen is properties' open result for a schema without allOf, oneOf or anyOf.
func plainOpen(schema *openapi3.Schema) bool {
	ap := schema.AdditionalProperties
	if ap.Schema != nil || (ap.Has != nil && *ap.Has) {
		return true
	}
	for _, ref := range schema.Properties {
		if ref != nil {
			return false
		}
	}
	return true // a free-form schema documents nothing to compare with
}

// properties merges the properties a value may have under a schema: its own, allOf's, and those of the
// oneOf/anyOf alternatives the value matches. open is true when the schema allows any member.
func properties(schema *openapi3.Schema, value any) (map[string]*openapi3.Schema, bool) {
	props := map[string]*openapi3.Schema{}
	ap := schema.AdditionalProperties
	open := ap.Schema != nil || (ap.Has != nil && *ap.Has)
	for k, ref := range schema.Properties {
		if ref != nil {
			props[k] = ref.Value
		}
	}
	merge := func(refs openapi3.SchemaRefs, onlyMatching bool) {
		for _, ref := range refs {
			if ref == nil || ref.Value == nil {
				continue
			}
			if onlyMatching && ref.Value.VisitJSON(value) != nil {
				continue
			}
			sub, subOpen := properties(ref.Value, value)
			open = open || subOpen
			for k, s := range sub {
				props[k] = s
			}
		}
	}
	merge(schema.AllOf, false)
	merge(schema.OneOf, true)
	merge(schema.AnyOf, true)
	if len(props) == 0 {
		open = true // a free-form schema documents nothing to compare with
	}
	return props, open
}

func itemsOf(schema *openapi3.Schema) *openapi3.Schema {
	if schema.Items != nil {
		return schema.Items.Value
	}
	for _, refs := range []openapi3.SchemaRefs{schema.AllOf, schema.OneOf, schema.AnyOf} {
		for _, ref := range refs {
			if ref != nil && ref.Value != nil && ref.Value.Items != nil {
				return ref.Value.Items.Value
			}
		}
	}
	return nil
}
