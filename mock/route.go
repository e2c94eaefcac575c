package mock

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/dewconform/dewconform/gen/csms"
	"github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/openapi"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// route is one operation of a spec, compiled once at start.
type route struct {
	svc    service
	route  *routers.Route
	params []string          // path parameter names, to build kin-openapi's PathParams from r.PathValue
	op     openapi.Operation // the registry's entry: FieldCodes decides a validation failure's code
}

// routeTable indexes a spec's operations by "METHOD /path/{param}", the form the generated std-http
// server registers its patterns in, so no router has to search the spec per request.
func routeTable(svc service, load func() (*openapi3.T, error)) (map[string]*route, error) {
	doc, err := load()
	if err != nil {
		return nil, fmt.Errorf("load spec: %w", err)
	}
	// Host matching would break routing (the servers are the real endpoints), and the mock
	// authenticates requests itself before validating them, so the validator must not: clear both.
	doc.Servers = nil
	doc.Security = nil
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid spec: %w", err)
	}
	table := map[string]*route{}
	var errs []error
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			op.Security = nil
			// The generated code embeds its own copy of the spec; the registry reads openapi's. They are one
			// file (TestGeneratedCodeIsFresh), so any disagreement here is a stale build.
			reg, ok := openapi.Lookup(op.OperationID)
			if !ok || reg.Method != method || reg.Path != path {
				errs = append(errs, fmt.Errorf("%s %s (%s) is not in the operation registry", method, path, op.OperationID))
				continue
			}
			var params []string
			for _, seg := range strings.Split(path, "/") {
				if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
					params = append(params, seg[1:len(seg)-1])
				}
			}
			table[method+" "+path] = &route{
				svc:    svc,
				route:  &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
				params: params,
				op:     reg,
			}
		}
	}
	return table, errors.Join(errs...)
}

// specRoutes are the route tables of both specs, loaded, validated and compiled once per process:
// that is about 15 ms of CPU (0.1 s under -race) per call, and tests and the self-test build hundreds
// of mocks. Everything they hold is read-only once built: the validator only reads the documents
// (defaults are never written back, see validationOptions), and each mock indexes a copy of the maps.
var specRoutes = sync.OnceValues(func() (map[service]map[string]*route, error) {
	kmsRoutes, err := routeTable(svcKMS, kms.GetSpec)
	if err != nil {
		return nil, fmt.Errorf("kms: %w", err)
	}
	csmsRoutes, err := routeTable(svcCSMS, csms.GetSpec)
	if err != nil {
		return nil, fmt.Errorf("csms: %w", err)
	}
	return map[service]map[string]*route{svcKMS: kmsRoutes, svcCSMS: csmsRoutes}, nil
})

// routeMux is the BaseRouter given to a generated std-http server: every pattern the generated code
// registers is wrapped with the pipeline of its operation before it reaches the shared ServeMux.
type routeMux struct {
	s      *Server
	mux    *http.ServeMux
	routes map[string]*route
	errs   []error
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	rt := m.routes[pattern]
	if rt == nil {
		m.errs = append(m.errs, fmt.Errorf("generated route %q is not in the spec", pattern))
		return
	}
	delete(m.routes, pattern) // what is left at the end are spec operations without a handler
	m.mux.Handle(pattern, &operation{s: m.s, rt: rt, next: http.HandlerFunc(h)})
}

// declaredCodes maps every error code the spec declares for a request field (x-dewconform-error-code,
// read by the registry into FieldCodes) to one operation and field that declare it, for the message
// when the error table lacks the code. Read once: the embedded specs never change.
var declaredCodes = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, op := range openapi.Operations() {
		for _, field := range slices.Sorted(maps.Keys(op.FieldCodes)) {
			if code := op.FieldCodes[field]; out[code] == "" {
				out[code] = op.ID + " field " + field
			}
		}
	}
	return out
})

// fieldReason is the Reason for an invalid value of the body member field of op: the Reason whose
// error-table row has the code the spec declares for the field (codes, from problems.codeReasons), or
// generic when the spec declares none, or a code several rows share (KMS.0308).
func fieldReason(codes map[string]Reason, op openapi.Operation, field string, generic Reason) Reason {
	if r := codes[op.FieldCodes[field]]; r != "" {
		return r
	}
	return generic
}

