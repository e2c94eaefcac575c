package selftest

// The building blocks of the faults: they recognise an operation by its path, capture the mock's answer so
// that a fault can rewrite it, make side calls to the mock with the caller's credentials, and edit JSON
// bodies. A fault in faults.go is then a few lines on top of them.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/openapi"
)

// maxHang bounds a "never answers" fault when the client somehow never gives up, so that no handler
// outlives its run for long.
const maxHang = 30 * time.Second

// operationOf names the operation (the features' operation tag without "@") a request addresses, by the
// registry's routing, or "" for anything else (the control API, unknown paths).
func operationOf(r *http.Request) string {
	op, _ := openapi.MatchMeant(r.Method, r.URL.EscapedPath())
	return op.Slug
}

// secretOf returns the secret name of a CSMS path under /v1/{project}/secrets/{name}, or "".
func secretOf(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) >= 4 && parts[0] == "v1" && parts[2] == "secrets" {
		return parts[3]
	}
	return ""
}

// answer is a response of the mock, captured so that a fault can change it before the client sees it.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// capture runs h on r and keeps its answer.
func capture(h http.Handler, r *http.Request) *answer {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return &answer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// write sends the (possibly changed) answer.
func (a *answer) write(w http.ResponseWriter) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// jsonAnswer builds an answer as the mock would send it (JSON, with an X-Request-Id); a nil doc means no
// body (revoke and retire answer 200 without one).
func jsonAnswer(status int, doc any) *answer {
	var body []byte
	if doc != nil {
		body, _ = json.Marshal(doc)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Request-Id", "selftest0000000000000000000000000")
	return &answer{status: status, header: h, body: body}
}

// object decodes the answer's body as a JSON object (numbers kept exact), nil when it is not one.
func (a *answer) object() map[string]any {
	return decodeObject(a.body)
}

func decodeObject(b []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if dec.Decode(&doc) != nil {
		return nil
	}
	return doc
}

// edit rewrites the answer's JSON object body through fn; a body that is not an object is left alone.
func (a *answer) edit(fn func(doc map[string]any)) {
	doc := a.object()
	if doc == nil {
		return
	}
	fn(doc)
	if b, err := json.Marshal(doc); err == nil {
		a.body = b
	}
}

// errorCode reads error_code from KMS's nested or the flat error shape.
func (a *answer) errorCode() string { return openapi.ErrorCode(a.body) }

// member returns doc[k] as an object, nil when it is not one.
func member(doc map[string]any, k string) map[string]any {
	m, _ := doc[k].(map[string]any)
	return m
}

// requestBody reads r's body and puts an equivalent one back.
func requestBody(r *http.Request) []byte {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b, _ := io.ReadAll(r.Body)
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// requestField returns a string member of r's JSON body ("" when absent), leaving the body readable.
func requestField(r *http.Request, k string) string {
	s, _ := decodeObject(requestBody(r))[k].(string)
	return s
}

// side makes another call to the mock as r's caller (same headers, same context): method and path of the
// call, with body (nil for none).
func side(h http.Handler, r *http.Request, method, path string, body []byte) *answer {
	req := r.Clone(r.Context())
	req.Method = method
	req.URL = &url.URL{Path: path}
	req.RequestURI = ""
	req.Body, req.ContentLength = http.NoBody, 0
	if body != nil {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	req.Header.Del("Content-Length")
	return capture(h, req)
}

// kmsPath returns the path of another KMS operation (by slug) in r's project ("/v1.0/{project_id}/kms/...").
func kmsPath(r *http.Request, slug string) string {
	op, _ := openapi.Lookup(slug)
	parts := strings.Split(r.URL.Path, "/")
	return op.Fill(map[string]string{"project_id": parts[min(2, len(parts)-1)]})
}

// secretPath returns the path of r's secret (/v1/{project}/secrets/{name}).
func secretPath(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	return "/" + strings.Join(parts[:4], "/")
}

// describeKey returns the state of r's key ("key_id" of its body) as r's caller sees it, "" when unknown.
func describeKey(h http.Handler, r *http.Request) string {
	body, _ := json.Marshal(map[string]string{"key_id": requestField(r, "key_id")})
	a := side(h, r, http.MethodPost, kmsPath(r, ops.DescribeKey), body)
	if a.status != http.StatusOK {
		return ""
	}
	s, _ := member(a.object(), "key_info")["key_state"].(string)
	return s
}

// showSecret returns the mock's answer to showing r's secret as r's caller.
func showSecret(h http.Handler, r *http.Request) *answer {
	return side(h, r, http.MethodGet, secretPath(r), nil)
}

// middleware is what a fault's Wrap returns.
type middleware = func(http.Handler) http.Handler

// on applies fn to the requests of operation op; every other request reaches the mock unchanged.
// okDoingNothing answers every authenticated call of op with an empty 200 and changes nothing: the
// shape of success without its effect. Unauthenticated calls still reach the mock (and get its 401).
func okDoingNothing(op string) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") == "" {
			next.ServeHTTP(w, r)
			return
		}
		jsonAnswer(http.StatusOK, nil).write(w)
	})
}

