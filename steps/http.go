package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dewconform/dewconform/aksk"
	"github.com/dewconform/dewconform/openapi"
)

// Exchange is one recorded HTTP call, redacted: tokens, signatures, security tokens, secret values and
// data-key plaintexts never leave the World unredacted. A body over 64 KiB is recorded as its first
// 4 KiB and a note of its full size (see recordBody).
type Exchange struct {
	Scenario       ScenarioRef
	Step           string // text of the step that made the call, "" in hooks
	Purpose        Purpose
	Identity       string // who called ("anonymous" for no credentials)
	Operation      string // slug of the operation called (or meant, for a deliberately wrong request), e.g. ops.CancelKeyDeletion
	Method         string
	URL            string
	RequestHeader  http.Header
	RequestBody    string
	Status         int // 0 when no response came back
	ResponseHeader http.Header
	ResponseBody   string
	Duration       time.Duration
	Attempt        int // 1 for the first attempt
	// HandBuilt marks a request the steps built by hand (a wrong method or path, a malformed or padded
	// body) rather than through the generated clients: its answer says nothing about a well-formed call.
	HandBuilt  bool
	Err        string // transport error, if any
	Violations []ContractViolation
}

// callInfo travels in the request context from the step to the transport.
type callInfo struct {
	actor   string
	purpose Purpose
	// intended is the operation a hand-built request means (set only there): a wrong method or path
	// matches no route, and its answer is judged against this operation.
	intended openapi.Operation
}

type callKey struct{}

func withCall(ctx context.Context, c callInfo) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callFrom(ctx context.Context) callInfo {
	c, _ := ctx.Value(callKey{}).(callInfo)
	return c
}

// response is the unredacted answer of the last call, kept only in the World.
type response struct {
	op         string
	method     string
	url        string
	status     int
	header     http.Header
	body       []byte
	actor      string
	wrongCreds bool // the call was made with deliberately wrong credentials
}

// doer is the generated clients' HttpRequestDoer: it sends through the suite's client, retries setup and
// cleanup calls, validates every answer and records it.
type doer struct{ w *World }

func (d doer) Do(req *http.Request) (*http.Response, error) {
	w := d.w
	s := w.s
	ctx := req.Context()
	call := callFrom(ctx)
	body, err := readAll(&req.Body, req.ContentLength)
	if err != nil {
		return nil, harness(Request, fmt.Errorf("read request body: %w", err))
	}
	retry := call.purpose == PurposeSetup || call.purpose == PurposeCleanup || call.purpose == PurposeCheck
	policy := s.cfg.Retry
	var op openapi.Operation // the zero Operation for the control API, which is not part of the contract
	if call.purpose != PurposeControl {
		op = operationOf(req, call.intended)
	}
	for attempt := 1; ; attempt++ {
		resp, respBody, elapsed, err := d.send(ctx, req, body)
		ex := Exchange{
			Scenario:      w.ref,
			Step:          w.stepText,
			Purpose:       call.purpose,
			Identity:      call.actor,
			Operation:     op.Slug,
			Method:        req.Method,
			URL:           req.URL.String(),
			RequestHeader: redactHeader(req.Header),
			RequestBody:   recordBody(body),
			Duration:      elapsed,
			Attempt:       attempt,
			HandBuilt:     call.intended.ID != "",
		}
		if err != nil {
			ex.Err = err.Error()
			w.record(ex)
			return nil, harness(Transport, err)
		}
		ex.Status = resp.StatusCode
		ex.ResponseHeader = redactHeader(resp.Header)
		ex.ResponseBody = recordBody(respBody)
		if retry && attempt < policy.Attempts && retryable(resp.StatusCode) {
			wait := backoff(policy, attempt, resp.Header.Get("Retry-After"))
			w.record(ex)
			if s.cfg.Observer != nil {
				s.cfg.Observer.Retry(ex, wait)
			}
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				return nil, harness(Transport, ctx.Err())
			}
		}
		if call.purpose != PurposeControl {
			_, violations := s.validator.Validate(ctx, req, resp.StatusCode, resp.Header, respBody, op.ID)
			for _, v := range violations {
				ex.Violations = append(ex.Violations, *v)
			}
			w.violations = append(w.violations, violations...)
		}
		w.record(ex)
		if call.purpose == PurposeAct {
			// Then steps judge the call under test, not the checks made since.
			w.last = &response{op: ex.Operation, method: req.Method, url: req.URL.String(), status: resp.StatusCode, header: resp.Header.Clone(), body: respBody,
				actor: call.actor, wrongCreds: w.wrongCreds[call.actor]}
		}
		return resp, nil
	}
}

