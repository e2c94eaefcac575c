package openapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

// The four seed operations (CancelKeyDeletion, CancelGrant = revoke, CancelSelfGrant = retire, RestoreSecret):
// their request constraints and response shapes as their official pages document them (EN CancelKeyDeletion,
// EN CancelSelfGrant, ZH CancelGrant, RestoreSecret EN and ZH; links in docs/README.md and openapi/NOTES.md),
// checked through kin-openapi's openapi3filter, the validator the mock and the runner use.

const (
	projectID  = "0123456789abcdef0123456789abcdef"
	keyID      = "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
	grantID    = "7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d"
	kmsPrefix  = "/v1.0/" + projectID + "/kms/"
	secretPath = "/v1/" + projectID + "/secrets/"
	jsonCT     = "application/json"
)

// specValidator validates requests and responses against one service's document.
type specValidator struct {
	router routers.Router
}

func newSpecValidator(t *testing.T, service string) *specValidator {
	t.Helper()
	doc, err := openapi.Load(context.Background(), service)
	require.NoError(t, err)
	// An absolute server URL would make the router match only that host; the spec's URL is documentation.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return &specValidator{router: router}
}

// httpRequest describes a request; a nil body sends none.
type httpRequest struct {
	method, path, contentType string
	body                      *string
}

func (r httpRequest) build() *http.Request {
	var rd io.Reader
	if r.body != nil {
		rd = strings.NewReader(*r.body)
	}
	method := r.method
	if method == "" {
		method = http.MethodPost
	}
	req := httptest.NewRequest(method, "https://kms.example.test"+r.path, rd)
	switch {
	case r.contentType != "":
		req.Header.Set("Content-Type", r.contentType)
	case r.body != nil:
		req.Header.Set("Content-Type", jsonCT)
	}
	req.Header.Set("X-Auth-Token", "alice-token")
	return req
}

// validateRequest returns the route's input and an error when the spec rejects the request, including
// when no operation matches it.
func (v *specValidator) validateRequest(r httpRequest) (*openapi3filter.RequestValidationInput, error) {
	req := r.build()
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		return nil, err
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	return in, openapi3filter.ValidateRequest(context.Background(), in)
}

