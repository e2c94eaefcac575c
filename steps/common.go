package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/cucumber/godog"

	"github.com/dewconform/dewconform/openapi"
)

// stepDef is one phrase of the step vocabulary and the World method that carries it out. Every step
// function returns only an error.
type stepDef struct {
	expr string
	fn   any
}

// definitions is the step vocabulary. Each phrase is defined once; actors are identity names or
// "anonymous".
func (w *World) definitions() []stepDef {
	const who = `(\w+)`
	defs := []stepDef{
		// Given: reaching a state (setup calls, retried on throttling).
		{`^` + who + ` has a key$`, w.hasKey},
		{`^` + who + ` has (\d+) keys$`, w.hasKeys},
		{`^` + who + ` has another key$`, w.hasAnotherKey},
		{`^` + who + ` has a key in state "([^"]*)"$`, w.hasKeyInState},
		{`^` + who + ` has a key pending deletion$`, w.hasKeyPendingDeletion},
		{`^that key has been put in state "([^"]*)"$`, w.keyPutInState},
		{`^` + who + ` has granted ` + who + ` "([^"]*)" on that key$`, w.hasGranted},
		{`^` + who + ` has granted ` + who + ` "([^"]*)" on that key with ` + who + ` as retiring principal$`, w.hasGrantedRetiring},
		{`^` + who + ` has granted ` + who + ` "([^"]*)" on that key (\d+) times$`, w.hasGrantedTimes},
		{`^` + who + ` has a secret$`, w.hasSecret},
		{`^` + who + ` has a secret in state "([^"]*)"$`, w.hasSecretInState},
		{`^` + who + ` has a secret pending deletion$`, w.hasSecretPendingDeletion},
		{`^` + who + `'s credentials are wrong$`, w.credentialsAreWrong},
		{`^` + who + ` addresses ` + who + `'s project$`, w.addressesProject},

		// When: the call under test (never retried). KMS.
		{`^` + who + ` creates a key$`, w.createsKey},
		{`^` + who + ` creates a key with origin "([^"]*)"$`, w.createsKeyWithOrigin},
		{`^` + who + ` creates a key with the alias "([^"]*)"$`, w.createsKeyWithAlias},
		{`^` + who + ` describes that key$`, w.describesThatKey},
		{`^` + who + ` describes the key "([^"]*)"$`, w.describesTheKey},
		{`^` + who + ` enables that key$`, w.enablesThatKey},
		{`^` + who + ` disables that key$`, w.disablesThatKey},
		{`^` + who + ` schedules the deletion of that key in "([^"]*)" days$`, w.schedulesThatKey},
		{`^` + who + ` cancels the deletion of that key$`, w.cancelsThatKey},
		{`^` + who + ` cancels the deletion of that key with the sequence "([^"]*)"$`, w.cancelsThatKeyWithSequence},
		{`^` + who + ` cancels the deletion of the key "([^"]*)"$`, w.cancelsTheKey},
		{`^` + who + ` grants ` + who + ` "([^"]*)" on that key$`, w.grants},
		{`^` + who + ` lists the keys$`, w.listsKeys},
		{`^` + who + ` lists the keys with the limit "([^"]*)"$`, w.listsKeysWithLimit},
		{`^` + who + ` lists the keys in pages of a third of the listing$`, w.listsKeysInThirds},
		{`^` + who + ` lists the grants of that key$`, w.listsGrants},
		{`^` + who + ` lists the grants of that key with the limit "([^"]*)"$`, w.listsGrantsWithLimit},
		{`^` + who + ` lists the retirable grants$`, w.listsRetirableGrants},
		{`^` + who + ` (revokes|retires) that grant$`, w.endsThatGrant},
		{`^` + who + ` (revokes|retires) that grant with the sequence "([^"]*)"$`, w.endsThatGrantWithSequence},
		{`^` + who + ` (revokes|retires) the grant "([^"]*)" on that key$`, w.endsTheGrant},
		{`^` + who + ` (revokes|retires) that grant on the other key$`, w.endsThatGrantOnOtherKey},
		{`^` + who + ` creates a data key with that key$`, w.createsDatakey},
		{`^` + who + ` encrypts "([^"]*)" with that key$`, w.encrypts},
		{`^` + who + ` decrypts that cipher text$`, w.decryptsThatCipher},
		{`^` + who + ` reads the key quotas$`, w.readsKeyQuotas},
		// When: CSMS.
		{`^` + who + ` creates a secret$`, w.createsSecret},
		{`^` + who + ` creates a secret named "([^"]*)"$`, w.createsSecretNamed},
		{`^` + who + ` creates a secret with the same name$`, w.createsSecretSameName},
		{`^` + who + ` shows that secret$`, w.showsThatSecret},
		{`^` + who + ` shows the secret "([^"]*)"$`, w.showsTheSecret},
		{`^` + who + ` schedules the deletion of that secret in (-?\d+) days$`, w.schedulesThatSecret},
		{`^` + who + ` restores that secret$`, w.restoresThatSecret},
		{`^` + who + ` restores the secret "([^"]*)"$`, w.restoresTheSecret},
		{`^` + who + ` deletes that secret$`, w.deletesThatSecret},
		{`^` + who + ` reads the version "([^"]*)" of that secret$`, w.readsVersion},
		{`^` + who + ` updates the description of that secret to "([^"]*)"$`, w.updatesDescription},
		{`^` + who + ` lists the secrets$`, w.listsSecrets},
		// When: hand-built requests for malformed input, and the mock's clock.
		{`^` + who + ` sends to ([a-z-]+) the body:$`, w.sendsBody},
		{`^` + who + ` sends a ([A-Z]+) request to ([a-z-]+)$`, w.sendsMethod},
		{`^` + who + ` sends to ([a-z-]+) a body of (\d+) (KiB|MiB)$`, w.sendsLargeBody},
		{`^the mock's clock moves (\d+) days ahead for that key$`, w.advanceKey},
		{`^the mock's clock moves (\d+) days ahead for that secret$`, w.advanceSecret},

		// Then: the answer to the call under test. Every Then step may end with " (unconfirmed)"
		// (thenExpr, then0..then2: see settle).
		{thenExpr(`^the call is refused$`), then0(w, w.callIsRefused)},
		{thenExpr(`^the response status is (\d+)$`), then1(w, w.statusIs)},
		{thenExpr(`^the error code is "([^"]*)"$`), then1(w, w.errorCodeIs)},
		{thenExpr(`^the response's ([a-z_.0-9]+) is "([^"]*)"$`), then2(w, w.fieldIs)},
		{thenExpr(`^the response's ([a-z_.0-9]+) is null$`), then1(w, w.fieldIsNull)},
		{thenExpr(`^the response's ([a-z_.0-9]+) is that key's id$`), then1(w, w.fieldIsKeyID)},
		{thenExpr(`^the response's ([a-z_.0-9]+) is that secret's name$`), then1(w, w.fieldIsSecretName)},
		{thenExpr(`^the response's ([a-z_.0-9]+) has (\d+) hexadecimal characters$`), then2(w, w.fieldIsHex)},
		{thenExpr(`^that key is in the response$`), then0(w, w.keyInResponse)},
		{thenExpr(`^that key is not in the response$`), then0(w, w.keyNotInResponse)},
		{thenExpr(`^that grant is in the response$`), then0(w, w.grantInResponse)},
		{thenExpr(`^that secret is in the response$`), then0(w, w.secretInResponse)},
		{thenExpr(`^walking the pages of the listing finds each of the scenario's (keys|grants) exactly once and the paging fields agree$`), then1(w, w.walkFindsEachOnce)},
		{thenExpr(`^the listing's total is its number of items, at most 1000$`), then0(w, w.totalIsCount)},
		// Then: effects, observed through second calls by the resource's owner.
		{thenExpr(`^the key's state is "([^"]*)"$`), then1(w, w.keyStateIs)},
		{thenExpr(`^the key has no scheduled deletion date$`), then0(w, w.keyHasNoDeletionDate)},
		{thenExpr(`^the key is scheduled for deletion in (\d+) days$`), then1(w, w.keyScheduledIn)},
		{thenExpr(`^that grant is listed$`), then0(w, w.grantListed)},
		{thenExpr(`^that grant is not listed$`), then0(w, w.grantUnlisted)},
		{thenExpr(`^` + who + ` can create a data key with that key$`), then1(w, w.canCreateDatakey)},
		{thenExpr(`^` + who + ` cannot create a data key with that key$`), then1(w, w.cannotCreateDatakey)},
		{thenExpr(`^the secret's state is "([^"]*)"$`), then1(w, w.secretStateIs)},
		{thenExpr(`^the secret has no scheduled deletion time$`), then0(w, w.secretHasNoDeletionTime)},
		{thenExpr(`^the secret is scheduled for deletion in (\d+) days$`), then1(w, w.secretScheduledIn)},
		{thenExpr(`^` + who + ` can read the value of that secret$`), then1(w, w.canReadSecret)},
		{thenExpr(`^` + who + ` cannot read the value of that secret$`), then1(w, w.cannotReadSecret)},
	}
	defs = append(defs, w.envelopeDefinitions()...)
	defs = append(defs, w.versionDefinitions()...)
	defs = append(defs, w.asymDefinitions()...)
	return append(defs, w.dataKeyPairDefinitions()...)
}

