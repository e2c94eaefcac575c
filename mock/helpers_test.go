package mock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/gen/csms"
	"github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
)

// testClock is a settable clock; panicNext makes the next Now panic (to test recovery).
type testClock struct {
	mu        sync.Mutex
	now       time.Time
	panicNext bool
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.panicNext {
		c.panicNext = false
		panic("test clock exploded")
	}
	return c.now
}

func (c *testClock) explode() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.panicNext = true
}

// contract validates every service response against the spec (kin-openapi, undocumented statuses
// refused) and records which operation answered which status.
type contract struct {
	routers map[string]routers.Router // by path prefix
	mu      sync.Mutex
	seen    map[string]bool // "OperationId status"
}

func newContract(t testing.TB) *contract {
	t.Helper()
	c := &contract{routers: map[string]routers.Router{}, seen: map[string]bool{}}
	for prefix, load := range map[string]func() (*openapi3.T, error){"/v1.0/": kms.GetSpec, "/v1/": csms.GetSpec} {
		doc, err := load()
		require.NoError(t, err)
		doc.Servers = nil
		r, err := gorillamux.NewRouter(doc)
		require.NoError(t, err)
		c.routers[prefix] = r
	}
	return c
}

func (c *contract) check(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	var router routers.Router
	for prefix, r := range c.routers {
		if strings.HasPrefix(req.URL.Path, prefix) {
			router = r
		}
	}
	if router == nil {
		return
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return // unknown path or method: the gateway's 404, checked by its own test
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Options:                opts,
	}
	in.SetBodyBytes(body)
	err = openapi3filter.ValidateResponse(context.Background(), in)
	require.NoError(t, err, "%s %s answered %d %s: not per the spec", req.Method, req.URL.Path, status, body)
	c.mu.Lock()
	c.seen[fmt.Sprintf("%s %d", route.Operation.OperationID, status)] = true
	c.mu.Unlock()
}

type env struct {
	t        testing.TB
	srv      *mock.Server
	clock    *testClock
	ids      identity.Set
	contract *contract
}

func newEnv(t testing.TB, opts ...func(*mock.Options)) *env {
	t.Helper()
	clock := &testClock{now: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	o := mock.Options{Clock: clock, Control: true}
	for _, f := range opts {
		f(&o)
	}
	srv, err := mock.New(o)
	require.NoError(t, err)
	return &env{t: t, srv: srv, clock: clock, ids: identity.Defaults(), contract: newContract(t)}
}

func (e *env) id(name string) identity.Identity {
	id, ok := e.ids.ByName(name)
	require.True(e.t, ok, name)
	return id
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// code is the error_code of a KMS (nested) or CSMS/gateway (flat) error body.
func (r resp) code() string {
	var v struct {
		Code  string `json:"error_code"`
		Error struct {
			Code string `json:"error_code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &v)
	if v.Code != "" {
		return v.Code
	}
	return v.Error.Code
}

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "%s", r.Body)
	return m
}

// request builds a request; body is sent as is when it is a string or []byte, as JSON otherwise.
func request(method, path string, body any) (*http.Request, []byte) {
	var b []byte
	switch v := body.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		b, _ = json.Marshal(v)
	}
	r := httptest.NewRequest(method, path, bytes.NewReader(b))
	if b != nil {
		r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	return r, b
}

func (e *env) serve(r *http.Request) resp {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, r)
	res := resp{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
	require.NotEmpty(e.t, res.Header.Get("X-Request-Id"), "every response has X-Request-Id")
	e.contract.check(e.t, r, res.Status, res.Header, res.Body)
	return res
}

// do sends a request as who ("" = no credentials) with its token.
func (e *env) do(who, method, path string, body any) resp {
	e.t.Helper()
	r, _ := request(method, path, body)
	if who != "" {
		r.Header.Set("X-Auth-Token", e.id(who).Token)
	}
	return e.serve(r)
}

func (e *env) kms(who, op string, body any) resp {
	e.t.Helper()
	return e.do(who, http.MethodPost, "/v1.0/"+e.id(who).ProjectID+"/kms/"+op, body)
}

func (e *env) csms(who, method, suffix string, body any) resp {
	e.t.Helper()
	return e.do(who, method, "/v1/"+e.id(who).ProjectID+"/secrets"+suffix, body)
}

func (e *env) control(path string, body any) resp {
	e.t.Helper()
	r, _ := request(http.MethodPost, "/_dewconform/"+path, body)
	return e.serve(r)
}

func (e *env) createKey(who, alias string) string {
	e.t.Helper()
	r := e.kms(who, "create-key", map[string]any{"key_alias": alias})
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	return r.json(e.t)["key_info"].(map[string]any)["key_id"].(string)
}

func (e *env) createGrant(who, keyID string, body map[string]any) string {
	e.t.Helper()
	body["key_id"] = keyID
	r := e.kms(who, "create-grant", body)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	return r.json(e.t)["grant_id"].(string)
}

func (e *env) keyState(keyID string) string {
	e.t.Helper()
	r := e.kms("alice", "describe-key", map[string]any{"key_id": keyID})
	if r.Status != 200 {
		return r.code()
	}
	return r.json(e.t)["key_info"].(map[string]any)["key_state"].(string)
}

func (e *env) setKeyState(keyID, state string) {
	e.t.Helper()
	r := e.control("keys/"+keyID+"/state", map[string]any{"key_state": state})
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
}

func (e *env) createSecret(who, name string) {
	e.t.Helper()
	r := e.csms(who, http.MethodPost, "", map[string]any{"name": name, "secret_string": "s3cret"})
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
}

func (e *env) secretState(who, name string) string {
	e.t.Helper()
	r := e.csms(who, http.MethodGet, "/"+name, nil)
	if r.Status != 200 {
		return r.code()
	}
	return r.json(e.t)["secret"].(map[string]any)["state"].(string)
}
