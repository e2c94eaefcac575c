package steps

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	kmsapi "github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/openapi"
)

// ---- calls ----------------------------------------------------------------------------------------

// call prepares the context of one call: who makes it and why. Which operation it is, the recording
// transport finds from the request (openapi.Match), so a call through a generated client names none.
func (w *World) call(ctx context.Context, actor string, purpose Purpose) (context.Context, string) {
	return withCall(ctx, callInfo{actor: actor, purpose: purpose}), w.project(actor, purpose)
}

// answer is the status and raw body of a call, for setup and check helpers.
type answer struct {
	actor   string // who called, for the message of a credentials problem
	purpose Purpose
	op      string // the operation's slug, "" when the request matched none
	status  int
	body    []byte
}

func answerOf(r *http.Response, body []byte) answer {
	if r == nil {
		return answer{body: body}
	}
	a := answer{actor: "the caller", status: r.StatusCode, body: body}
	if r.Request != nil {
		c := callFrom(r.Request.Context())
		if c.actor != "" {
			a.actor = c.actor
		}
		a.purpose = c.purpose
		if op, ok := openapi.Match(r.Request.Method, r.Request.URL.EscapedPath()); ok {
			a.op = op.Slug
		}
	}
	return a
}

// refused wants a check call refused: any answer but a 2xx, whichever status and code (those are not
// what the check is about). A 401, 429 or 5xx says nothing about the rule: see unjudged.
func (a answer) refused(what string) error {
	switch {
	case a.status/100 == 2:
		return fmt.Errorf("%s: want it refused, got %d %s", what, a.status, summarize(a.body))
	case a.status == http.StatusUnauthorized || a.status == http.StatusTooManyRequests || a.status >= 500:
		return a.unjudged(fmt.Errorf("%s: want it refused (a 4xx), got %d %s", what, a.status, summarize(a.body)))
	}
	return nil
}

// expect fails a setup or check call whose answer is not the status the step needs; see unjudged for the
// answers that are harness errors rather than fails.
func (a answer) expect(what string, status int) error {
	if a.status != status {
		return a.unjudged(fmt.Errorf("%s: want status %d, got %d %s", what, status, a.status, summarize(a.body)))
	}
	return nil
}

func (w *World) createKey(ctx context.Context, actor string, purpose Purpose, origin kmsapi.Origin, alias string) (answer, *keyRef, error) {
	body := kmsapi.CreateKeyRequestBody{KeyAlias: alias}
	if origin != "" {
		body.Origin = &origin
	}
	return w.createKeyWith(ctx, actor, purpose, body)
}

// createKeyWith creates a key as body asks (a fresh run-prefixed alias when it names none) and schedules
// its deletion for the scenario's cleanup.
func (w *World) createKeyWith(ctx context.Context, actor string, purpose Purpose, body kmsapi.CreateKeyRequestBody) (answer, *keyRef, error) {
	cctx, project := w.call(ctx, actor, purpose)
	if body.KeyAlias == "" {
		body.KeyAlias = w.s.Prefix() + randomHex(6)
	}
	alias := body.KeyAlias
	r, err := w.kms.CreateKeyWithResponse(cctx, project, body)
	if err != nil {
		return answer{}, nil, fmt.Errorf("create key: %w", err)
	}
	a := answerOf(r.HTTPResponse, r.Body)
	if r.JSON200 == nil {
		return a, nil, nil
	}
	k := &keyRef{id: r.JSON200.KeyInfo.KeyId, owner: actor, alias: alias}
	w.onCleanup("key "+k.id, func(ctx context.Context) error { return w.cleanupKey(ctx, k) })
	return a, k, nil
}

func (w *World) cleanupKey(ctx context.Context, k *keyRef) error {
	a, err := w.scheduleKey(ctx, k.owner, PurposeCleanup, k.id, "7")
	if err != nil {
		return err
	}
	switch code := openapi.ErrorCode(a.body); {
	case a.status == http.StatusOK, code == "KMS.1402", code == "KMS.0207":
		return nil
	case w.s.cfg.Control:
		// A frozen key refuses deletion; the mock can thaw it first.
		if err := w.control(ctx, "/_dewconform/keys/"+k.id+"/state", map[string]any{"key_state": "2"}); err != nil {
			return err
		}
		a, err = w.scheduleKey(ctx, k.owner, PurposeCleanup, k.id, "7")
		if err != nil {
			return err
		}
	}
	return a.expect("schedule deletion of key "+k.id, http.StatusOK)
}