// StepExpressions lists the regular expression of every step, in binding order: the vocabulary the
// features may use, for the checks of the feature files (which read it here instead of restating it).
func StepExpressions() []string {
	defs := (&World{}).definitions()
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.expr
	}
	return out
}

// bind registers every step with godog.
func (w *World) bind(sc *godog.ScenarioContext) {
	for _, d := range w.definitions() {
		sc.Step(w.s.pattern(d.expr), d.fn)
	}
}

// ---- hand-built requests ----------------------------------------------------------------------------

// placeholders a docstring body may use, replaced by the scenario's resources.
func (w *World) expand(s string) string {
	repl := []string{}
	if w.key != nil {
		repl = append(repl, "{that key}", w.key.id)
	}
	if w.otherKey != nil {
		repl = append(repl, "{the other key}", w.otherKey.id)
	}
	if w.grant != nil {
		repl = append(repl, "{that grant}", w.grant.id)
	}
	if w.secret != nil {
		repl = append(repl, "{that secret}", w.secret.name)
	}
	return strings.NewReplacer(repl...).Replace(s)
}

// intended finds the operation a hand-built request names by its slug in the feature text.
func intended(slug string) (openapi.Operation, error) {
	op, ok := openapi.Lookup(slug)
	if !ok || op.Slug != slug {
		return openapi.Operation{}, fmt.Errorf("unknown operation %q (known: %s)", slug, strings.Join(openapi.Slugs(), ", "))
	}
	return op, nil
}

