package steps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
	"github.com/dewconform/dewconform/steps"
)

// fuzzOperation is an operation FuzzValidateResponse answers for, with answers the spec documents as
// valid (status → body; "" is an empty body).
type fuzzOperation struct {
	id, method, path string
	valid            map[int]string
}

func fuzzOperations() []fuzzOperation {
	const (
		kms  = "/v1.0/0123456789abcdef0123456789abcdef/kms/"
		csms = "/v1/0123456789abcdef0123456789abcdef/secrets/db"
		key  = "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
	)
	kmsErr := func(code string) string {
		return `{"error":{"error_code":"` + code + `","error_msg":"refused"}}`
	}
	gwErr := `{"error_code":"APIGW.0301","error_msg":"Incorrect IAM authentication information: x","request_id":"0123abcd"}`
	secret := `{"secret":{"id":"` + key + `","name":"db","state":"ENABLED","kms_key_id":"` + key +
		`","create_time":1700000000000,"update_time":1700000000000,"scheduled_delete_time":null}}`
	return []fuzzOperation{
		{"ListKeyDetail", http.MethodPost, kms + "describe-key", map[int]string{
			200: `{"key_info":{"key_id":"` + key + `","domain_id":"00074811d5c27c4f8d48bb91e4a1dcfd","key_alias":"test","creation_date":"1502799822000","key_state":"2"}}`,
			400: kmsErr("KMS.0207"), 401: gwErr, 403: kmsErr("KMS.0306"),
		}},
		{"CancelKeyDeletion", http.MethodPost, kms + "cancel-key-deletion", map[int]string{
			200: `{"key_id":"` + key + `","key_state":"3"}`, 400: kmsErr("KMS.1501"), 401: gwErr,
		}},
		{"CancelGrant", http.MethodPost, kms + "revoke-grant", map[int]string{200: "", 400: kmsErr("KMS.2501")}},
		{"RestoreSecret", http.MethodPost, csms + "/scheduled-deleted-tasks/cancel", map[int]string{
			200: secret, 400: `{"error_code":"CSMS.0108","error_msg":"not pending"}`, 401: gwErr,
		}},
		{"ShowSecretVersion", http.MethodGet, csms + "/versions/latest", map[int]string{
			200: `{"version":{"version_metadata":{"id":"v1","secret_name":"db","version_stages":["SYSCURRENT"]},"secret_string":"x"}}`,
		}},
	}
}

// sameJSON says whether a and b are the same JSON value (or both empty).
func sameJSON(a, b []byte) bool {
	a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// FuzzValidateResponse: the response validator never panics on any status, content type or body, always
// judges the operation it was asked about, and never reports a documented valid answer (in any JSON
// spelling) as a violation.
func FuzzValidateResponse(f *testing.F) {
	v, err := steps.NewValidator(context.Background(), map[string][]byte{"kms": openapi.KMS(), "csms": openapi.CSMS()})
	require.NoError(f, err)
	ops := fuzzOperations()
	f.Fuzz(func(t *testing.T, op uint8, status int, contentType, requestID string, body []byte) {
		o := ops[int(op)%len(ops)]
		req := httptest.NewRequest(o.method, o.path, nil)
		header := http.Header{}
		if contentType != "" {
			header.Set("Content-Type", contentType)
		}
		if requestID != "" {
			header.Set("X-Request-Id", requestID)
		}
		opID, violations := v.Validate(context.Background(), req, status, header, body, o.id)
		require.Equal(t, o.id, opID)
		for _, viol := range violations {
			require.NotNil(t, viol)
			require.NotEmpty(t, viol.Reason)
			require.NotEmpty(t, viol.Error())
			require.Equal(t, status, viol.Status)
		}
		want, documented := o.valid[status]
		jsonType := want == "" || strings.HasPrefix(contentType, "application/json")
		if documented && jsonType && requestID != "" && sameJSON(body, []byte(want)) {
			require.Empty(t, violations, "%s %d %s: a documented valid answer", o.id, status, body)
		}
	})
}
