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
)

// bind registers every step. Each phrase is defined once; actors are identity names or "anonymous".
func (w *World) bind(sc *godog.ScenarioContext) {
	const who = `(\w+)`
	// Given: reaching a state (setup calls, retried on throttling).
	w.step(sc, `^`+who+` has a key$`, w.hasKey)
	w.step(sc, `^`+who+` has another key$`, w.hasAnotherKey)
	w.step(sc, `^`+who+` has a key in state "([^"]*)"$`, w.hasKeyInState)
	w.step(sc, `^`+who+` has a key pending deletion$`, w.hasKeyPendingDeletion)
	w.step(sc, `^that key has been put in state "([^"]*)"$`, w.keyPutInState)
	w.step(sc, `^`+who+` has granted `+who+` "([^"]*)" on that key$`, w.hasGranted)
	w.step(sc, `^`+who+` has granted `+who+` "([^"]*)" on that key with `+who+` as retiring principal$`, w.hasGrantedRetiring)
	w.step(sc, `^`+who+` has a secret$`, w.hasSecret)
	w.step(sc, `^`+who+` has a secret in state "([^"]*)"$`, w.hasSecretInState)
	w.step(sc, `^`+who+` has a secret pending deletion$`, w.hasSecretPendingDeletion)
	w.step(sc, `^`+who+`'s credentials are wrong$`, w.credentialsAreWrong)
	w.step(sc, `^`+who+` addresses `+who+`'s project$`, w.addressesProject)

	// When: the call under test (never retried). KMS.
	w.step(sc, `^`+who+` creates a key$`, w.createsKey)
	w.step(sc, `^`+who+` creates a key with origin "([^"]*)"$`, w.createsKeyWithOrigin)
	w.step(sc, `^`+who+` creates a key with the alias "([^"]*)"$`, w.createsKeyWithAlias)
	w.step(sc, `^`+who+` describes that key$`, w.describesThatKey)
	w.step(sc, `^`+who+` describes the key "([^"]*)"$`, w.describesTheKey)
	w.step(sc, `^`+who+` enables that key$`, w.enablesThatKey)
	w.step(sc, `^`+who+` disables that key$`, w.disablesThatKey)
	w.step(sc, `^`+who+` schedules the deletion of that key in "([^"]*)" days$`, w.schedulesThatKey)
	w.step(sc, `^`+who+` cancels the deletion of that key$`, w.cancelsThatKey)
	w.step(sc, `^`+who+` cancels the deletion of that key with the sequence "([^"]*)"$`, w.cancelsThatKeyWithSequence)
	w.step(sc, `^`+who+` cancels the deletion of the key "([^"]*)"$`, w.cancelsTheKey)
	w.step(sc, `^`+who+` grants `+who+` "([^"]*)" on that key$`, w.grants)
	w.step(sc, `^`+who+` lists the keys$`, w.listsKeys)
	w.step(sc, `^`+who+` lists the keys with the limit "([^"]*)"$`, w.listsKeysWithLimit)
	w.step(sc, `^`+who+` lists the grants of that key$`, w.listsGrants)
	w.step(sc, `^`+who+` lists the retirable grants$`, w.listsRetirableGrants)
	w.step(sc, `^`+who+` (revokes|retires) that grant$`, w.endsThatGrant)
	w.step(sc, `^`+who+` (revokes|retires) that grant with the sequence "([^"]*)"$`, w.endsThatGrantWithSequence)
	w.step(sc, `^`+who+` (revokes|retires) the grant "([^"]*)" on that key$`, w.endsTheGrant)
	w.step(sc, `^`+who+` (revokes|retires) that grant on the other key$`, w.endsThatGrantOnOtherKey)
	w.step(sc, `^`+who+` creates a data key with that key$`, w.createsDatakey)
	w.step(sc, `^`+who+` encrypts "([^"]*)" with that key$`, w.encrypts)
	w.step(sc, `^`+who+` decrypts that cipher text$`, w.decryptsThatCipher)
	// When: CSMS.
	w.step(sc, `^`+who+` creates a secret$`, w.createsSecret)
	w.step(sc, `^`+who+` creates a secret named "([^"]*)"$`, w.createsSecretNamed)
	w.step(sc, `^`+who+` creates a secret with the same name$`, w.createsSecretSameName)
	w.step(sc, `^`+who+` shows that secret$`, w.showsThatSecret)
	w.step(sc, `^`+who+` shows the secret "([^"]*)"$`, w.showsTheSecret)
	w.step(sc, `^`+who+` schedules the deletion of that secret in (-?\d+) days$`, w.schedulesThatSecret)
	w.step(sc, `^`+who+` restores that secret$`, w.restoresThatSecret)
	w.step(sc, `^`+who+` restores the secret "([^"]*)"$`, w.restoresTheSecret)
	w.step(sc, `^`+who+` deletes that secret$`, w.deletesThatSecret)
	w.step(sc, `^`+who+` reads the version "([^"]*)" of that secret$`, w.readsVersion)
	w.step(sc, `^`+who+` updates the description of that secret to "([^"]*)"$`, w.updatesDescription)
	w.step(sc, `^`+who+` lists the secrets$`, w.listsSecrets)
	// When: hand-built requests for malformed input, and the mock's clock.
	w.step(sc, `^`+who+` sends to ([a-z-]+) the body:$`, w.sendsBody)
	w.step(sc, `^`+who+` sends a ([A-Z]+) request to ([a-z-]+)$`, w.sendsMethod)
	w.step(sc, `^`+who+` sends to ([a-z-]+) a body of (\d+) (KiB|MiB)$`, w.sendsLargeBody)
	w.step(sc, `^the mock's clock moves (\d+) days ahead for that key$`, w.advanceKey)
	w.step(sc, `^the mock's clock moves (\d+) days ahead for that secret$`, w.advanceSecret)

	// Then: the answer to the call under test.
	w.step(sc, `^the response status is (\d+)$`, w.statusIs)
	w.step(sc, `^the error code is "([^"]*)"$`, w.errorCodeIs)
	w.step(sc, `^the response's ([a-z_.0-9]+) is "([^"]*)"$`, w.fieldIs)
	w.step(sc, `^the response's ([a-z_.0-9]+) is that key's id$`, w.fieldIsKeyID)
	w.step(sc, `^the response's ([a-z_.0-9]+) is that secret's name$`, w.fieldIsSecretName)
	w.step(sc, `^the response's ([a-z_.0-9]+) has (\d+) hexadecimal characters$`, w.fieldIsHex)
	w.step(sc, `^that key is in the response$`, w.keyInResponse)
	w.step(sc, `^that key is not in the response$`, w.keyNotInResponse)
	w.step(sc, `^that grant is in the response$`, w.grantInResponse)
	w.step(sc, `^that secret is in the response$`, w.secretInResponse)
	// Then: effects, observed through second calls by the resource's owner.
	w.step(sc, `^the key's state is "([^"]*)"$`, w.keyStateIs)
	w.step(sc, `^the key has no scheduled deletion date$`, w.keyHasNoDeletionDate)
	w.step(sc, `^the key is scheduled for deletion in (\d+) days$`, w.keyScheduledIn)
	w.step(sc, `^that grant is listed$`, w.grantListed)
	w.step(sc, `^that grant is not listed$`, w.grantUnlisted)
	w.step(sc, `^`+who+` can create a data key with that key$`, w.canCreateDatakey)
	w.step(sc, `^`+who+` cannot create a data key with that key$`, w.cannotCreateDatakey)
	w.step(sc, `^the secret's state is "([^"]*)"$`, w.secretStateIs)
	w.step(sc, `^the secret has no scheduled deletion time$`, w.secretHasNoDeletionTime)
	w.step(sc, `^the secret is scheduled for deletion in (\d+) days$`, w.secretScheduledIn)
	w.step(sc, `^`+who+` can read the value of that secret$`, w.canReadSecret)
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

func (w *World) handBuilt(ctx context.Context, actor, slug, method string, body []byte) error {
	op, ok := operationBySlug(slug)
	if !ok {
		return fmt.Errorf("unknown operation %q (known: %s)", slug, strings.Join(OperationSlugs(), ", "))
	}
	cctx, project := w.call(ctx, actor, PurposeAct, slug)
	vars := map[string]string{"project_id": project, "version_id": "v1", "secret_name": ""}
	if w.secret != nil {
		vars["secret_name"] = w.secret.name
	}
	base := w.s.cfg.KMSEndpoint
	if op.service == "csms" {
		base = w.s.cfg.CSMSEndpoint
	}
	var reader *bytes.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	var req *http.Request
	var err error
	if reader != nil {
		req, err = http.NewRequestWithContext(cctx, method, base+op.fill(vars), reader)
	} else {
		req, err = http.NewRequestWithContext(cctx, method, base+op.fill(vars), http.NoBody)
	}
	if err != nil {
		return fmt.Errorf("build %s request: %w", slug, err)
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
		return fmt.Errorf("%s %s: %w", method, slug, err)
	}
	_ = resp.Body.Close()
	return nil
}

func (w *World) sendsBody(ctx context.Context, actor, slug string, doc *godog.DocString) error {
	op, ok := operationBySlug(slug)
	if !ok {
		return fmt.Errorf("unknown operation %q", slug)
	}
	return w.handBuilt(ctx, actor, slug, op.method, []byte(w.expand(doc.Content)))
}

// sendsLargeBody sends a syntactically valid JSON object padded to the given size, for the gateway's
// body-size limit.
func (w *World) sendsLargeBody(ctx context.Context, actor, slug string, n int, unit string) error {
	op, ok := operationBySlug(slug)
	if !ok {
		return fmt.Errorf("unknown operation %q", slug)
	}
	size := n << 10
	if unit == "MiB" {
		size = n << 20
	}
	if size < 1<<10 || size > 16<<20 {
		return fmt.Errorf("body of %d %s: want 1 KiB to 16 MiB", n, unit)
	}
	return w.handBuilt(ctx, actor, slug, op.method, w.s.padding(size))
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
	return w.handBuilt(ctx, actor, slug, method, nil)
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

func (w *World) statusIs(status int) error {
	r, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if r.status != status {
		return w.judge(r, fmt.Errorf("want status %d: %s", status, r.describe()))
	}
	return nil
}

func (w *World) errorCodeIs(code string) error {
	r, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if got := errorCode(r.body); got != code {
		return w.judge(r, fmt.Errorf("want error code %q, got %q: %s", code, got, r.describe()))
	}
	return nil
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

// sensitive fields are compared but never echoed in a failure message.
func sensitive(path string) bool {
	last := path[strings.LastIndex(path, ".")+1:]
	switch last {
	case "secret_string", "secret_binary", "plain_text", "plain_text_base64", "pin":
		return true
	}
	return false
}

// fieldIs, fieldIsHex, grantInResponse and secretInResponse judge the answer to the call under test like
// statusIs: their failures go through judge.
func (w *World) fieldIs(path, want string) error {
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

func (w *World) fieldIsKeyID(path string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	return w.fieldIs(path, w.key.id)
}

func (w *World) fieldIsSecretName(path string) error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	return w.fieldIs(path, w.secret.name)
}

var hexPattern = regexp.MustCompile(`^[0-9a-fA-F]*$`)

func (w *World) fieldIsHex(path string, n int) error {
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

func (w *World) keyInResponse() error {
	if err := w.requireKey(); err != nil {
		return err
	}
	return w.judge(w.last, w.listHas("key_details", "key_id", "key", w.key.id, strings.EqualFold))
}

// keyNotInResponse is the project-isolation check: a listing must not show another project's key.
func (w *World) keyNotInResponse() error {
	if err := w.requireKey(); err != nil {
		return err
	}
	if err := w.listHas("key_details", "key_id", "key", w.key.id, strings.EqualFold); err == nil {
		_, r, _ := w.field("key_details")
		return w.judge(w.last, fmt.Errorf("key %s is in the answer, want it absent: %s", w.key.id, r.describe()))
	}
	return w.judge(w.last, nil)
}

func (w *World) grantInResponse() error {
	if err := w.requireGrant(); err != nil {
		return err
	}
	return w.judge(w.last, w.listHas("grants", "grant_id", "grant", w.grant.id, strings.EqualFold))
}

func (w *World) secretInResponse() error {
	if err := w.requireSecret(); err != nil {
		return err
	}
	return w.judge(w.last, w.listHas("secrets", "name", "secret", w.secret.name, func(a, b string) bool { return a == b }))
}

// listHas checks that the list at path of the last answer holds an object whose member key is want.
func (w *World) listHas(path, key, what, want string, equal func(a, b string) bool) error {
	v, r, err := w.field(path)
	if err != nil {
		return err
	}
	list, _ := v.([]any)
	for _, item := range list {
		if m, ok := item.(map[string]any); ok && equal(scalar(m[key]), want) {
			return nil
		}
	}
	return fmt.Errorf("%s %s is not in the answer: %s", what, want, r.describe())
}

// ---- helpers ----------------------------------------------------------------------------------------

// errorCode reads error_code from either error shape: KMS's nested {"error":{...}} or the flat one of
// CSMS and the gateway.
func errorCode(body []byte) string {
	var doc struct {
		ErrorCode string `json:"error_code"`
		Error     *struct {
			ErrorCode string `json:"error_code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	if doc.Error != nil && doc.Error.ErrorCode != "" {
		return doc.Error.ErrorCode
	}
	return doc.ErrorCode
}

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