func (w *World) handBuilt(ctx context.Context, actor string, op openapi.Operation, method string, body []byte) error {
	cctx := withCall(ctx, callInfo{actor: actor, purpose: PurposeAct, intended: op})
	project := w.project(actor, PurposeAct)
	vars := map[string]string{"project_id": project, "version_id": "v1", "secret_name": ""}
	if w.secret != nil {
		vars["secret_name"] = w.secret.name
	}
	base := w.s.cfg.KMSEndpoint
	if op.Service == "csms" {
		base = w.s.cfg.CSMSEndpoint
	}
	var reader *bytes.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	var req *http.Request
	var err error
	if reader != nil {
		req, err = http.NewRequestWithContext(cctx, method, base+op.Fill(vars), reader)
	} else {
		req, err = http.NewRequestWithContext(cctx, method, base+op.Fill(vars), http.NoBody)
	}
	if err != nil {
		return fmt.Errorf("build %s request: %w", op.Slug, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json;charset=UTF-8")
		if len(body) > 0 {
			req.Body = newByteBody(body) // the recording transport takes the bytes without copying them
		}
	}
	if err := w.authorize(cctx, req); err != nil {
		return err
	}
	resp, err := doer{w: w}.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, op.Slug, err)
	}
	_ = resp.Body.Close()
	return nil
}