func (w *World) describeKey(ctx context.Context, actor string, purpose Purpose, keyID string) (answer, *kmsapi.KeyDetails, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.ListKeyDetailWithResponse(cctx, project, kmsapi.OperateKeyRequestBody{KeyId: keyID})
	if err != nil {
		return answer{}, nil, fmt.Errorf("describe key: %w", err)
	}
	if r.JSON200 == nil {
		return answerOf(r.HTTPResponse, r.Body), nil, nil
	}
	return answerOf(r.HTTPResponse, r.Body), &r.JSON200.KeyInfo, nil
}

func (w *World) scheduleKey(ctx context.Context, actor string, purpose Purpose, keyID, days string) (answer, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.DeleteKeyWithResponse(cctx, project, kmsapi.ScheduleKeyDeletionRequestBody{KeyId: keyID, PendingDays: days})
	if err != nil {
		return answer{}, fmt.Errorf("schedule key deletion: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), nil
}

func (w *World) enableKey(ctx context.Context, actor string, purpose Purpose, keyID string) (answer, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.EnableKeyWithResponse(cctx, project, kmsapi.OperateKeyRequestBody{KeyId: keyID})
	if err != nil {
		return answer{}, fmt.Errorf("enable key: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), nil
}

func (w *World) disableKey(ctx context.Context, actor string, purpose Purpose, keyID string) (answer, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.DisableKeyWithResponse(cctx, project, kmsapi.OperateKeyRequestBody{KeyId: keyID})
	if err != nil {
		return answer{}, fmt.Errorf("disable key: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), nil
}

func (w *World) cancelDeletion(ctx context.Context, actor string, purpose Purpose, keyID string, sequence *string) (answer, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.CancelKeyDeletionWithResponse(cctx, project, kmsapi.OperateKeyRequestBody{KeyId: keyID, Sequence: sequence})
	if err != nil {
		return answer{}, fmt.Errorf("cancel key deletion: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), nil
}

func (w *World) createGrant(ctx context.Context, actor string, purpose Purpose, keyID, grantee string, ops []string, retiring string) (answer, *grantRef, error) {
	cctx, project := w.call(ctx, actor, purpose)
	granteeID, ok := w.identity(grantee)
	if !ok {
		return answer{}, nil, fmt.Errorf("no identity %q in the configuration", grantee)
	}
	body := kmsapi.CreateGrantRequestBody{KeyId: keyID, GranteePrincipal: granteeID.UserID}
	for _, op := range ops {
		body.Operations = append(body.Operations, kmsapi.GrantOperation(op))
	}
	if retiring != "" {
		rid, ok := w.identity(retiring)
		if !ok {
			return answer{}, nil, fmt.Errorf("no identity %q in the configuration", retiring)
		}
		body.RetiringPrincipal = &rid.UserID
	}
	r, err := w.kms.CreateGrantWithResponse(cctx, project, body)
	if err != nil {
		return answer{}, nil, fmt.Errorf("create grant: %w", err)
	}
	a := answerOf(r.HTTPResponse, r.Body)
	if r.JSON200 == nil {
		return a, nil, nil
	}
	owner := actor
	if w.key != nil && w.key.id == keyID {
		owner = w.key.owner
	}
	g := &grantRef{id: r.JSON200.GrantId, keyID: keyID, owner: owner, grantee: grantee}
	w.onCleanup("grant "+g.id, func(ctx context.Context) error {
		a, err := w.revokeGrant(ctx, g.owner, PurposeCleanup, false, g.keyID, g.id, nil)
		if err != nil {
			return err
		}
		if code := openapi.ErrorCode(a.body); code == "KMS.2501" || code == "KMS.0207" {
			return nil // already gone
		}
		return a.expect("revoke grant "+g.id, http.StatusOK)
	})
	return a, g, nil
}

// revokeGrant calls revoke-grant, or retire-grant when retire is set: they take the same body.
func (w *World) revokeGrant(ctx context.Context, actor string, purpose Purpose, retire bool, keyID, grantID string, sequence *string) (answer, error) {
	cctx, project := w.call(ctx, actor, purpose)
	body := kmsapi.RevokeGrantRequestBody{KeyId: keyID, GrantId: grantID, Sequence: sequence}
	if retire {
		r, err := w.kms.CancelSelfGrantWithResponse(cctx, project, body)
		if err != nil {
			return answer{}, fmt.Errorf("retire grant: %w", err)
		}
		return answerOf(r.HTTPResponse, r.Body), nil
	}
	r, err := w.kms.CancelGrantWithResponse(cctx, project, body)
	if err != nil {
		return answer{}, fmt.Errorf("revoke grant: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), nil
}

// listGrants pages through list-grants from the first page and returns every grant id of the key; the
// paging fields must agree on every page (see listing.more).
func (w *World) listGrants(ctx context.Context, actor string, purpose Purpose, keyID string) (answer, []string, error) {
	var ids []string
	l := &listing{slug: ops.ListGrants}
	seen := map[string]bool{}
	marker := ""
	for n := 1; n <= maxPages; n++ {
		cctx, project := w.call(ctx, actor, purpose)
		limit := "100"
		body := kmsapi.ListGrantsRequestBody{KeyId: keyID, Limit: &limit}
		if marker != "" {
			body.Marker = &marker
		}
		r, err := w.kms.ListGrantsWithResponse(cctx, project, body)
		if err != nil {
			return answer{}, nil, fmt.Errorf("list grants: %w", err)
		}
		a := answerOf(r.HTTPResponse, r.Body)
		if a.status != http.StatusOK {
			return a, nil, nil
		}
		p, err := parsePage(ops.ListGrants, r.Body)
		if err != nil {
			return a, nil, err
		}
		for _, g := range p.items {
			ids = append(ids, scalar(g["grant_id"]))
		}
		more, err := l.more(n, p, seen)
		if err != nil || !more {
			return a, ids, err
		}
		seen[p.marker] = true
		marker = p.marker
	}
	return answer{}, nil, harness(Paging, fmt.Errorf("list grants of key %s: more than %d pages, the most the harness walks", keyID, maxPages))
}

func (w *World) createDatakey(ctx context.Context, actor string, purpose Purpose, keyID string) (answer, error) {
	cctx, project := w.call(ctx, actor, purpose)
	r, err := w.kms.CreateDatakeyWithResponse(cctx, project, kmsapi.CreateDatakeyRequestBody{KeyId: keyID})
	if err != nil {
		return answer{}, fmt.Errorf("create data key: %w", err)
	}
	return answerOf(r.HTTPResponse, r.Body), nil
}

// ---- Given ----------------------------------------------------------------------------------------

func (w *World) requireKey() error {
	if w.key == nil {
		return fmt.Errorf("the scenario has no key yet (a Given step such as 'alice has a key' must come first)")
	}
	return nil
}

func (w *World) hasKey(ctx context.Context, actor string) error {
	if w.plan.SharesKeys {
		k, err := w.pooledKey(ctx, actor)
		if err != nil {
			return err
		}
		w.key = k
		return nil
	}
	a, k, err := w.createKey(ctx, actor, PurposeSetup, "", "")
	if err != nil {
		return err
	}
	if k == nil {
		return a.expect(actor+" creates a key", http.StatusOK)
	}
	w.key = k
	return nil
}

// hasKeys creates n keys; the last one is "that key", all of them are the scenario's keys.
func (w *World) hasKeys(ctx context.Context, actor string, n int) error {
	if n < 1 || n > 20 {
		return fmt.Errorf("%d keys: want 1 to 20", n)
	}
	for range n {
		if err := w.hasKey(ctx, actor); err != nil {
			return err
		}
		w.keyList = append(w.keyList, w.key)
	}
	return nil
}

// allKeys is the scenario's keys: those of "has N keys", or else "that key".
func (w *World) allKeys() []*keyRef {
	if len(w.keyList) > 0 || w.key == nil {
		return w.keyList
	}
	return []*keyRef{w.key}
}

// allGrants is the scenario's grants: those of "has granted ... N times", or else "that grant".
func (w *World) allGrants() []*grantRef {
	if len(w.grantList) > 0 || w.grant == nil {
		return w.grantList
	}
	return []*grantRef{w.grant}
}

func (w *World) hasAnotherKey(ctx context.Context, actor string) error {
	a, k, err := w.createKey(ctx, actor, PurposeSetup, "", "")
	if err != nil {
		return err
	}
	if k == nil {
		return a.expect(actor+" creates another key", http.StatusOK)
	}
	w.otherKey = k
	return nil
}

func (w *World) hasKeyInState(ctx context.Context, actor, state string) error {
	if state == "5" {
		// A key whose material is to be imported starts pending import: reachable by any client.
		a, k, err := w.createKey(ctx, actor, PurposeSetup, kmsapi.OriginExternal, "")
		if err != nil {
			return err
		}
		if k == nil {
			return a.expect(actor+" creates an external key", http.StatusOK)
		}
		w.key = k
		return nil
	}
	if err := w.hasKey(ctx, actor); err != nil {
		return err
	}
	return w.keyPutInState(ctx, state)
}

func (w *World) hasKeyPendingDeletion(ctx context.Context, actor string) error {
	return w.hasKeyInState(ctx, actor, "4")
}

// keyPutInState moves "that key", fresh in state "2", to another state: through the API where a client
// can, through the mock's control API otherwise.
func (w *World) keyPutInState(ctx context.Context, state string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	k := w.key
	switch state {
	case "2":
		return nil
	case "3":
		a, err := w.disableKey(ctx, k.owner, PurposeSetup, k.id)
		if err != nil {
			return err
		}
		return a.expect("disable key", http.StatusOK)
	case "4":
		a, err := w.scheduleKey(ctx, k.owner, PurposeSetup, k.id, "7")
		if err != nil {
			return err
		}
		return a.expect("schedule key deletion in 7 days", http.StatusOK)
	case "1", "5", "7":
		return w.control(ctx, "/_dewconform/keys/"+k.id+"/state", map[string]any{"key_state": state})
	}
	return fmt.Errorf("key state %q: want one of 1, 2, 3, 4, 5, 7", state)
}

func (w *World) hasGranted(ctx context.Context, actor, grantee, ops string) error {
	return w.hasGrantedRetiring(ctx, actor, grantee, ops, "")
}

func (w *World) hasGrantedRetiring(ctx context.Context, actor, grantee, ops, retiring string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	a, g, err := w.createGrant(ctx, actor, PurposeSetup, w.key.id, grantee, splitList(ops), retiring)
	if err != nil {
		return err
	}
	if g == nil {
		return a.expect(actor+" grants "+grantee+" "+ops, http.StatusOK)
	}
	w.grant = g
	return nil
}

// hasGrantedTimes creates n grants alike on that key; the last one is "that grant".
func (w *World) hasGrantedTimes(ctx context.Context, actor, grantee, ops string, n int) error {
	if n < 1 || n > 20 {
		return fmt.Errorf("%d grants: want 1 to 20", n)
	}
	for range n {
		if err := w.hasGrantedRetiring(ctx, actor, grantee, ops, ""); err != nil {
			return err
		}
		w.grantList = append(w.grantList, w.grant)
	}
	return nil
}

func (w *World) credentialsAreWrong(actor string) error {
	if _, ok := w.identity(actor); !ok {
		return fmt.Errorf("no identity %q in the configuration", actor)
	}
	w.wrongCreds[actor] = true
	return nil
}

func (w *World) addressesProject(actor, owner string) error {
	if _, ok := w.identity(owner); !ok {
		return fmt.Errorf("no identity %q in the configuration", owner)
	}
	w.addresses[actor] = owner
	return nil
}

// ---- When -----------------------------------------------------------------------------------------

func (w *World) createsKey(ctx context.Context, actor string) error {
	_, k, err := w.createKey(ctx, actor, PurposeAct, "", "")
	if k != nil {
		w.key = k
	}
	return err
}

func (w *World) createsKeyWithOrigin(ctx context.Context, actor, origin string) error {
	_, k, err := w.createKey(ctx, actor, PurposeAct, kmsapi.Origin(origin), "")
	if k != nil {
		w.key = k
	}
	return err
}

func (w *World) createsKeyWithAlias(ctx context.Context, actor, alias string) error {
	_, k, err := w.createKey(ctx, actor, PurposeAct, "", alias)
	if k != nil {
		w.key = k
	}
	return err
}

func (w *World) describesThatKey(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, _, err := w.describeKey(ctx, actor, PurposeAct, w.key.id)
	return err
}

func (w *World) describesTheKey(ctx context.Context, actor, keyID string) error {
	_, _, err := w.describeKey(ctx, actor, PurposeAct, keyID)
	return err
}

func (w *World) enablesThatKey(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, err := w.enableKey(ctx, actor, PurposeAct, w.key.id)
	return err
}

func (w *World) disablesThatKey(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, err := w.disableKey(ctx, actor, PurposeAct, w.key.id)
	return err
}

func (w *World) schedulesThatKey(ctx context.Context, actor, days string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, err := w.scheduleKey(ctx, actor, PurposeAct, w.key.id, days)
	return err
}

func (w *World) cancelsThatKey(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, err := w.cancelDeletion(ctx, actor, PurposeAct, w.key.id, nil)
	return err
}

func (w *World) cancelsThatKeyWithSequence(ctx context.Context, actor, sequence string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, err := w.cancelDeletion(ctx, actor, PurposeAct, w.key.id, &sequence)
	return err
}

func (w *World) cancelsTheKey(ctx context.Context, actor, keyID string) error {
	_, err := w.cancelDeletion(ctx, actor, PurposeAct, keyID, nil)
	return err
}

func (w *World) grants(ctx context.Context, actor, grantee, ops string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, g, err := w.createGrant(ctx, actor, PurposeAct, w.key.id, grantee, splitList(ops), "")
	if g != nil {
		w.grant = g
	}
	return err
}

// listsKeys asks for every algorithm: without key_spec the service lists AES_256 keys only.
func (w *World) listsKeys(ctx context.Context, actor string) error {
	return w.listKeysCall(ctx, actor, "1000")
}

func (w *World) listsKeysWithLimit(ctx context.Context, actor, limit string) error {
	return w.listKeysCall(ctx, actor, limit)
}

func (w *World) listsGrants(ctx context.Context, actor string) error {
	return w.listGrantsCall(ctx, actor, nil)
}

func (w *World) listsGrantsWithLimit(ctx context.Context, actor, limit string) error {
	return w.listGrantsCall(ctx, actor, &limit)
}

func (w *World) listsRetirableGrants(ctx context.Context, actor string) error {
	return w.listRetirableCall(ctx, actor, "1000")
}

// retires tells a "retires" step from a "revokes" one.
func retires(verb string) bool { return verb == "retires" }

func (w *World) requireGrant() error {
	if w.grant == nil {
		return fmt.Errorf("the scenario has no grant yet (a Given step such as 'alice has granted bob ... on that key' must come first)")
	}
	return nil
}

func (w *World) endsThatGrant(ctx context.Context, actor, verb string) error {
	if err := w.requireGrant(); err != nil {
		return err
	}
	_, err := w.revokeGrant(ctx, actor, PurposeAct, retires(verb), w.grant.keyID, w.grant.id, nil)
	return err
}

func (w *World) endsThatGrantWithSequence(ctx context.Context, actor, verb, sequence string) error {
	if err := w.requireGrant(); err != nil {
		return err
	}
	_, err := w.revokeGrant(ctx, actor, PurposeAct, retires(verb), w.grant.keyID, w.grant.id, &sequence)
	return err
}

func (w *World) endsTheGrant(ctx context.Context, actor, verb, grantID string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, err := w.revokeGrant(ctx, actor, PurposeAct, retires(verb), w.key.id, grantID, nil)
	return err
}

func (w *World) endsThatGrantOnOtherKey(ctx context.Context, actor, verb string) error {
	if err := w.requireGrant(); err != nil {
		return err
	}
	if w.otherKey == nil {
		return fmt.Errorf("the scenario has no other key (a step such as 'alice has another key' must come first)")
	}
	_, err := w.revokeGrant(ctx, actor, PurposeAct, retires(verb), w.otherKey.id, w.grant.id, nil)
	return err
}

func (w *World) createsDatakey(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	_, err := w.createDatakey(ctx, actor, PurposeAct, w.key.id)
	return err
}

func (w *World) encrypts(ctx context.Context, actor, text string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	r, err := w.kms.EncryptDataWithResponse(cctx, project, kmsapi.EncryptDataRequestBody{KeyId: w.key.id, PlainText: text})
	if err != nil {
		return fmt.Errorf("encrypt data: %w", err)
	}
	if r.JSON200 != nil {
		w.cipher = r.JSON200.CipherText
	}
	return nil
}

func (w *World) decryptsThatCipher(ctx context.Context, actor string) error {
	if w.cipher == "" {
		return fmt.Errorf("the scenario has no cipher text (an encryption must succeed first)")
	}
	cctx, project := w.call(ctx, actor, PurposeAct)
	_, err := w.kms.DecryptDataWithResponse(cctx, project, kmsapi.DecryptDataRequestBody{CipherText: w.cipher})
	if err != nil {
		return fmt.Errorf("decrypt data: %w", err)
	}
	return nil
}

// ---- Then -----------------------------------------------------------------------------------------

// describeThatKey reads the scenario's key as its owner sees it, for the checks after the call under test.
func (w *World) describeThatKey(ctx context.Context) (*kmsapi.KeyDetails, error) {
	if err := w.requireKey(); err != nil {
		return nil, err
	}
	a, info, err := w.describeKey(ctx, w.key.owner, PurposeCheck, w.key.id)
	if err != nil {
		return nil, err
	}
	if info == nil {
		if err := a.expect("describe key "+w.key.id, http.StatusOK); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("describe key %s: 200 without a key_info body", w.key.id)
	}
	return info, nil
}

func (w *World) keyStateIs(ctx context.Context, state string) error {
	info, err := w.describeThatKey(ctx)
	if err != nil {
		return err
	}
	if string(info.KeyState) != state {
		return fmt.Errorf("key %s: want state %q, describe-key says %q", w.key.id, state, info.KeyState)
	}
	return nil
}

func (w *World) keyHasNoDeletionDate(ctx context.Context) error {
	info, err := w.describeThatKey(ctx)
	if err != nil {
		return err
	}
	if info.ScheduledDeletionDate != nil && *info.ScheduledDeletionDate != "" {
		return fmt.Errorf("key %s: want no scheduled_deletion_date, describe-key says %q", w.key.id, *info.ScheduledDeletionDate)
	}
	return nil
}

func (w *World) keyScheduledIn(ctx context.Context, days int) error {
	info, err := w.describeThatKey(ctx)
	if err != nil {
		return err
	}
	if info.ScheduledDeletionDate == nil || *info.ScheduledDeletionDate == "" {
		return fmt.Errorf("key %s: want a scheduled_deletion_date %d days ahead, describe-key has none", w.key.id, days)
	}
	ms, err := strconv.ParseInt(*info.ScheduledDeletionDate, 10, 64)
	if err != nil {
		return fmt.Errorf("key %s: scheduled_deletion_date %q is not epoch milliseconds", w.key.id, *info.ScheduledDeletionDate)
	}
	return near(time.UnixMilli(ms), w.s.cfg.Now().Add(time.Duration(days)*24*time.Hour), "key "+w.key.id+" scheduled_deletion_date")
}

// near accepts a date within an hour of the expected one: enough for clock skew between harness and
// target, far less than the one-day steps that scenarios distinguish.
func near(got, want time.Time, what string) error {
	if d := got.Sub(want); d > time.Hour || d < -time.Hour {
		return fmt.Errorf("%s: want about %s, got %s", what, want.UTC().Format(time.RFC3339), got.UTC().Format(time.RFC3339))
	}
	return nil
}

func (w *World) grantListed(ctx context.Context) error   { return w.grantListing(ctx, true) }
func (w *World) grantUnlisted(ctx context.Context) error { return w.grantListing(ctx, false) }

func (w *World) grantListing(ctx context.Context, want bool) error {
	if err := w.requireGrant(); err != nil {
		return err
	}
	a, ids, err := w.listGrants(ctx, w.grant.owner, PurposeCheck, w.grant.keyID)
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return a.expect("list grants of key "+w.grant.keyID, http.StatusOK)
	}
	found := false
	for _, id := range ids {
		if strings.EqualFold(id, w.grant.id) {
			found = true
		}
	}
	switch {
	case want && !found:
		return fmt.Errorf("grant %s: want it listed by list-grants of key %s, it is not", w.grant.id, w.grant.keyID)
	case !want && found:
		return fmt.Errorf("grant %s: want it gone from list-grants of key %s, it is still listed", w.grant.id, w.grant.keyID)
	}
	return nil
}

func (w *World) canCreateDatakey(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	a, err := w.createDatakey(ctx, actor, PurposeCheck, w.key.id)
	if err != nil {
		return err
	}
	return a.expect(actor+" creates a data key with key "+w.key.id, http.StatusOK)
}

func (w *World) cannotCreateDatakey(ctx context.Context, actor string) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	a, err := w.createDatakey(ctx, actor, PurposeCheck, w.key.id)
	if err != nil {
		return err
	}
	return a.refused(fmt.Sprintf("%s creates a data key with key %s", actor, w.key.id))
}

func (w *World) advanceKey(ctx context.Context, days int) error {
	if err := w.requireKey(); err != nil {
		return err
	}
	return w.control(ctx, "/_dewconform/keys/"+w.key.id+"/advance", map[string]any{"seconds": days * 86400})
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