// validateResponse validates a response to a valid request; an empty body is sent without Content-Type.
func (v *specValidator) validateResponse(t *testing.T, r httpRequest, status int, body string) error {
	t.Helper()
	in, err := v.validateRequest(r)
	require.NoError(t, err, "the request of a response case must be valid")
	header := http.Header{"X-Request-Id": []string{"0b1c2d3e4f"}}
	if body != "" {
		header.Set("Content-Type", jsonCT)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	out.SetBodyBytes([]byte(body))
	return openapi3filter.ValidateResponse(context.Background(), out)
}

func ptr(s string) *string { return &s }

type requestCase struct {
	name string
	req  httpRequest
	ok   bool
}

type responseCase struct {
	name   string
	status int
	body   string
	ok     bool
}

func runRequestCases(t *testing.T, v *specValidator, cases []requestCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.validateRequest(tc.req)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func runResponseCases(t *testing.T, v *specValidator, req httpRequest, cases []responseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := v.validateResponse(t, req, tc.status, tc.body)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

// kmsErrorCases are the error answers every KMS operation documents (nested) plus the gateway's (flat).
var kmsErrorCases = []responseCase{
	{"400 nested KMS error", 400, `{"error":{"error_code":"KMS.1501","error_msg":"The key is not in the Pending deletion status."}}`, true},
	{"400 KMS error flattened", 400, `{"error_code":"KMS.1501","error_msg":"x"}`, false},
	{"400 nested error without error_msg", 400, `{"error":{"error_code":"KMS.1501"}}`, false},
	{"400 nested error with a CSMS code", 400, `{"error":{"error_code":"CSMS.0108","error_msg":"x"}}`, false},
	{"401 gateway error", 401, `{"error_code":"APIGW.0301","error_msg":"x","request_id":"r"}`, true},
	{"401 nested KMS error", 401, `{"error":{"error_code":"KMS.0303","error_msg":"X-Auth-Token has expired."}}`, true},
	{"401 KMS error flattened", 401, `{"error_code":"KMS.1501","error_msg":"x"}`, false},
	{"401 gateway error without request_id", 401, `{"error_code":"APIGW.0301","error_msg":"x"}`, false},
	{"403 nested KMS error", 403, `{"error":{"error_code":"KMS.0306","error_msg":"The user has no permission to access the key."}}`, true},
	{"404 gateway error", 404, `{"error_code":"APIGW.0101","error_msg":"The API does not exist.","request_id":"r"}`, true},
	{"413 gateway error", 413, `{"error_code":"APIGW.0201","error_msg":"Request entity too large.","request_id":"r"}`, true},
	{"413 nested KMS error", 413, `{"error":{"error_code":"KMS.0203","error_msg":"x"}}`, false},
	{"429 gateway error", 429, `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached","request_id":"r"}`, true},
	{"500 nested KMS error", 500, `{"error":{"error_code":"KMS.0101","error_msg":"x"}}`, true},
	{"502 nested KMS error", 502, `{"error":{"error_code":"KMS.0101","error_msg":"x"}}`, true},
	{"504 nested KMS error", 504, `{"error":{"error_code":"KMS.0101","error_msg":"x"}}`, true},
	{"418 undocumented status", 418, `{"error":{"error_code":"KMS.0101","error_msg":"x"}}`, false},
	{"201 undocumented status", 201, `{}`, false},
	{"error body not JSON", 400, `KMS.1501`, false},
}

func TestSeedCancelKeyDeletionRequest(t *testing.T) {
	v := newSpecValidator(t, "kms")
	path := kmsPrefix + "cancel-key-deletion"
	body := func(s string) httpRequest { return httpRequest{path: path, body: ptr(s)} }
	runRequestCases(t, v, []requestCase{
		{"documented example", body(`{"key_id":"` + keyID + `"}`), true},
		{"with a 36-character sequence", body(`{"key_id":"` + keyID + `","sequence":"919c82d4-8046-4722-9094-35c3c6524cff"}`), true},
		{"SDK content type with charset", httpRequest{path: path, body: ptr(`{"key_id":"` + keyID + `"}`), contentType: "application/json;charset=UTF-8"}, true},
		{"37-character sequence", body(`{"key_id":"` + keyID + `","sequence":"919c82d4-8046-4722-9094-35c3c6524cff0"}`), false},
		{"sequence not a string", body(`{"key_id":"` + keyID + `","sequence":1}`), false},
		{"key_id of 35 characters", body(`{"key_id":"` + keyID[:35] + `"}`), false},
		{"key_id of 37 characters", body(`{"key_id":"` + keyID + `0"}`), false},
		{"key_id in upper case", body(`{"key_id":"` + strings.ToUpper(keyID) + `"}`), false},
		{"key_id of 36 characters without dashes", body(`{"key_id":"0d0466b0e7274d9cb35df84bb474a37f0d04"}`), false},
		{"key_id with a character outside [0-9a-z]", body(`{"key_id":"0d0466b0-e727-4d9c-b35d-f84bb474a37_"}`), false},
		{"key_id not a string", body(`{"key_id":12345}`), false},
		{"missing key_id", body(`{"sequence":"919c82d4-8046-4722-9094-35c3c6524cff"}`), false},
		{"empty object", body(`{}`), false},
		{"no body", httpRequest{path: path}, false},
		{"body not JSON", body(`key_id=` + keyID), false},
		{"body a JSON array", body(`["` + keyID + `"]`), false},
		{"text/plain body", httpRequest{path: path, body: ptr(`{"key_id":"` + keyID + `"}`), contentType: "text/plain"}, false},
		{"project_id of 31 characters", httpRequest{path: "/v1.0/" + projectID[:31] + "/kms/cancel-key-deletion", body: ptr(`{"key_id":"` + keyID + `"}`)}, false},
		{"project_id with a dash", httpRequest{path: "/v1.0/0123456789abcdef-0123456789abcde/kms/cancel-key-deletion", body: ptr(`{"key_id":"` + keyID + `"}`)}, false},
		{"GET instead of POST", httpRequest{method: http.MethodGet, path: path}, false},
		{"unknown operation", body(`{"key_id":"` + keyID + `"}`).withPath(kmsPrefix + "cancel-key-deletions"), false},
	})
}

func (r httpRequest) withPath(p string) httpRequest {
	r.path = p
	return r
}

func TestSeedCancelKeyDeletionResponse(t *testing.T) {
	v := newSpecValidator(t, "kms")
	req := httpRequest{path: kmsPrefix + "cancel-key-deletion", body: ptr(`{"key_id":"` + keyID + `"}`)}
	state := func(s string) string { return `{"key_id":"` + keyID + `","key_state":` + s + `}` }
	cases := []responseCase{
		{"documented example (key_id of the request)", 200, state(`"3"`), true},
		{"page example key_id", 200, `{"key_id":"bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e","key_state":"3"}`, true},
		{"key_state 2", 200, state(`"2"`), true},
		{"key_state 4", 200, state(`"4"`), true},
		{"key_state 5", 200, state(`"5"`), true},
		{"key_state 7 (frozen)", 200, state(`"7"`), true},
		{"key_state 6", 200, state(`"6"`), false},
		{"key_state 9", 200, state(`"9"`), false},
		{"key_state empty", 200, state(`""`), false},
		{"key_state a number", 200, state(`3`), false},
		{"key_state null", 200, state(`null`), false},
		{"missing key_state", 200, `{"key_id":"` + keyID + `"}`, false},
		{"missing key_id", 200, `{"key_state":"3"}`, false},
		{"key_id in upper case", 200, `{"key_id":"` + strings.ToUpper(keyID) + `","key_state":"3"}`, false},
		{"wrapped in key_info like enable-key", 200, `{"key_info":` + state(`"3"`) + `}`, false},
		{"empty body", 200, ``, false},
		{"extra field", 200, `{"key_id":"` + keyID + `","key_state":"3","key_alias":"a"}`, true},
	}
	runResponseCases(t, v, req, append(cases, kmsErrorCases...))
}

func grantRequestCases(path string) []requestCase {
	body := func(s string) httpRequest { return httpRequest{path: path, body: ptr(s)} }
	return []requestCase{
		{"documented example", body(`{"key_id":"` + keyID + `","grant_id":"` + grantID + `"}`), true},
		{"grant_id in upper-case hex", body(`{"key_id":"` + keyID + `","grant_id":"` + strings.ToUpper(grantID) + `"}`), true},
		{"with a sequence", body(`{"key_id":"` + keyID + `","grant_id":"` + grantID + `","sequence":"919c82d4-8046-4722-9094-35c3c6524cff"}`), true},
		{"37-character sequence", body(`{"key_id":"` + keyID + `","grant_id":"` + grantID + `","sequence":"919c82d4-8046-4722-9094-35c3c6524cff0"}`), false},
		{"grant_id of 63 characters", body(`{"key_id":"` + keyID + `","grant_id":"` + grantID[:63] + `"}`), false},
		{"grant_id of 65 characters", body(`{"key_id":"` + keyID + `","grant_id":"` + grantID + `0"}`), false},
		{"grant_id not hex", body(`{"key_id":"` + keyID + `","grant_id":"` + grantID[:63] + `g"}`), false},
		{"grant_id not a string", body(`{"key_id":"` + keyID + `","grant_id":7}`), false},
		{"missing grant_id", body(`{"key_id":"` + keyID + `"}`), false},
		{"missing key_id", body(`{"grant_id":"` + grantID + `"}`), false},
		{"key_id of 35 characters", body(`{"key_id":"` + keyID[:35] + `","grant_id":"` + grantID + `"}`), false},
		{"key_id in upper case", body(`{"key_id":"` + strings.ToUpper(keyID) + `","grant_id":"` + grantID + `"}`), false},
		{"no body", httpRequest{path: path}, false},
		{"body not JSON", body(`grant_id`), false},
	}
}

func grantResponseCases() []responseCase {
	cases := []responseCase{
		{"200 with no body", 200, ``, true},
		{"200 with an empty object", 200, `{}`, true},
		{"204 undocumented", 204, ``, false},
		{"400 unknown grant", 400, `{"error":{"error_code":"KMS.2501","error_msg":"Invalid grant ID."}}`, true},
		{"400 grant of another key", 400, `{"error":{"error_code":"KMS.2502","error_msg":"grant_id and key_id do not match."}}`, true},
	}
	return append(cases, kmsErrorCases...)
}

func TestSeedRevokeGrant(t *testing.T) {
	v := newSpecValidator(t, "kms")
	path := kmsPrefix + "revoke-grant"
	t.Run("request", func(t *testing.T) { runRequestCases(t, v, grantRequestCases(path)) })
	t.Run("response", func(t *testing.T) {
		req := httpRequest{path: path, body: ptr(`{"key_id":"` + keyID + `","grant_id":"` + grantID + `"}`)}
		runResponseCases(t, v, req, grantResponseCases())
	})
}

func TestSeedRetireGrant(t *testing.T) {
	v := newSpecValidator(t, "kms")
	path := kmsPrefix + "retire-grant"
	t.Run("request", func(t *testing.T) { runRequestCases(t, v, grantRequestCases(path)) })
	t.Run("response", func(t *testing.T) {
		req := httpRequest{path: path, body: ptr(`{"key_id":"` + keyID + `","grant_id":"` + grantID + `"}`)}
		runResponseCases(t, v, req, grantResponseCases())
	})
}

func TestSeedRestoreSecretRequest(t *testing.T) {
	v := newSpecValidator(t, "csms")
	cancel := func(project, name string) string {
		return "/v1/" + project + "/secrets/" + name + "/scheduled-deleted-tasks/cancel"
	}
	long := strings.Repeat("a", 64)
	runRequestCases(t, v, []requestCase{
		{"no body", httpRequest{path: cancel(projectID, "test")}, true},
		{"no body with a JSON content type", httpRequest{path: cancel(projectID, "test"), contentType: jsonCT}, true},
		{"name of 64 characters", httpRequest{path: cancel(projectID, long)}, true},
		{"name with _ and -", httpRequest{path: cancel(projectID, "my_secret-1")}, true},
		{"project_id of 64 characters", httpRequest{path: cancel(projectID+projectID, "test")}, true},
		{"name of 65 characters", httpRequest{path: cancel(projectID, long+"a")}, false},
		{"name ..", httpRequest{path: cancel(projectID, "..")}, false},
		{"name with an encoded / traversal", httpRequest{path: cancel(projectID, "..%2F..%2Fetc")}, false},
		{"name with a / traversal", httpRequest{path: cancel(projectID, "../../etc")}, false},
		{"name with a dot", httpRequest{path: cancel(projectID, "my.secret")}, false},
		{"name with a space", httpRequest{path: cancel(projectID, "my%20secret")}, false},
		{"empty name", httpRequest{path: cancel(projectID, "")}, false},
		{"project_id of 31 characters", httpRequest{path: cancel(projectID[:31], "test")}, false},
		{"project_id of 65 characters", httpRequest{path: cancel(projectID+projectID+"a", "test")}, false},
		{"GET instead of POST", httpRequest{method: http.MethodGet, path: cancel(projectID, "test")}, false},
	})
}

func TestSeedRestoreSecretResponse(t *testing.T) {
	v := newSpecValidator(t, "csms")
	req := httpRequest{path: secretPath + "test/scheduled-deleted-tasks/cancel"}
	secret := func(fields string) string {
		return `{"secret":{"id":"bb6a3d22-dc93-47ac-b5bd-88df7ad35f1e","name":"test","state":"ENABLED",` +
			`"kms_key_id":"b168fe00-ff56-4924-95a7-d22974df2d0b","description":"description",` +
			`"create_time":1581507580000,"update_time":1581507580000` + fields + `}}`
	}
	runResponseCases(t, v, req, []responseCase{
		{"restored, scheduled_delete_time null", 200, secret(`,"scheduled_delete_time":null`), true},
		{"restored, scheduled_delete_time absent", 200, secret(``), true},
		{"page example's non-null scheduled_delete_time (schema allows it)", 200, secret(`,"scheduled_delete_time":1581507580000`), true},
		{"newer fields of the Chinese page", 200, secret(`,"scheduled_delete_time":null,"secret_type":"COMMON","auto_rotation":false,` +
			`"rotation_period":"1d","rotation_config":"{}","rotation_time":1581507580000,"next_rotation_time":1581594000000,` +
			`"event_subscriptions":["pocEvent"],"enterprise_project_id":"0","rotation_func_urn":"urn:fss:cn-north-4:x:function:default:f:latest"}`), true},
		{"description of 2048 characters", 200, strings.Replace(secret(``), `"description":"description"`, `"description":"`+strings.Repeat("d", 2048)+`"`, 1), true},
		{"description of 2049 characters", 200, strings.Replace(secret(``), `"description":"description"`, `"description":"`+strings.Repeat("d", 2049)+`"`, 1), false},
		{"state RESTORED", 200, strings.Replace(secret(``), `"ENABLED"`, `"RESTORED"`, 1), false},
		{"state DISABLED", 200, strings.Replace(secret(``), `"ENABLED"`, `"DISABLED"`, 1), true},
		{"state PENDING_DELETE (longer than the Swagger's maxLength 8)", 200, strings.Replace(secret(``), `"ENABLED"`, `"PENDING_DELETE"`, 1), true},
		{"state in lower case", 200, strings.Replace(secret(``), `"ENABLED"`, `"enabled"`, 1), false},
		{"create_time a string", 200, strings.Replace(secret(``), `"create_time":1581507580000`, `"create_time":"1581507580000"`, 1), false},
		{"scheduled_delete_time a string", 200, secret(`,"scheduled_delete_time":"1581507580000"`), false},
		{"kms_key_id as 32 hex (the page example)", 200, strings.Replace(secret(``), `b168fe00-ff56-4924-95a7-d22974df2d0b`, `b168fe00ff56492495a7d22974df2d0b`, 1), false},
		{"missing state", 200, strings.Replace(secret(``), `"state":"ENABLED",`, ``, 1), false},
		{"missing name", 200, strings.Replace(secret(``), `"name":"test",`, ``, 1), false},
		{"secret not wrapped", 200, strings.TrimSuffix(strings.TrimPrefix(secret(``), `{"secret":`), `}`), false},
		{"empty body", 200, ``, false},
		{"400 flat CSMS error", 400, `{"error_code":"CSMS.0108","error_msg":"The secret is not in schedule delete state."}`, true},
		{"400 CSMS error nested like KMS", 400, `{"error":{"error_code":"CSMS.0108","error_msg":"The secret is not in schedule delete state."}}`, false},
		{"400 error without error_msg", 400, `{"error_code":"CSMS.0108"}`, false},
		{"400 error with a KMS code", 400, `{"error_code":"KMS.1501","error_msg":"x"}`, false},
		{"401 gateway error", 401, `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: x-auth-token not found","request_id":"r"}`, true},
		{"403 gateway error", 403, `{"error_code":"APIGW.0302","error_msg":"The IAM user is not authorized to access the API.","request_id":"r"}`, true},
		{"404 flat CSMS error", 404, `{"error_code":"CSMS.0005","error_msg":"The resource does not exist."}`, true},
		{"413 gateway error", 413, `{"error_code":"APIGW.0201","error_msg":"Request entity too large.","request_id":"r"}`, true},
		{"429 gateway error", 429, `{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached","request_id":"r"}`, true},
		{"500 flat CSMS error", 500, `{"error_code":"CSMS.0001","error_msg":"Internal error."}`, true},
		{"502 flat CSMS error", 502, `{"error_code":"CSMS.0001","error_msg":"Internal error."}`, true},
		{"504 flat CSMS error", 504, `{"error_code":"CSMS.0001","error_msg":"Internal error."}`, true},
		{"418 undocumented status", 418, `{"error_code":"CSMS.0001","error_msg":"Internal error."}`, false},
	})
}