func (w *World) sendsBody(ctx context.Context, actor, slug string, doc *godog.DocString) error {
	op, err := intended(slug)
	if err != nil {
		return err
	}
	return w.handBuilt(ctx, actor, op, op.Method, []byte(w.expand(doc.Content)))
}

// sendsLargeBody sends a syntactically valid JSON object padded to the given size, for the gateway's
// body-size limit.
func (w *World) sendsLargeBody(ctx context.Context, actor, slug string, n int, unit string) error {
	op, err := intended(slug)
	if err != nil {
		return err
	}
	size := n << 10
	if unit == "MiB" {
		size = n << 20
	}
	if size < 1<<10 || size > 16<<20 {
		return fmt.Errorf("body of %d %s: want 1 KiB to 16 MiB", n, unit)
	}
	return w.handBuilt(ctx, actor, op, op.Method, w.s.padding(size))
}

// padding returns a syntactically valid JSON object of size bytes, built once per size and run: the steps
// only read it, and a fresh 2 MiB per scenario cost more (page faults, GC) than sending it.
func (s *Suite) padding(size int) []byte {
	if b, ok := s.paddings.Load(size); ok {
		return b.([]byte)
	}
	const head, tail = `{"padding":"`, `"}`
	body := make([]byte, size)
	copy(body, head)
	copy(body[size-len(tail):], tail)
	pad := body[len(head) : size-len(tail)]
	pad[0] = 'x'
	for filled := 1; filled < len(pad); filled *= 2 { // doubling copies instead of a byte loop
		copy(pad[filled:], pad[:filled])
	}
	b, _ := s.paddings.LoadOrStore(size, body)
	return b.([]byte)
}

func (w *World) sendsMethod(ctx context.Context, actor, method, slug string) error {
	op, err := intended(slug)
	if err != nil {
		return err
	}
	return w.handBuilt(ctx, actor, op, method, nil)
}