func on(op string, fn func(next http.Handler, w http.ResponseWriter, r *http.Request)) middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if operationOf(r) != op {
				next.ServeHTTP(w, r)
				return
			}
			fn(next, w, r)
		})
	}
}

// rewrite lets the mock answer op's requests, then changes the answer through fn.
func rewrite(op string, fn func(r *http.Request, a *answer)) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		a := capture(next, r)
		fn(r, a)
		a.write(w)
	})
}

// onSuccess edits the JSON body of op's 200 answers.
func onSuccess(op string, fn func(r *http.Request, doc map[string]any)) middleware {
	return rewrite(op, func(r *http.Request, a *answer) {
		if a.status == http.StatusOK {
			a.edit(func(doc map[string]any) { fn(r, doc) })
		}
	})
}

// onError changes op's error answers (status 400 and above) through fn.
func onError(op string, fn func(a *answer)) middleware {
	return rewrite(op, func(_ *http.Request, a *answer) {
		if a.status >= http.StatusBadRequest {
			fn(a)
		}
	})
}

// onCode changes the status of op's answers with that error code.
func onCode(op, code string, status int) middleware {
	return onError(op, func(a *answer) {
		if a.errorCode() == code {
			a.status = status
		}
	})
}

// asCaller sends op's requests made with one of the from tokens with the to token instead: the service
// then applies the wrong identity's rights (a missing permission or project check).
func asCaller(op string, to string, from ...string) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Auth-Token")
		for _, f := range from {
			if tok == f {
				r.Header.Set("X-Auth-Token", to)
				break
			}
		}
		next.ServeHTTP(w, r)
	})
}

// hang never answers op's requests: the handler waits until the client gives up (or maxHang), so that
// nothing lingers after the run.
func hang(op string) middleware {
	return on(op, func(_ http.Handler, _ http.ResponseWriter, r *http.Request) {
		// net/http notices a client that hung up (and cancels r's context) only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		t := time.NewTimer(maxHang)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
	})
}

// flaky answers every other request of op (the first included) with a documented 500 in the service's
// error shape, and lets the others through.
func flaky(op string) middleware {
	return func(next http.Handler) http.Handler {
		var n atomic.Int64
		return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
			if n.Add(1)%2 == 0 {
				next.ServeHTTP(w, r)
				return
			}
			var doc any = map[string]any{"error": map[string]string{
				"error_code": "KMS.0101", "error_msg": "A system exception occurred. Contact technical support."}}
			if strings.HasPrefix(r.URL.Path, "/v1/") {
				doc = map[string]string{"error_code": "CSMS.0001", "error_msg": "Internal service error."}
			}
			jsonAnswer(http.StatusInternalServerError, doc).write(w)
		})(next)
	}
}

// chain applies middlewares so that the first one sees the request first.
func chain(ms ...middleware) middleware {
	return func(h http.Handler) http.Handler {
		for i := len(ms) - 1; i >= 0; i-- {
			h = ms[i](h)
		}
		return h
	}
}

// millis formats t as CSMS's epoch milliseconds.
func millis(t time.Time) json.Number { return json.Number(strconv.FormatInt(t.UnixMilli(), 10)) }