func (m *routeMux) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

func (m *routeMux) err() error {
	for pattern := range m.routes {
		m.errs = append(m.errs, fmt.Errorf("spec operation %q has no generated handler", pattern))
	}
	return errors.Join(m.errs...)
}

// operation runs the per-operation part of the request path, in the documented order of checks:
// credentials (401) → path project (403) → request validation (400) → handler (lookup, permission,
// state).
type operation struct {
	s    *Server
	rt   *route
	next http.Handler
}

func (o *operation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ri := infoFrom(r.Context())
	c, err := o.s.authenticate(r, ri.body)
	if err != nil {
		o.s.fail(w, r, err)
		return
	}
	ri.caller = c
	if r.PathValue("project_id") != c.ProjectID {
		o.s.fail(w, r, projectReason(o.rt.svc))
		return
	}
	// KMS has a body limit of its own below the gateway's; it answers in its own shape.
	if o.rt.svc == svcKMS && int64(len(ri.body)) > o.s.maxKMSBody {
		o.s.fail(w, r, ErrKMSBodyTooLong)
		return
	}
	if o.s.validate {
		if err := o.s.validateRequest(r, o.rt); err != nil {
			o.s.fail(w, r, err)
			return
		}
	}
	o.next.ServeHTTP(w, r)
}

func projectReason(svc service) Reason {
	if svc == svcCSMS {
		return ErrCSMSForbidden
	}
	return ErrProjectMismatch
}

// validationOptions (built once, in New; the validator only reads them): the first failure is enough
// (its field decides the code); defaults are not written back into the body (the handlers apply the
// documented defaults themselves, and the shared documents stay unchanged). The validated value stays
// on the body (KeepValidatedValue), and the generated handler binds it (oapi-codegen's BindJSONBody)
// instead of decoding the JSON a second time: the handler gets exactly the members that were validated
// (names matched exactly, where encoding/json would also take a differently cased duplicate), and
// falls back to decoding the body when the value does not bind.
func validationOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		MultiError:          false,
		SkipSettingDefaults: true,
		KeepValidatedValue:  true,
	}
}

// validateRequest checks r against its operation in the spec and maps a failure to the service's code.
func (s *Server) validateRequest(r *http.Request, rt *route) error {
	params := make(map[string]string, len(rt.params))
	for _, p := range rt.params {
		params[p] = r.PathValue(p)
	}
	err := openapi3filter.ValidateRequest(r.Context(), &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: rt.route, Options: s.valOpts,
	})
	// The validator puts a body it read back through r.GetBody (set by serve), wrapped with the value it
	// decoded (KeepValidatedValue), so no fresh reader is needed here for the generated handler.
	if err == nil {
		return nil
	}
	if rt.svc == svcCSMS {
		return s.csmsValidationReason(err, rt.op)
	}
	return s.kmsValidationReason(err, rt.op)
}

// kmsValidationReason maps a failed validation to KMS's code: a body member with a code of its own in
// the spec gets that code (fieldReason), any other KMS.0308.
func (s *Server) kmsValidationReason(err error, op openapi.Operation) error {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) || re.RequestBody == nil {
		return withDetail(ErrKMSInvalidParam, "%s", validationDetail(err))
	}
	var (
		pe *openapi3filter.ParseError
		se *openapi3.SchemaError
	)
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return withDetail(ErrKMSMissingParam, "no request body")
	case re.Err == nil, errors.As(re.Err, &pe): // wrong content type, or not JSON
		return withDetail(ErrKMSInvalidJSON, "%s", validationDetail(err))
	case errors.As(re.Err, &se):
		ptr := se.JSONPointer()
		switch {
		case len(ptr) == 0: // the body is JSON, but not an object
			return withDetail(ErrKMSInvalidJSON, "%s", validationDetail(se))
		case se.SchemaField == "required":
			return withDetail(ErrKMSMissingParam, "%s", validationDetail(se))
		}
		return withDetail(fieldReason(s.codeReasons, op, ptr[0], ErrKMSInvalidParam), "%s", validationDetail(se))
	}
	return withDetail(ErrKMSInvalidParam, "%s", validationDetail(err))
}