// control calls the mock's control API. It is not part of the contract: no validation, no credentials.
// Its failures are harness errors: they say nothing about the target's rules.
func (w *World) control(ctx context.Context, path string, body map[string]any) error {
	if !w.s.cfg.Control {
		return fmt.Errorf("%w: needs the mock's control API, which the target does not offer", godog.ErrSkip)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return harness(Control, fmt.Errorf("control %s: %w", path, err))
	}
	cctx := withCall(ctx, callInfo{actor: "control", purpose: PurposeControl})
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, w.s.cfg.ControlEndpoint+path, bytes.NewReader(data))
	if err != nil {
		return harness(Control, fmt.Errorf("control %s: %w", path, err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := doer{w: w}.Do(req)
	if err != nil {
		return harness(Control, fmt.Errorf("control %s: %w", path, err))
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b := w.exchanges[len(w.exchanges)-1].ResponseBody
		return harness(Control, fmt.Errorf("control %s: status %d %s", path, resp.StatusCode, b))
	}
	return nil
}

// ---- Then on the last answer ------------------------------------------------------------------------

func (w *World) lastAnswer() (*response, error) {
	if w.last == nil {
		return nil, errNoResponse
	}
	return w.last, nil
}

func (r *response) describe() string {
	return fmt.Sprintf("%s %s (%s) answered %d %s", r.method, r.url, r.op, r.status, summarize(r.body))
}

func (w *World) statusIs(_ context.Context, status int) error {
	r, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if r.status != status {
		return w.judge(r, fmt.Errorf("want status %d: %s", status, r.describe()))
	}
	return nil
}

func (w *World) errorCodeIs(_ context.Context, code string) error {
	r, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if got := openapi.ErrorCode(r.body); got != code {
		return w.judge(r, fmt.Errorf("want error code %q, got %q: %s", code, got, r.describe()))
	}
	return nil
}

// callIsRefused is the gate of a refusal: the call under test did not succeed and was answered as a
// client's mistake (4xx), whichever status and code the target chose.
func (w *World) callIsRefused(context.Context) error {
	r, err := w.lastAnswer()
	if err != nil {
		return err
	}
	// A 401 to correct credentials and a 429 are no refusal of the call: judge makes them "could not
	// judge" (or, for a 429 from the mock, which never throttles, a fail).
	unjudgeable := r.status == http.StatusTooManyRequests ||
		(r.status == http.StatusUnauthorized && r.actor != anonymous && !r.wrongCreds)
	if r.status < 400 || r.status > 499 || unjudgeable {
		return w.judge(r, fmt.Errorf("want the call refused (a 4xx answer): %s", r.describe()))
	}
	return nil
}

// fieldIsNull wants the member present with the value null (absent is not null).
func (w *World) fieldIsNull(_ context.Context, path string) error {
	v, r, err := w.field(path)
	if err == nil && v != nil {
		if sensitive(path) {
			err = fmt.Errorf("the answer's %s is not null (%s %s answered %d)", path, r.method, r.op, r.status)
		} else {
			err = fmt.Errorf("want %s null, got %s: %s", path, scalar(v), r.describe())
		}
	}
	return w.judge(w.last, err)
}

// field looks a dotted path (secret.state, key_info.key_id, grants.0.grant_id) up in the last answer.
func (w *World) field(path string) (any, *response, error) {
	r, err := w.lastAnswer()
	if err != nil {
		return nil, nil, err
	}
	var doc any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		return nil, r, fmt.Errorf("the answer is not JSON: %s", r.describe())
	}
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[part]
			if !ok {
				return nil, r, fmt.Errorf("the answer has no %s: %s", path, r.describe())
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(v) {
				return nil, r, fmt.Errorf("the answer has no %s: %s", path, r.describe())
			}
			cur = v[i]
		default:
			return nil, r, fmt.Errorf("the answer has no %s: %s", path, r.describe())
		}
	}
	return cur, r, nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// fieldIs, fieldIsHex, grantInResponse and secretInResponse judge the answer to the call under test like
// statusIs: their failures go through judge.
func (w *World) fieldIs(_ context.Context, path, want string) error {
	return w.judge(w.last, w.checkField(path, want))
}

func (w *World) checkField(path, want string) error {
	v, r, err := w.field(path)
	if err != nil {
		return err
	}
	if got := scalar(v); got != want {
		if sensitive(path) {
			return fmt.Errorf("the answer's %s is not the expected value (%s %s answered %d)", path, r.method, r.op, r.status)
		}
		return fmt.Errorf("want %s %q, got %q: %s", path, want, got, r.describe())
	}
	return nil
}

func (w *World) fieldIsKeyID(ctx context.Context, path string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	return w.fieldIs(ctx, path, w.key.id)
}

func (w *World) fieldIsSecretName(ctx context.Context, path string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	return w.fieldIs(ctx, path, w.secret.name)
}

var hexPattern = regexp.MustCompile(`^[0-9a-fA-F]*$`)

func (w *World) fieldIsHex(_ context.Context, path string, n int) error {
	return w.judge(w.last, w.checkHex(path, n))
}

func (w *World) checkHex(path string, n int) error {
	v, r, err := w.field(path)
	if err != nil {
		return err
	}
	s, ok := v.(string)
	if !ok || len(s) != n || !hexPattern.MatchString(s) {
		if sensitive(path) {
			return fmt.Errorf("the answer's %s is not %d hexadecimal characters (%s %s answered %d)", path, n, r.method, r.op, r.status)
		}
		return fmt.Errorf("want %s of %d hexadecimal characters, got %q: %s", path, n, scalar(v), r.describe())
	}
	return nil
}

// ---- helpers ----------------------------------------------------------------------------------------

// summarize shortens a (possibly sensitive) body for a failure message: secrets are redacted first.
func summarize(body []byte) string {
	s := strings.TrimSpace(redactBody(body))
	if s == "" {
		return "(empty body)"
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
