package steps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dewconform/dewconform/aksk"
)

// Exchange is one recorded HTTP call, redacted: tokens, signatures, security tokens, secret values and
// data-key plaintexts never leave the World unredacted. A body over 64 KiB is recorded as its first
// 4 KiB and a note of its full size (see recordBody).
type Exchange struct {
	Scenario       ScenarioRef
	Step           string // text of the step that made the call, "" in hooks
	Purpose        Purpose
	Identity       string // who called ("anonymous" for no credentials)
	Operation      string // slug of the operation meant, e.g. "cancel-key-deletion"
	Method         string
	URL            string
	RequestHeader  http.Header
	RequestBody    string
	Status         int // 0 when no response came back
	ResponseHeader http.Header
	ResponseBody   string
	Duration       time.Duration
	Attempt        int    // 1 for the first attempt
	Err            string // transport error, if any
	Violations     []ContractViolation
}

// callInfo travels in the request context from the step to the transport.
type callInfo struct {
	actor   string
	purpose Purpose
	op      string // slug
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
	for attempt := 1; ; attempt++ {
		resp, respBody, elapsed, err := d.send(ctx, req, body)
		ex := Exchange{
			Scenario:      w.ref,
			Step:          w.stepText,
			Purpose:       call.purpose,
			Identity:      call.actor,
			Operation:     call.op,
			Method:        req.Method,
			URL:           req.URL.String(),
			RequestHeader: redactHeader(req.Header),
			RequestBody:   recordBody(body),
			Duration:      elapsed,
			Attempt:       attempt,
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
			intended := ""
			if op, ok := operationBySlug(call.op); ok {
				intended = op.id
			}
			opID, violations := s.validator.Validate(ctx, req, resp.StatusCode, resp.Header, respBody, intended)
			if opID != "" && ex.Operation == "" {
				ex.Operation = Slug(opID)
			}
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

var (
	secretFields  = regexp.MustCompile(`("(?:secret_string|secret_binary|plain_text|plain_text_base64|pin)"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	signaturePart = regexp.MustCompile(`Signature=[0-9a-fA-F]*`)
)

func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		return http.Header{}
	}
	for _, name := range []string{"X-Auth-Token", "X-Subject-Token", "X-Security-Token"} {
		if out.Get(name) != "" {
			out.Set(name, redacted)
		}
	}
	if a := out.Get("Authorization"); a != "" {
		out.Set("Authorization", signaturePart.ReplaceAllString(a, "Signature="+redacted))
	}
	return out
}

func redactBody(b []byte) string {
	// Most bodies (and the multi-MiB ones of the body-limit scenarios) have no secret field, and a
	// regexp scan is costly.
	if !hasSecretField(b) {
		return string(b)
	}
	return secretFields.ReplaceAllString(string(b), `$1"`+redacted+`"`)
}

// hasSecretField tells whether b may hold a match of secretFields: every match starts with one of these.
func hasSecretField(b []byte) bool {
	return bytes.Contains(b, []byte(`"secret_`)) || bytes.Contains(b, []byte(`"plain_text`)) || bytes.Contains(b, []byte(`"pin"`))
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
	if hasSecretField(b) {
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
	if ex.Purpose == PurposeAct && ex.Status != 0 {
		w.s.noteStatus(ex.Operation, ex.Status)
	}
}

// errNoResponse explains a step that needs a response when no call was answered.
var errNoResponse = errors.New("no response recorded: the step needs a call before it")