// operationOf finds the operation a request is counted for. A hand-built request counts for the
// operation the feature names (a wrong method may even reach another operation's route). Any other is
// found by routing as the validator does, or else is the one whose path it has with a parameter left
// empty (a step given "" as a secret name, which the gateway answers 404). The zero Operation means none.
func operationOf(req *http.Request, intended openapi.Operation) openapi.Operation {
	if intended.ID != "" {
		return intended
	}
	op, _ := openapi.MatchMeant(req.Method, req.URL.EscapedPath())
	return op
}

// send makes one attempt within the per-request timeout and reads the whole answer.
func (d doer) send(ctx context.Context, req *http.Request, body []byte) (*http.Response, []byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, d.w.s.cfg.Timeout)
	defer cancel()
	attempt := req.Clone(ctx)
	attempt.Body = http.NoBody
	attempt.ContentLength = int64(len(body))
	if len(body) > 0 {
		attempt.Body = io.NopCloser(bytes.NewReader(body))
	}
	start := time.Now()
	resp, err := d.w.s.client.Do(attempt)
	if err != nil {
		return nil, nil, time.Since(start), err
	}
	respBody, err := readAll(&resp.Body, resp.ContentLength)
	elapsed := time.Since(start)
	if err != nil {
		return nil, nil, elapsed, fmt.Errorf("read response body: %w", err)
	}
	return resp, respBody, elapsed, nil
}

func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func backoff(p RetryPolicy, attempt int, retryAfter string) time.Duration {
	if secs, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, p.Max)
	}
	d := p.Base << (attempt - 1)
	if d <= 0 || d > p.Max {
		d = p.Max
	}
	return d
}

// sdkUserAgent is what the official Go SDK sends; it is signed like any other header.
const sdkUserAgent = "huaweicloud-usdk-go/3.0"

// authorize is the clients' RequestEditorFn: it adds the caller's credentials as the official SDK does.
func (w *World) authorize(ctx context.Context, req *http.Request) error {
	call := callFrom(ctx)
	if req.Header.Get("Content-Type") == "" {
		// The SDK declares JSON even on body-less CSMS calls (ShowSecret, RestoreSecret, ...).
		req.Header.Set("Content-Type", "application/json")
	} else if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") && req.Body != nil && req.Body != http.NoBody {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	}
	req.Header.Set("User-Agent", sdkUserAgent)
	if call.actor == anonymous {
		return nil
	}
	id, ok := w.identity(call.actor)
	if !ok {
		return harness(Request, fmt.Errorf("no identity %q in the configuration", call.actor))
	}
	wrong := call.purpose == PurposeAct && w.wrongCreds[call.actor]
	switch w.s.cfg.Auth {
	case AuthAKSK:
		body, err := readAll(&req.Body, req.ContentLength)
		if err != nil {
			return harness(Request, fmt.Errorf("read request body: %w", err))
		}
		req.Header.Set("X-Project-Id", projectOfPath(req.URL.Path, w.projectOf(id)))
		sk := id.SK
		if wrong {
			sk = "wrong-" + sk
		}
		return harness(Request, aksk.Sign(req, body, id.AK, sk, w.s.cfg.Now()))
	default:
		token := id.Token
		if wrong {
			token = "dewconform-wrong-token-" + strings.Repeat("0", 32)
		}
		req.Header.Set("X-Auth-Token", token)
		return nil
	}
}

// projectOfPath returns the project segment of a KMS or CSMS path ("/v1.0/<p>/kms/..." or "/v1/<p>/..."),
// which is what the SDK puts in X-Project-Id.
func projectOfPath(path, fallback string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) >= 2 && (parts[0] == "v1" || parts[0] == "v1.0") && parts[1] != "" {
		return parts[1]
	}
	return fallback
}

const redacted = "REDACTED"

var signaturePart = regexp.MustCompile(`Signature=[0-9a-fA-F]*`)

// IsSecretHeader tells whether a header carries a credential whole, so that its value is never recorded
// or reported.
func IsSecretHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "X-Auth-Token", "X-Subject-Token", "X-Security-Token":
		return true
	}
	return false
}

func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		return http.Header{}
	}
	for name, vs := range out {
		if IsSecretHeader(name) && len(vs) > 0 {
			out[name] = []string{redacted}
		}
	}
	if a := out.Get("Authorization"); a != "" {
		out.Set("Authorization", signaturePart.ReplaceAllString(a, "Signature="+redacted))
	}
	return out
}

func redactBody(b []byte) string { return secretRedactor().redact(string(b)) }

// RedactSecretFields replaces the value of every member the spec marks x-dewconform-secret
// (openapi.SecretFieldNames) with REDACTED, in JSON and in JSON quoted inside a string (a cucumber
// attachment, a JSON report): the one implementation that the steps' records and the runner's reports
// share, so that marking a field in the spec is the whole change.
func RedactSecretFields(s string) string { return secretRedactor().redact(s) }

