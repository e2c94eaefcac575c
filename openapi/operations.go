package openapi

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// The x- extensions that declare, in the spec, what cannot be derived from it. One edit of the YAML is
// then the whole declaration of an operation: nothing else in the repository lists operations.
const (
	// ExtSlug on an operation: the name used in feature tags, reports and the CLI. KMS slugs are the
	// path's last segment and may be left out; CSMS paths say nothing usable, so CSMS operations carry one.
	ExtSlug = "x-dewconform-slug"
	// ExtSeed on an operation: true for the four operations whose documentation pages the suite was
	// built from (they get the deepest checks: every fault class of the self-test).
	ExtSeed = "x-dewconform-seed"
	// ExtSecret on a schema (a property's own, or the component a property refers to): the value is key
	// material, a plaintext or a secret value, and never appears in a log or a report.
	ExtSecret = "x-dewconform-secret"
	// ExtErrorCode on a request-body property's schema: the service error code the real service answers
	// when that field is invalid (KMS documents one per field; others get the generic code).
	ExtErrorCode = "x-dewconform-error-code"
)

// Operation is one operation of the embedded specs, as the registry reads it.
type Operation struct {
	Slug    string // e.g. "cancel-key-deletion"; unique across services
	ID      string // the spec's operationId, e.g. "CancelKeyDeletion"
	Service string // "kms" or "csms"
	Method  string // e.g. "POST"
	Path    string // template, e.g. "/v1/{project_id}/secrets/{secret_name}"
	Seed    bool   // one of the four seed operations
	// Documented lists the status codes the spec documents, sorted.
	Documented []int
	// SecretFields lists the JSON member names, in request or response bodies, marked x-dewconform-secret.
	SecretFields []string
	// FieldCodes maps a request-body member to the error code documented for an invalid value of it.
	FieldCodes map[string]string

	segments []string // Path split at "/"
}

// Success returns the documented 2xx statuses.
func (o Operation) Success() []int {
	var out []int
	for _, s := range o.Documented {
		if s >= 200 && s < 300 {
			out = append(out, s)
		}
	}
	return out
}

// Documents tells whether the spec documents status for the operation.
func (o Operation) Documents(status int) bool { return slices.Contains(o.Documented, status) }

// Fill substitutes the path's {placeholders}, each value escaped as one path segment; a placeholder
// without a value stays as it is.
func (o Operation) Fill(vars map[string]string) string {
	parts := slices.Clone(o.segments)
	for i, seg := range parts {
		if name, ok := param(seg); ok {
			if v, ok := vars[name]; ok {
				parts[i] = url.PathEscape(v)
			}
		}
	}
	return strings.Join(parts, "/")
}

// Matches tells whether a request with this method and escaped path addresses the operation: as many
// segments as the template, literals equal, a parameter any non-empty segment (the routers' rule).
func (o Operation) Matches(method, escapedPath string) bool {
	if method != o.Method {
		return false
	}
	parts := strings.Split(escapedPath, "/")
	if len(parts) != len(o.segments) {
		return false
	}
	for i, seg := range o.segments {
		if _, ok := param(seg); ok {
			if parts[i] == "" {
				return false
			}
		} else if parts[i] != seg {
			return false
		}
	}
	return true
}

func param(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// Registry is the one list of operations, built from the embedded specs.
type Registry struct {
	ops    []Operation // services in Services order, each in the order of its document's paths
	bySlug map[string]int
	byID   map[string][]int // an operationId may recur across services (KMS and CSMS both have ListGrants)
	secret []string         // union of every operation's SecretFields, sorted
}

// Operations returns every operation of the embedded specs, KMS first, each service in the order its
// document lists them.
func Operations() []Operation { return slices.Clone(mustRegistry().ops) }

// Lookup finds an operation by slug, or by an operationId that only one service uses.
func Lookup(slugOrID string) (Operation, bool) {
	r := mustRegistry()
	if i, ok := r.bySlug[slugOrID]; ok {
		return r.ops[i], true
	}
	if is := r.byID[slugOrID]; len(is) == 1 {
		return r.ops[is[0]], true
	}
	return Operation{}, false
}

// LookupID finds an operation by its service ("kms", "csms") and operationId.
func LookupID(service, id string) (Operation, bool) {
	return lookupIn(mustRegistry(), service, id)
}

// Match finds the operation a request addresses by its method and escaped path ("/v1.0/p/kms/x").
func Match(method, escapedPath string) (Operation, bool) {
	for _, op := range mustRegistry().ops {
		if op.Matches(method, escapedPath) {
			return op, true
		}
	}
	return Operation{}, false
}

// Slugs lists every operation's slug in registry order.
func Slugs() []string {
	ops := mustRegistry().ops
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op.Slug
	}
	return out
}

// SecretFieldNames is the union of every operation's secret fields: what redaction removes everywhere.
func SecretFieldNames() []string { return slices.Clone(mustRegistry().secret) }

// registry is built once: the embedded documents never change while the process runs.
var registry = sync.OnceValues(func() (*Registry, error) { return Build(context.Background()) })

// mustRegistry returns the registry. The embedded specs are part of the binary and their tests fail
// on any problem the registry could meet, so a failure here is a build defect, not an input error.
func mustRegistry() *Registry {
	r, err := registry()
	if err != nil {
		panic("openapi: the embedded specs do not make a registry: " + err.Error())
	}
	return r
}

