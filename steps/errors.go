package steps

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/dewconform/dewconform/openapi"
)

// HarnessError is a step error that means the harness could not judge the target: no rule was shown to
// hold or to break. The runner (package conformance) finds it with errors.As through the method
// HarnessError and reports the scenario as an error, not a fail.
//
// What is a harness error, and what is not:
//   - any call that got no answer (connection refused or reset, timeout, interrupted back-off): Transport;
//   - a request the harness could not build or sign: Request;
//   - a setup (Given) or check (Then) call answered 429 (or APIGW.0308, the gateway's throttling) or 5xx
//     after its retries: Unavailable;
//   - a setup call refused with a documented quota code (KMS.1105, KMS.2404, KMS.2405, CSMS.0202): the
//     account is full, which says nothing about the rule under test: Quota;
//   - a setup or check call, or the call under test made with the actor's own credentials, answered 401: the
//     identity's credentials are wrong, which is a configuration problem, not a rule of the call: Credentials;
//   - the call under test answered 429 by a target that is not the mock: Throttled (the mock never throttles,
//     so there a 429 is a fail);
//   - the mock's control API failing: Control;
//   - a listing with more pages than the harness walks (maxPages): Paging.
//
// Everything else a step reports is a fail: a wrong status, error code, field or state of the call under
// test, and also a schema violation or an unexpected answer of a setup or check call other than the above
// (a 400 to a valid create-key, a 200 body that does not match the spec): the target broke the contract,
// even if not in the call under test. A step that both met a schema violation and could not be judged is
// an error; the violation is still reported.
type HarnessError struct {
	Cause HarnessCause
	Err   error
}

// HarnessCause says why the harness could not judge.
type HarnessCause string

const (
	Transport   HarnessCause = "transport"   // no answer
	Request     HarnessCause = "request"     // the request could not be built or signed
	Unavailable HarnessCause = "unavailable" // a setup or check call answered 429 or 5xx after retries
	Credentials HarnessCause = "credentials" // an identity's own credentials were rejected (401)
	Throttled   HarnessCause = "throttled"   // the call under test was answered 429 by a real target
	Control     HarnessCause = "control"     // the mock's control API failed
	Paging      HarnessCause = "paging"      // a listing had more pages than the harness walks (maxPages)
	Quota       HarnessCause = "quota"       // a setup call was refused for a documented quota
)

// quotaCodes are the documented refusals of a full account: keys per project (KMS.1105), grants per key
// (KMS.2404, KMS.2405), secrets per project (CSMS.0202).
var quotaCodes = map[string]bool{"KMS.1105": true, "KMS.2404": true, "KMS.2405": true, "CSMS.0202": true}

// IsQuotaCode says whether code is a documented quota refusal.
func IsQuotaCode(code string) bool { return quotaCodes[code] }

func (e *HarnessError) Error() string { return e.Err.Error() }

func (e *HarnessError) Unwrap() error { return e.Err }

// HarnessError marks the error for the runner; see the type's documentation.
func (e *HarnessError) HarnessError() bool { return true }

func harness(cause HarnessCause, err error) error {
	if err == nil {
		return nil
	}
	var h *HarnessError
	if errors.As(err, &h) {
		return err // already classified where it happened
	}
	return &HarnessError{Cause: cause, Err: err}
}

// unjudged classifies an unexpected answer to a setup or check call: the harness error when the answer
// says nothing about the target's rules (throttling, 5xx, a quota refusal of a setup call, rejected
// credentials), otherwise err itself, a fail charged to the operation that refused.
func (a answer) unjudged(err error) error {
	code := openapi.ErrorCode(a.body)
	switch {
	case a.status == http.StatusUnauthorized:
		return harness(Credentials, fmt.Errorf("%w: the target rejected %s's credentials: check the identities configuration", err, a.actor))
	case a.status == http.StatusTooManyRequests || a.status >= 500 || code == "APIGW.0308":
		return harness(Unavailable, fmt.Errorf("%w: the target was not available, even after retries", err))
	case a.purpose == PurposeSetup && quotaCodes[code]:
		return harness(Quota, fmt.Errorf("%w: a quota of the account is exhausted (%s): free resources or raise the quota", err, code))
	}
	if a.op != "" && (a.purpose == PurposeSetup || a.purpose == PurposeCheck) {
		// A refused setup or check call is a fail of that operation, not of the one under test: say which.
		return &RefusedBy{Operation: a.op, Err: fmt.Errorf("%s call refused by %s: %w", a.purpose, a.op, err)}
	}
	return err
}

// RefusedBy is the fail of a setup or check call that the target refused: the runner charges the fail to
// Operation (the one that refused) as well as to the scenario's own.
type RefusedBy struct {
	Operation string // slug
	Err       error
}

func (e *RefusedBy) Error() string { return e.Err.Error() }

func (e *RefusedBy) Unwrap() error { return e.Err }

// judge classifies the failure of a Then step on the answer to the call under test: a 401 to a caller
// whose credentials were not made wrong on purpose, and a real target's 429, mean the rule could not be
// judged.
func (w *World) judge(r *response, err error) error {
	if err == nil || r == nil {
		return err
	}
	switch {
	case r.status == http.StatusUnauthorized && r.actor != anonymous && !r.wrongCreds:
		return harness(Credentials, fmt.Errorf("%w: the target rejected %s's credentials: check the identities configuration", err, r.actor))
	case r.status == http.StatusTooManyRequests && !w.s.cfg.Control:
		return harness(Throttled, fmt.Errorf("%w: the call under test was throttled (429)", err))
	}
	return err
}
