package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// controlPrefix is reserved for the control API; the real services have nothing under it.
const controlPrefix = "/_dewconform/"

// service tells which API a request belongs to, which decides the error envelope of refusals that
// are not tied to a code (validation, internal errors).
type service int

const (
	svcNone service = iota
	svcKMS
	svcCSMS
)

func serviceOf(path string) service {
	switch {
	case strings.HasPrefix(path, "/v1.0/"):
		return svcKMS
	case strings.HasPrefix(path, "/v1/"):
		return svcCSMS
	}
	return svcNone
}

// reqInfo travels in the request context from the outer layer to the handlers. It carries the
// request's statusWriter too, so that the two take one allocation.
type reqInfo struct {
	id     string
	body   []byte // the whole (bounded) body, read once: AK/SK verification hashes it
	caller Caller
	err    error // the refusal, for the access log
	sw     statusWriter
}

type ctxKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// statusWriter remembers the status for the access log and whether anything was written, so that a
// panic after the header went out does not write a second one.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// newRequestID is the prefix and a counter in 16 hex digits (without fmt: it runs on every request).
func (s *Server) newRequestID() string {
	const digits = "0123456789abcdef"
	var b [16]byte
	n := s.reqCounter.Add(1)
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return s.reqPrefix + string(b[:])
}

// drainLimit: an announced body of up to drainLimit times the body limit is drained before the 413.
const drainLimit = 4

// ServeHTTP runs the request path: request id → panic recovery → body limit → control API → service
// routes (auth → project → validation → handler; see route.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ri := &reqInfo{id: s.newRequestID(), sw: statusWriter{ResponseWriter: w}}
	w.Header().Set("X-Request-Id", ri.id)
	sw := &ri.sw
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler { // net/http's way to abort a response: let it through
				panic(v)
			}
			s.log.Error("handler panic", "request_id", ri.id, "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw.status == 0 {
				s.fail(sw, r, internalReason(serviceOf(r.URL.Path)))
			}
		}
		if !s.log.Enabled(r.Context(), slog.LevelInfo) { // building the line costs allocations
			return
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start), "request_id", ri.id}
		if ri.err != nil {
			attrs = append(attrs, "refusal", ri.err.Error())
		}
		s.log.Info("request", attrs...)
	}()
	s.serve(sw, r, ri)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	// Refuse an announced oversized body before reading a byte of it; MaxBytesReader catches the rest
	// (chunked bodies) after at most maxBody+1 bytes.
	if r.ContentLength > s.maxBody {
		// A modest overflow is drained (to io.Discard, never stored) before the answer, so that the client
		// finishes sending and keeps its connection: otherwise net/http closes it with the body half sent,
		// and a Go client then waits 50 ms for its write before giving the connection up (half the time of
		// the whole suite against the in-process mock). A larger announced body is not read at all.
		if r.ContentLength <= drainLimit*s.maxBody {
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, r.ContentLength))
		}
		s.fail(w, r, ErrBodyTooLarge)
		return
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, s.maxBody), r.ContentLength)
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			s.fail(w, r, ErrBodyTooLarge)
			return
		}
		s.fail(w, r, withDetail(ErrBadRequestGW, "read body: %v", err))
		return
	}
	ri.body = body
	setBody(r, body)
	// ServeMux would answer a path with an empty or dot segment with a redirect, which the gateway never
	// sends: such a path names no API.
	if p := r.URL.EscapedPath(); p != path.Clean(p) {
		s.fail(w, r, ErrUnknownAPI)
		return
	}
	if s.control != nil && strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.control.ServeHTTP(w, r)
		return
	}
	s.services.ServeHTTP(w, r)
}

// readBody reads a whole body of announced length size (-1 when unknown; never above the body limit
// here) into one buffer of exactly that size (a bytes.Buffer would add 512 bytes to every request's,
// io.ReadAll grows one step by step). A body longer than announced is read whole all the same, and one
// that ends early is returned as it came, as before.
func readBody(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		buf := bytes.NewBuffer(make([]byte, 0, bytes.MinRead))
		_, err := buf.ReadFrom(r)
		return buf.Bytes(), err
	}
	b := make([]byte, size)
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		switch {
		case errors.Is(err, io.EOF):
			return b[:n], nil
		case err != nil:
			return b[:n], err
		}
	}
	// Filled: anything beyond the announced length (net/http's own body reader never has any)?
	var probe [1]byte
	for {
		m, err := r.Read(probe[:])
		if m > 0 {
			buf := bytes.NewBuffer(append(b, probe[0]))
			_, err = buf.ReadFrom(r)
			return buf.Bytes(), err
		}
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// setBody makes r's body a fresh reader over b (and GetBody too, which kin-openapi uses to put the
// body back after reading it).
func setBody(r *http.Request, b []byte) {
	if len(b) == 0 {
		r.Body, r.GetBody = http.NoBody, nil
		r.ContentLength = 0
		return
	}
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.Body, _ = r.GetBody()
	r.ContentLength = int64(len(b))
}

func internalReason(svc service) Reason {
	if svc == svcCSMS {
		return ErrCSMSInternal
	}
	return ErrKMSInternal
}

// fail writes err, resolved through the error table, in the envelope its code calls for.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ri := infoFrom(r.Context())
	ri.err = err
	p := s.errs.resolve(err, internalReason(serviceOf(r.URL.Path)))
	writeJSON(w, p.Status, errorEnvelope(p, ri.id))
}

// refusal resolves a handler's refusal (returned through the generated strict server) and records it
// for the access log. ok is false when the response has already begun, which happens when writing a
// success response failed: then nothing more can be sent, and the failure is only logged.
func (s *Server) refusal(r *http.Request, err error, internal Reason, logMsg string) (ri *reqInfo, p Problem, ok bool) {
	ri = infoFrom(r.Context())
	ri.err = err
	p = s.errs.resolve(err, internal)
	if p.Status >= 500 {
		s.log.Error(logMsg, "request_id", ri.id, "error", err.Error())
	}
	if ri.sw.status != 0 {
		return ri, p, false
	}
	// A handler's refusals are the 400, 403 and 404 every operation documents; any other status from a
	// handler is a bug, answered with the table's body under the documented 500.
	switch p.Status {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
	default:
		p.Status = http.StatusInternalServerError
	}
	return ri, p, true
}

// writeRefusal writes a handler's error body the way the generated typed error responses
// (CreateKey400JSONResponse...) write theirs: JSON with the encoder's newline, no Content-Length.
func writeRefusal(w http.ResponseWriter, status int, body any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(body); err != nil { // generated union and plain structs only
		buf.Reset()
		buf.WriteString("{}\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// errorEnvelope is the body for p: nested for KMS, flat for CSMS, flat with request_id for the gateway.
func errorEnvelope(p Problem, requestID string) any {
	type detail struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}
	switch p.shape() {
	case shapeKMS:
		return struct {
			Error detail `json:"error"`
		}{detail{p.Code, p.Msg}}
	case shapeCSMS:
		return detail{p.Code, p.Msg}
	default:
		return struct {
			Code      string `json:"error_code"`
			Msg       string `json:"error_msg"`
			RequestID string `json:"request_id"`
		}{p.Code, p.Msg, requestID}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only plain structs and maps are written here
		b = []byte(`{}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