// csmsValidationReason maps a failed validation to CSMS's code: the body is not a JSON object
// (CSMS.0004), a member with a code of its own in the spec (none so far) gets that, anything else is
// CSMS.0002.
func (s *Server) csmsValidationReason(err error, op openapi.Operation) error {
	var (
		re *openapi3filter.RequestError
		pe *openapi3filter.ParseError
		se *openapi3.SchemaError
	)
	if errors.As(err, &re) && re.RequestBody != nil {
		switch {
		case errors.Is(re.Err, openapi3filter.ErrInvalidRequired), re.Err == nil, errors.As(re.Err, &pe):
			return withDetail(ErrCSMSInvalidJSON, "%s", validationDetail(err))
		case errors.As(re.Err, &se):
			ptr := se.JSONPointer()
			if len(ptr) == 0 {
				return withDetail(ErrCSMSInvalidJSON, "%s", validationDetail(se))
			}
			if se.SchemaField != "required" {
				return withDetail(fieldReason(s.codeReasons, op, ptr[0], ErrCSMSInvalidParam), "%s", validationDetail(se))
			}
		}
	}
	return withDetail(ErrCSMSInvalidParam, "%s", validationDetail(err))
}

// validationDetail is a short, single-line description for the log (never sent to the client: the
// service's own message is).
func validationDetail(err error) string {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return fmt.Sprintf("/%s: %s %s", strings.Join(se.JSONPointer(), "/"), se.SchemaField, se.Reason)
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// serviceMux builds the one mux serving both services: the generated std-http servers register their
// operations through routeMux (which puts each behind its pipeline), and everything else is the
// gateway's 404 APIGW.0101. All three error hooks write the service's JSON envelope; the response
// error hook is also how the handlers refuse (refuseKMS).
func (s *Server) serviceMux() (h http.Handler, err error) {
	defer func() { // http.ServeMux panics on conflicting patterns: a spec problem, reported as an error
		if v := recover(); v != nil {
			err = fmt.Errorf("register routes: %v", v)
		}
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, ErrUnknownAPI) })

	tables, err := specRoutes()
	if err != nil {
		return nil, err
	}
	// routeMux removes the patterns it registers from its map: each mock works on its own copy.
	kmsMux := &routeMux{s: s, mux: mux, routes: maps.Clone(tables[svcKMS])}
	kms.HandlerWithOptions(
		kms.NewStrictHandlerWithOptions(&kmsAPI{s: s}, nil, kms.StrictHTTPServerOptions{
			RequestErrorHandlerFunc:  s.hook(ErrKMSInvalidJSON),
			ResponseErrorHandlerFunc: s.refuseKMS,
		}),
		kms.StdHTTPServerOptions{BaseRouter: kmsMux, ErrorHandlerFunc: s.hook(ErrKMSInvalidParam)},
	)

	csmsMux := &routeMux{s: s, mux: mux, routes: maps.Clone(tables[svcCSMS])}
	csms.HandlerWithOptions(
		csms.NewStrictHandlerWithOptions(&csmsAPI{s: s}, nil, csms.StrictHTTPServerOptions{
			RequestErrorHandlerFunc:  s.hook(ErrCSMSInvalidJSON),
			ResponseErrorHandlerFunc: s.refuseCSMS,
		}),
		csms.StdHTTPServerOptions{BaseRouter: csmsMux, ErrorHandlerFunc: s.hook(ErrCSMSInvalidParam)},
	)
	if err := errors.Join(kmsMux.err(), csmsMux.err()); err != nil {
		return nil, err
	}
	return mux, nil
}

// hook adapts a generated error callback: whatever went wrong, the client gets reason's envelope
// (never the generator's plain text), and the log gets the detail.
func (s *Server) hook(reason Reason) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		s.fail(w, r, withDetail(reason, "%s", validationDetail(err)))
	}
}