// Build reads the registry from the embedded documents; it is what Operations and the others use once,
// exported so that a test can see the error instead of a panic.
func Build(ctx context.Context) (*Registry, error) {
	r := &Registry{bySlug: map[string]int{}, byID: map[string][]int{}}
	secret := map[string]bool{}
	var errs []error
	for _, svc := range Services {
		data, err := Document(svc)
		if err != nil {
			return nil, err
		}
		doc, err := Load(ctx, svc)
		if err != nil {
			return nil, err
		}
		order, err := pathOrder(data)
		if err != nil {
			return nil, fmt.Errorf("%s spec: %w", svc, err)
		}
		for _, path := range order {
			item := doc.Paths.Value(path)
			if item == nil {
				continue
			}
			for _, method := range methodOrder {
				op := item.GetOperation(method)
				if op == nil {
					continue
				}
				o, err := readOperation(svc, method, path, op)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if prev, ok := r.bySlug[o.Slug]; ok {
					errs = append(errs, fmt.Errorf("%s: slug %q is already %s's", o.ID, o.Slug, r.ops[prev].ID))
					continue
				}
				if prev, ok := lookupIn(r, svc, o.ID); ok {
					errs = append(errs, fmt.Errorf("%s: operationId is used twice in %s (also %s %s)", o.ID, svc, prev.Method, prev.Path))
					continue
				}
				r.bySlug[o.Slug] = len(r.ops)
				r.byID[o.ID] = append(r.byID[o.ID], len(r.ops))
				r.ops = append(r.ops, o)
				for _, f := range o.SecretFields {
					secret[f] = true
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for f := range secret {
		r.secret = append(r.secret, f)
	}
	sort.Strings(r.secret)
	return r, nil
}

// lookupIn is LookupID on a given registry (also one being built).
func lookupIn(r *Registry, service, id string) (Operation, bool) {
	for _, i := range r.byID[id] {
		if r.ops[i].Service == service {
			return r.ops[i], true
		}
	}
	return Operation{}, false
}

var methodOrder = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// pathOrder lists a document's paths in the order they are written (kin-openapi keeps them in a map).
func pathOrder(data []byte) ([]string, error) {
	var doc struct {
		Paths yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var out []string
	for i := 0; i+1 < len(doc.Paths.Content); i += 2 {
		out = append(out, doc.Paths.Content[i].Value)
	}
	return out, nil
}

func readOperation(svc, method, path string, op *openapi3.Operation) (Operation, error) {
	o := Operation{ID: op.OperationID, Service: svc, Method: method, Path: path, segments: strings.Split(path, "/"),
		FieldCodes: map[string]string{}}
	if o.ID == "" {
		return o, fmt.Errorf("%s %s: no operationId", method, path)
	}
	slug, err := stringExt(op.Extensions, ExtSlug)
	if err != nil {
		return o, fmt.Errorf("%s: %w", o.ID, err)
	}
	if slug == "" && svc == "kms" {
		slug = path[strings.LastIndexByte(path, '/')+1:]
	}
	if slug == "" {
		return o, fmt.Errorf("%s: no %s (only KMS slugs are derived from the path)", o.ID, ExtSlug)
	}
	if !slugPattern(slug) {
		return o, fmt.Errorf("%s: slug %q: want lower-case words joined by dashes", o.ID, slug)
	}
	o.Slug = slug
	if o.Seed, err = boolExt(op.Extensions, ExtSeed); err != nil {
		return o, fmt.Errorf("%s: %w", o.ID, err)
	}
	if op.Responses != nil {
		for code := range op.Responses.Map() {
			if n, err := strconv.Atoi(code); err == nil {
				o.Documented = append(o.Documented, n)
			}
		}
	}
	sort.Ints(o.Documented)
	secret := map[string]bool{}
	var errs []error
	visit := func(schema *openapi3.Schema, request bool) {
		walkProperties(schema, func(name string, prop *openapi3.Schema, top bool) {
			if s, err := boolExt(prop.Extensions, ExtSecret); err != nil {
				errs = append(errs, fmt.Errorf("%s: property %s: %w", o.ID, name, err))
			} else if s {
				secret[name] = true
			}
			code, err := stringExt(prop.Extensions, ExtErrorCode)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s: property %s: %w", o.ID, name, err))
			case code != "" && request && top:
				o.FieldCodes[name] = code
			}
		})
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for _, mt := range op.RequestBody.Value.Content {
			if mt.Schema != nil {
				visit(mt.Schema.Value, true)
			}
		}
	}
	if op.Responses != nil {
		for _, resp := range op.Responses.Map() {
			if resp.Value == nil {
				continue
			}
			for _, mt := range resp.Value.Content {
				if mt.Schema != nil {
					visit(mt.Schema.Value, false)
				}
			}
		}
	}
	for f := range secret {
		o.SecretFields = append(o.SecretFields, f)
	}
	sort.Strings(o.SecretFields)
	return o, errors.Join(errs...)
}

func slugPattern(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// walkProperties calls fn for every property of schema and of the schemas below it (items, allOf, oneOf,
// anyOf), once per schema; top says the property is a member of the body object itself.
func walkProperties(schema *openapi3.Schema, fn func(name string, prop *openapi3.Schema, top bool)) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(s *openapi3.Schema, top bool)
	walk = func(s *openapi3.Schema, top bool) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
			ref := s.Properties[name]
			if ref == nil || ref.Value == nil {
				continue
			}
			fn(name, ref.Value, top)
			walk(ref.Value, false)
		}
		if s.Items != nil {
			walk(s.Items.Value, false)
		}
		for _, refs := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			for _, ref := range refs {
				if ref != nil {
					walk(ref.Value, top) // a composed body's members are still the body's own
				}
			}
		}
	}
	walk(schema, true)
}

func stringExt(ext map[string]any, name string) (string, error) {
	v, ok := ext[name]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a string, got %T", name, v)
	}
	return s, nil
}

func boolExt(ext map[string]any, name string) (bool, error) {
	v, ok := ext[name]
	if !ok || v == nil {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s: want true or false, got %T", name, v)
	}
	return b, nil
}