// fieldRedactor holds the patterns built from the spec's secret field names.
type fieldRedactor struct {
	names []string
	// plain matches "name": "value" with the value's escapes; quoted matches \"name\": \"value\",
	// the same member inside a JSON string, whose value ends at the first escaped quote.
	plain, quoted *regexp.Regexp
}

// secretRedactor is built once: the field names come from the embedded specs, which never change.
var secretRedactor = sync.OnceValue(func() *fieldRedactor {
	names := openapi.SecretFieldNames()
	quotedNames := make([]string, len(names))
	for i, n := range names {
		quotedNames[i] = regexp.QuoteMeta(n)
	}
	alt := strings.Join(quotedNames, "|")
	return &fieldRedactor{
		names:  names,
		plain:  regexp.MustCompile(`("(?:` + alt + `)"\s*:\s*)"(?:[^"\\]|\\.)*"`),
		quoted: regexp.MustCompile(`(\\"(?:` + alt + `)\\"\s*:\s*\\")(?:[^"\\]|\\[^"])*(\\")`),
	}
})

func (r *fieldRedactor) redact(s string) string {
	// Most bodies (and the multi-MiB ones of the body-limit scenarios) name no secret field, and a regexp
	// scan is costly.
	if !r.mentions(s) {
		return s
	}
	s = r.plain.ReplaceAllString(s, `$1"`+redacted+`"`)
	return r.quoted.ReplaceAllString(s, "${1}"+redacted+"${2}")
}

// mentions tells whether s may hold a secret member: every match contains one of the names.
func (r *fieldRedactor) mentions(s string) bool {
	for _, n := range r.names {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

// sensitive fields are compared but never echoed in a failure message.
func sensitive(path string) bool {
	return slices.Contains(secretRedactor().names, path[strings.LastIndex(path, ".")+1:])
}

// maxRecorded is the largest body an Exchange holds whole; of a larger one (the padding of the
// body-limit scenarios: 2 MiB, copied into every report) it keeps the first recordedPrefix bytes and
// says so, with the full size.
const (
	maxRecorded    = 64 << 10
	recordedPrefix = 4 << 10
)

// recordBody is the redacted body as an Exchange records it: whole up to maxRecorded bytes, else
// truncated, with a note of the size. Redaction runs on the whole body before the cut, so a secret
// value that straddles the cut is redacted too.
func recordBody(b []byte) string {
	if len(b) <= maxRecorded {
		return redactBody(b)
	}
	head := b[:recordedPrefix]
	if secretRedactor().mentions(string(b)) {
		head = []byte(redactBody(b)[:recordedPrefix])
	}
	return string(head) + "\n[dewconform: body truncated in this record: " + strconv.Itoa(len(b)) +
		" bytes in all, the first " + strconv.Itoa(recordedPrefix) + " shown]"
}

func (w *World) record(ex Exchange) {
	w.exchanges = append(w.exchanges, ex)
	if w.s.cfg.Observer != nil {
		w.s.cfg.Observer.Exchange(ex)
	}
}

// errNoResponse explains a step that needs a response when no call was answered.
var errNoResponse = errors.New("no response recorded: the step needs a call before it")

// readAll reads a body and leaves an equivalent reader in its place. size is the announced length (-1
// or 0 when unknown): with it, a large body is read into one buffer instead of one that doubles as it
// grows (the multi-MiB bodies of the body-limit scenarios were a tenth of the suite's CPU time). A body
// that is already a byteBody (a hand-built request's, or one readAll read before) is not copied.
func readAll(rc *io.ReadCloser, size int64) ([]byte, error) {
	if *rc == nil || *rc == http.NoBody {
		return nil, nil
	}
	if bb, ok := (*rc).(*byteBody); ok && bb.Len() == len(bb.b) {
		return bb.b, nil
	}
	var b []byte
	var err error
	if size > 0 && size <= maxPrealloc {
		buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
		_, err = buf.ReadFrom(*rc)
		b = buf.Bytes()
	} else {
		b, err = io.ReadAll(*rc)
	}
	_ = (*rc).Close()
	*rc = newByteBody(b)
	return b, err
}

// maxPrealloc bounds what an announced length may make readAll allocate up front.
const maxPrealloc = 32 << 20

// byteBody is a request body over bytes the steps hold already, which readAll hands out as they are.
type byteBody struct {
	*bytes.Reader
	b []byte
}

func newByteBody(b []byte) *byteBody { return &byteBody{Reader: bytes.NewReader(b), b: b} }

func (*byteBody) Close() error { return nil }
