package bench_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/bench"
	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/openapi"
	"github.com/dewconform/dewconform/steps"
)

// BenchmarkHandler is the mock's own cost per request, without a network or a load generator (so it is
// stable on a busy machine): one describe-key, or one schedule+cancel pair, through ServeHTTP.
func BenchmarkHandler(b *testing.B) {
	for _, validate := range []bool{true, false} {
		name := map[bool]string{true: "validated", false: "unvalidated"}[validate]
		b.Run("describe-key/"+name, func(b *testing.B) {
			srv := newMock(b, validate, 1, 1)
			serveLoop(b, srv, describeKey(keyID(0, 0)))
		})
		b.Run("schedule-cancel/"+name, func(b *testing.B) {
			srv := newMock(b, validate, 1, 1)
			seq := cycleSequences(1, 1)[0]
			serveLoop(b, srv, seq...)
		})
	}
	b.Run("bare", func(b *testing.B) {
		serveLoop(b, bareHandler(b), describeKey(keyID(0, 0)))
	})
}

// serveLoop serves the requests in turn, b.N times each, and checks every answer is 200.
func serveLoop(b *testing.B, h http.Handler, reqs ...bench.Request) {
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range reqs {
			req := httptest.NewRequest(r.Method, r.Path, strings.NewReader(r.Body))
			for k, v := range r.Header {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("%s %s: %d %s", r.Method, r.Path, w.Code, w.Body)
			}
		}
	}
}

// BenchmarkValidateResponse is the cost of judging one response with the steps' validator.
func BenchmarkValidateResponse(b *testing.B) {
	v, err := steps.NewValidator(context.Background(), map[string][]byte{"kms": openapi.KMS(), "csms": openapi.CSMS()})
	require.NoError(b, err)
	const key = "0d0466b0-e727-4d9c-b35d-f84bb474a37f"
	header := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"0123456789abcdef"}}
	for _, tc := range []struct {
		name, opID, method, path string
		status                   int
		body                     string
	}{
		{"describe-key-200", "ListKeyDetail", http.MethodPost, "/v1.0/" + project + "/kms/describe-key", 200,
			`{"key_info":{"key_id":"` + key + `","domain_id":"00074811d5c27c4f8d48bb91e4a1dcfd","key_alias":"test","creation_date":"1502799822000","key_state":"2","scheduled_deletion_date":"","default_key_flag":"0","key_type":"1","origin":"kms"}}`},
		{"cancel-key-deletion-400", "CancelKeyDeletion", http.MethodPost, "/v1.0/" + project + "/kms/cancel-key-deletion", 400,
			`{"error":{"error_code":"KMS.1501","error_msg":"The key is not in the Pending deletion status."}}`},
		{"restore-secret-200", "RestoreSecret", http.MethodPost, "/v1/" + project + "/secrets/db/scheduled-deleted-tasks/cancel", 200,
			`{"secret":{"id":"` + key + `","name":"db","state":"ENABLED","kms_key_id":"` + key + `","create_time":1700000000000,"update_time":1700000000000,"scheduled_delete_time":null}}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			body := []byte(tc.body)
			_, viol := v.Validate(context.Background(), req, tc.status, header, body, tc.opID)
			require.Empty(b, viol, "the benchmark's body must be valid")
			b.ReportAllocs()
			for b.Loop() {
				v.Validate(context.Background(), req, tc.status, header, body, tc.opID)
			}
		})
	}
}

// BenchmarkLoadSpecs is the cost of loading and validating the embedded specs (openapi.Load).
func BenchmarkLoadSpecs(b *testing.B) {
	for _, svc := range openapi.Services {
		b.Run(svc, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := openapi.Load(context.Background(), svc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMockNew is the cost of building a mock with the default options: tests and the self-test
// build hundreds, so the specs are loaded and compiled once per process, not per mock.
func BenchmarkMockNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mock.New(mock.Options{Control: true}); err != nil {
			b.Fatal(err)
		}
	}
}
