// Package selftest proves the conformance suite's power: it runs the suite against the reference mock
// once clean, then once per fault of a catalogue of small, plausible deviations from the documented
// behaviour (each a wrapper around the mock's HTTP handler), and checks that every fault is detected by
// a failing scenario of the operation it breaks.
package selftest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/openapi"
)

// Class is the kind of deviation a fault injects.
type Class string

const (
	ClassShape     Class = "shape"     // wrong success shape: a field missing, renamed, mistyped, out of its enum, contradicting the request
	ClassState     Class = "state"     // wrong state rule: success from a forbidden state, wrong resulting state, success doing nothing
	ClassAccess    Class = "access"    // wrong access rule: a caller served who must be refused
	ClassError     Class = "error"     // wrong error: status, shape, error_code or content type
	ClassTransport Class = "transport" // no answer, or intermittent 5xx on the call under test
	ClassStrict    Class = "strict"    // an undocumented extra field, caught in strict mode only
)

// Classes lists every class in report order.
func Classes() []Class {
	return []Class{ClassShape, ClassState, ClassAccess, ClassError, ClassTransport, ClassStrict}
}

// SeedOperations are the operations whose documentation pages the suite was built from (the registry's
// seed flag, x-dewconform-seed in the spec); the catalogue covers every class for each of them.
func SeedOperations() []string {
	var out []string
	for _, op := range openapi.Operations() {
		if op.Seed {
			out = append(out, op.Slug)
		}
	}
	return out
}

// Fault is one deviation, applied to the mock as an HTTP middleware.
type Fault struct {
	Name        string
	Class       Class
	Operation   string // the operation tag (without "@") whose scenarios must catch the fault
	Description string
	// Wrap returns the faulty handler around the mock. It is called once per run, so a fault may keep
	// state (per run) in the closure it builds.
	Wrap func(http.Handler) http.Handler
	// StrictOnly faults are detected only by a strict run; a run without strict must not detect them.
	StrictOnly bool
	// Rule is the ID of the rule (Rules()) the fault breaks; "" for the faults that predate the rules.
	Rule string
	// Proxy is the verdict the fault must reach through the proxy (ModeProxy); "" means VerdictFail.
	// Against the mock every fault must reach VerdictFail.
	Proxy Verdict
	// ProxyReason says why Proxy is not fail: which unconfirmed status or code is all that differs, or
	// what only the mock's control API reaches. Required when Proxy is set to anything but fail.
	ProxyReason string
	// Awaits, when set, is a fragment of the step expression (steps.StepExpressions) of the check that
	// catches the fault. While no step has it the fault is a known blind spot: it must be missed in every
	// mode (so that a check that catches it by accident is noticed) and counts as not gating; once the
	// step exists its declared verdicts bind like any other fault's.
	Awaits string
}

// Faults returns the catalogue: one entry per fault, so adding a fault is adding one entry. The wrappers
// use the default identities' tokens (the self-test authenticates with tokens).
func Faults() []Fault {
	ids := identity.Defaults()
	tok := tokens(ids)
	alice, bob, carol, dave, eve := tok["alice"], tok["bob"], tok["carol"], tok["dave"], tok["eve"]
	aliceID, _ := ids.ByName("alice")
	owner := replayer{token: alice, project: aliceID.ProjectID}
	const (
		cancel   = ops.CancelKeyDeletion
		revoke   = ops.RevokeGrant
		retire   = ops.RetireGrant
		restore  = ops.RestoreSecret
		schedule = ops.ScheduleKeyDeletion
	)
	return append([]Fault{
		// ---- shape --------------------------------------------------------------------------------
		{Name: "cancel-without-key-state", Class: ClassShape, Operation: cancel,
			Description: "cancel answers 200 without key_state",
			Wrap:        onSuccess(cancel, func(_ *http.Request, doc map[string]any) { delete(doc, "key_state") })},
		{Name: "cancel-key-id-camel-case", Class: ClassShape, Operation: cancel,
			Description: "cancel renames key_id to keyId",
			Wrap:        onSuccess(cancel, func(_ *http.Request, doc map[string]any) { doc["keyId"] = doc["key_id"]; delete(doc, "key_id") })},
		{Name: "cancel-key-state-number", Class: ClassShape, Operation: cancel,
			Description: "cancel answers key_state as the number 3 instead of the string \"3\"",
			Wrap:        onSuccess(cancel, func(_ *http.Request, doc map[string]any) { doc["key_state"] = 3 })},
		{Name: "cancel-key-state-9", Class: ClassShape, Operation: cancel,
			Description: "cancel answers key_state \"9\", outside the documented enum",
			Wrap:        onSuccess(cancel, func(_ *http.Request, doc map[string]any) { doc["key_state"] = "9" })},
		{Name: "cancel-other-key-id", Class: ClassShape, Operation: cancel,
			Description: "cancel answers the id of another key than the one in the request",
			Wrap: onSuccess(cancel, func(_ *http.Request, doc map[string]any) {
				if id, ok := doc["key_id"].(string); ok {
					doc["key_id"] = otherID(id)
				}
			})},
		{Name: "revoke-201", Class: ClassShape, Operation: revoke,
			Description: "revoke answers 201 instead of 200",
			Wrap: rewrite(revoke, func(_ *http.Request, a *answer) {
				if a.status == http.StatusOK {
					a.status = http.StatusCreated
				}
			})},
		{Name: "retire-204", Class: ClassShape, Operation: retire,
			Description: "retire answers 204 instead of 200",
			Wrap: rewrite(retire, func(_ *http.Request, a *answer) {
				if a.status == http.StatusOK {
					a.status, a.body = http.StatusNoContent, nil
				}
			})},
		{Name: "restore-without-secret", Class: ClassShape, Operation: restore,
			Description: "restore answers 200 with an empty object instead of {\"secret\": ...}",
			Wrap:        onSuccess(restore, func(_ *http.Request, doc map[string]any) { delete(doc, "secret") })},
		{Name: "restore-state-restored", Class: ClassShape, Operation: restore,
			Description: "restore answers secret.state \"RESTORED\", outside the documented enum",
			Wrap:        onSuccess(restore, func(_ *http.Request, doc map[string]any) { setIn(doc, "secret", "state", "RESTORED") })},
		{Name: "restore-other-name", Class: ClassShape, Operation: restore,
			Description: "restore answers secret.name of another secret than the one in the path",
			Wrap: onSuccess(restore, func(_ *http.Request, doc map[string]any) {
				if name, ok := member(doc, "secret")["name"].(string); ok {
					setIn(doc, "secret", "name", otherName(name))
				}
			})},
		{Name: "schedule-key-state-number", Class: ClassShape, Operation: schedule,
			Description: "schedule-key-deletion answers key_state as the number 4",
			Wrap:        onSuccess(schedule, func(_ *http.Request, doc map[string]any) { doc["key_state"] = 4 })},
		{Name: "create-grant-short-id", Class: ClassShape, Operation: ops.CreateGrant,
			Description: "create-grant answers a grant_id of 63 characters",
			Wrap: onSuccess(ops.CreateGrant, func(_ *http.Request, doc map[string]any) {
				if id, ok := doc["grant_id"].(string); ok && len(id) > 1 {
					doc["grant_id"] = id[1:]
				}
			})},
		{Name: "show-secret-state-lower-case", Class: ClassShape, Operation: ops.ShowSecret,
			Description: "show-secret answers secret.state in lower case (\"enabled\")",
			Wrap: onSuccess(ops.ShowSecret, func(_ *http.Request, doc map[string]any) {
				if s, ok := member(doc, "secret")["state"].(string); ok {
					setIn(doc, "secret", "state", strings.ToLower(s))
				}
			})},

		// ---- state --------------------------------------------------------------------------------
		{Name: "cancel-from-any-state", Class: ClassState, Operation: cancel,
			Description: "cancel of a key not pending deletion answers 200 {key_state \"3\"} and changes nothing",
			Wrap: rewrite(cancel, func(r *http.Request, a *answer) {
				if a.errorCode() == "KMS.1501" {
					*a = *jsonAnswer(http.StatusOK, map[string]string{"key_id": requestField(r, "key_id"), "key_state": "3"})
				}
			})},
		{Name: "cancel-leaves-pending", Class: ClassState, Operation: cancel,
			Description: "cancel answers 200 {key_state \"3\"} but leaves the key pending deletion (\"4\")",
			Wrap: on(cancel, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				if describeKey(next, r) == "4" {
					jsonAnswer(http.StatusOK, map[string]string{"key_id": requestField(r, "key_id"), "key_state": "3"}).write(w)
					return
				}
				next.ServeHTTP(w, r)
			})},
		{Name: "cancel-leaves-enabled", Class: ClassState, Operation: cancel,
			Description: "cancel answers key_state \"3\" but the key comes back enabled (\"2\")",
			Wrap: on(cancel, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				body := requestBody(r)
				a := capture(next, r)
				if a.status == http.StatusOK {
					side(next, r, http.MethodPost, kmsPath(r, ops.EnableKey), body)
				}
				a.write(w)
			})},
		{Name: "schedule-does-nothing", Class: ClassState, Operation: schedule,
			Description: "schedule-key-deletion answers 200 {key_state \"4\"} but the key stays as it was",
			Wrap: on(schedule, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				if s := describeKey(next, r); s == "2" || s == "3" || s == "5" {
					jsonAnswer(http.StatusOK, map[string]string{"key_id": requestField(r, "key_id"), "key_state": "4"}).write(w)
					return
				}
				next.ServeHTTP(w, r)
			})},
		{Name: "revoke-does-nothing", Class: ClassState, Operation: revoke,
			Description: "revoke answers 200 to an authenticated caller but the grant stays",
			Wrap:        okDoingNothing(revoke)},
		{Name: "retire-does-nothing", Class: ClassState, Operation: retire,
			Description: "retire answers 200 to an authenticated caller but the grant stays",
			Wrap:        okDoingNothing(retire)},
		{Name: "restore-from-enabled", Class: ClassState, Operation: restore,
			Description: "restore of a secret that is not pending deletion answers 200 instead of CSMS.0108",
			Wrap: on(restore, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				a := capture(next, r)
				if a.errorCode() == "CSMS.0108" {
					a = showSecret(next, r) // the secret as it is, still ENABLED: a valid success body
				}
				a.write(w)
			})},
		{Name: "restore-leaves-pending", Class: ClassState, Operation: restore,
			Description: "restore answers 200 {state ENABLED} but the secret stays PENDING_DELETE",
			Wrap: on(restore, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				shown := showSecret(next, r)
				if shown.status != http.StatusOK || member(shown.object(), "secret")["state"] != "PENDING_DELETE" {
					next.ServeHTTP(w, r)
					return
				}
				shown.edit(func(doc map[string]any) {
					setIn(doc, "secret", "state", "ENABLED")
					setIn(doc, "secret", "scheduled_delete_time", nil)
				})
				shown.write(w)
			})},
		{Name: "restore-keeps-scheduled-time", Class: ClassState, Operation: restore,
			Description: "a restored secret keeps its scheduled_delete_time",
			Proxy:       VerdictUnconfirmedDiffers,
			ProxyReason: "only scheduled_delete_time differs, and its null after a restore is unconfirmed (the page says null, its example shows a number)",
			Wrap:        keepScheduledTime},
		{Name: "schedule-secret-does-nothing", Class: ClassState, Operation: ops.ScheduleSecretDeletion,
			Description: "schedule-secret-deletion answers PENDING_DELETE but the secret stays ENABLED",
			Wrap: on(ops.ScheduleSecretDeletion, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				n, _ := decodeObject(requestBody(r))["recovery_window_in_days"].(json.Number)
				days, _ := n.Int64()
				shown := showSecret(next, r)
				if days < 7 || days > 30 || shown.status != http.StatusOK || member(shown.object(), "secret")["state"] != "ENABLED" {
					next.ServeHTTP(w, r)
					return
				}
				shown.edit(func(doc map[string]any) {
					setIn(doc, "secret", "state", "PENDING_DELETE")
					setIn(doc, "secret", "scheduled_delete_time", millis(time.Now().Add(time.Duration(days)*24*time.Hour)))
				})
				shown.write(w)
			})},

		// ---- access -------------------------------------------------------------------------------
		{Name: "revoke-by-non-creator", Class: ClassAccess, Operation: revoke,
			Description: "any user of the key's project may revoke (dave, bob, carol act as the creator)",
			Wrap:        asCaller(revoke, alice, dave, bob, carol)},
		{Name: "retire-by-stranger", Class: ClassAccess, Operation: retire,
			Description: "any user of the key's project may retire a grant (treated as its issuer)",
			Wrap:        asCaller(retire, alice, dave, bob, carol)},
		{Name: "revoked-grant-still-works", Class: ClassAccess, Operation: revoke,
			Description: "a revoked grant disappears from the list but the grantee may still create data keys",
			Wrap:        ghostGrants(revoke, identity.Defaults())},
		{Name: "retired-grant-still-works", Class: ClassAccess, Operation: retire,
			Description: "a retired grant disappears from the list but the grantee may still create data keys",
			Wrap:        ghostGrants(retire, identity.Defaults())},
		{Name: "cancel-across-projects", Class: ClassAccess, Operation: cancel,
			Description: "a user of another project (eve) may cancel the deletion of alice's key",
			Wrap:        asCaller(cancel, alice, eve)},
		{Name: "restore-across-projects", Class: ClassAccess, Operation: restore,
			Description: "a user of another project (eve) may restore alice's secret",
			Wrap:        asCaller(restore, alice, eve)},
		{Name: "cancel-without-credentials", Class: ClassAccess, Operation: cancel,
			Description: "cancel is served without credentials",
			Wrap:        anonymousServed(cancel, alice)},
		{Name: "restore-without-credentials", Class: ClassAccess, Operation: restore,
			Description: "restore is served without credentials",
			Wrap:        anonymousServed(restore, alice)},

		// ---- errors -------------------------------------------------------------------------------
		{Name: "cancel-1501-as-409", Class: ClassError, Operation: cancel,
			Description: "KMS.1501 comes with status 409 instead of 400",
			Wrap:        onCode(cancel, "KMS.1501", http.StatusConflict)},
		{Name: "cancel-1501-as-500", Class: ClassError, Operation: cancel,
			Description: "KMS.1501 comes with status 500 instead of 400",
			Wrap:        onCode(cancel, "KMS.1501", http.StatusInternalServerError)},
		{Name: "revoke-error-flattened", Class: ClassError, Operation: revoke,
			Description: "revoke's KMS errors are flat {error_code, error_msg} instead of nested under \"error\"",
			Wrap: onError(revoke, func(a *answer) {
				a.edit(func(doc map[string]any) {
					if inner := member(doc, "error"); inner != nil {
						delete(doc, "error")
						doc["error_code"], doc["error_msg"] = inner["error_code"], inner["error_msg"]
					}
				})
			})},
		{Name: "revoke-wrong-error-code", Class: ClassError, Operation: revoke,
			Description: "an unknown grant is KMS.0000 instead of KMS.2501",
			Wrap: onError(revoke, func(a *answer) {
				a.edit(func(doc map[string]any) {
					if inner := member(doc, "error"); inner != nil && inner["error_code"] == "KMS.2501" {
						inner["error_code"] = "KMS.0000"
					}
				})
			})},
		{Name: "revoke-403-as-400", Class: ClassError, Operation: revoke,
			Description: "a non-creator's revoke is refused with status 400 instead of 403",
			Proxy:       VerdictUnconfirmedDiffers,
			ProxyReason: "only the status differs, and 403 on a non-creator's revoke is unconfirmed: the refusal itself (4xx, grant in place) holds",
			Wrap:        onCode(revoke, "KMS.0306", http.StatusBadRequest)},
		{Name: "retire-error-code-missing", Class: ClassError, Operation: retire,
			Description: "retire's KMS errors carry no error_code",
			Wrap: onError(retire, func(a *answer) {
				a.edit(func(doc map[string]any) { delete(member(doc, "error"), "error_code") })
			})},
		{Name: "restore-error-nested", Class: ClassError, Operation: restore,
			Description: "restore's CSMS errors are nested under \"error\" instead of flat",
			Wrap: onError(restore, func(a *answer) {
				a.edit(func(doc map[string]any) {
					if code, ok := doc["error_code"].(string); ok && !strings.HasPrefix(code, "APIGW") {
						for k := range doc {
							delete(doc, k)
						}
						doc["error"] = map[string]any{"error_code": code, "error_msg": "error"}
					}
				})
			})},
		{Name: "restore-error-text-plain", Class: ClassError, Operation: restore,
			Description: "restore's errors are sent as text/plain",
			Wrap:        onError(restore, func(a *answer) { a.header.Set("Content-Type", "text/plain; charset=utf-8") })},

		// ---- transport ----------------------------------------------------------------------------
		{Name: "cancel-never-answers", Class: ClassTransport, Operation: cancel,
			Description: "cancel-key-deletion never answers", Wrap: hang(cancel)},
		{Name: "revoke-never-answers", Class: ClassTransport, Operation: revoke,
			Description: "revoke-grant never answers", Wrap: hang(revoke)},
		{Name: "retire-never-answers", Class: ClassTransport, Operation: retire,
			Description: "retire-grant never answers", Wrap: hang(retire)},
		{Name: "restore-never-answers", Class: ClassTransport, Operation: restore,
			Description: "RestoreSecret never answers", Wrap: hang(restore)},
		{Name: "cancel-intermittent-500", Class: ClassTransport, Operation: cancel,
			Description: "every other cancel-key-deletion answers 500", Wrap: flaky(cancel)},
		{Name: "revoke-intermittent-500", Class: ClassTransport, Operation: revoke,
			Description: "every other revoke-grant answers 500", Wrap: flaky(revoke)},
		{Name: "retire-intermittent-500", Class: ClassTransport, Operation: retire,
			Description: "every other retire-grant answers 500", Wrap: flaky(retire)},
		{Name: "restore-intermittent-500", Class: ClassTransport, Operation: restore,
			Description: "every other RestoreSecret answers 500", Wrap: flaky(restore)},

		// ---- gate: breaches that passed against a target not recognised as the mock (issue #11) ------
		{Name: "retire-by-outsider-effective", Class: ClassAccess, Operation: retire, Rule: "G-RETIRE-WHO",
			Description: "a retire refused to dave, carol (not the retiring principal), bob (without retire-grant) or eve is replayed as the creator: the grant is really retired and the caller gets 200",
			Wrap:        owner.onRefusal(retire, bob, carol, dave, eve)},
		{Name: "revoke-by-grantee-effective", Class: ClassAccess, Operation: revoke, Rule: "G-REVOKE-WHO",
			Description: "a revoke refused to the grantee (bob) is replayed as the creator: the grant is really revoked",
			Wrap:        owner.onRefusal(revoke, bob)},
		{Name: "cancel-by-other-project-effective", Class: ClassAccess, Operation: cancel, Rule: "G-CANCEL-PROJECT",
			Description: "a cancel refused to eve (another project, in hers or in alice's) is replayed as alice in alice's project: the deletion is really cancelled",
			Wrap:        owner.onRefusal(cancel, eve)},
		{Name: "cancel-without-rights-effective", Class: ClassAccess, Operation: cancel, Rule: "G-CANCEL-RIGHTS",
			Description: "a cancel refused to bob or carol (no KMS rights) is replayed as alice: the deletion is really cancelled",
			Wrap:        owner.onRefusal(cancel, bob, carol)},
		{Name: "restore-by-other-project-effective", Class: ClassAccess, Operation: restore, Rule: "G-RESTORE-PROJECT",
			Description: "a restore refused to eve (another project) is replayed as alice in alice's project: the secret is really restored",
			Wrap:        owner.onRefusal(restore, eve)},
		{Name: "describe-grant-allows-datakey", Class: ClassAccess, Operation: ops.CreateGrant, Rule: "G-GRANT-OPERATIONS",
			Description: "a grantee holding describe-key on a key may create data keys with it (refused create-datakey replayed as the grant's issuer)",
			Wrap:        grantWidens(ops.DescribeKey, ids)},
		{Name: "retire-403-as-200", Class: ClassError, Operation: retire, Rule: "G-RETIRE-REFUSED",
			Description: "a 403 on retire-grant is rewritten to 200 with an empty body; the grant stays (status only, no effect)",
			Wrap: rewrite(retire, func(_ *http.Request, a *answer) {
				if a.status == http.StatusForbidden {
					*a = *jsonAnswer(http.StatusOK, nil)
				}
			})},
		{Name: "retire-0306-as-2402", Class: ClassError, Operation: retire, Rule: "G-RETIRE-CODE",
			Description: "a refused retire says KMS.2402 instead of KMS.0306 (still 403, nothing changed)",
			Proxy:       VerdictUnconfirmedDiffers,
			ProxyReason: "only the error code differs, and KMS.0306 on a refused retire is unconfirmed: the refusal itself (4xx, grant in place) holds",
			Wrap: onError(retire, func(a *answer) {
				a.edit(func(doc map[string]any) {
					if inner := member(doc, "error"); inner != nil && inner["error_code"] == "KMS.0306" {
						inner["error_code"] = "KMS.2402"
					}
				})
			})},
		{Name: "list-keys-truncated-false-with-marker", Class: ClassShape, Operation: ops.ListKeys, Rule: "G-LIST-KEYS-PAGING",
			Description: "list-keys says truncated \"false\" on a page that is not the last, while next_marker names the next page",
			Awaits:      "walking the pages of the listing",
			Wrap: onSuccess(ops.ListKeys, func(_ *http.Request, doc map[string]any) {
				if doc["truncated"] == "true" {
					doc["truncated"] = "false"
				}
			})},
		{Name: "list-keys-drops-page-2-item", Class: ClassState, Operation: ops.ListKeys, Rule: "G-LIST-KEYS-PAGING",
			Description: "list-keys drops the last key of every page after the first (a request with a marker): keys go missing from a walk",
			Awaits:      "walking the pages of the listing",
			Wrap: on(ops.ListKeys, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
				paged := requestField(r, "marker") != "" // read before the mock consumes the body
				a := capture(next, r)
				if paged && a.status == http.StatusOK {
					// The last item: the mock lists by creation, so on the last page it is the newest key,
					// the one a scenario that just created its keys looks for.
					a.edit(func(doc map[string]any) {
						keys, _ := doc["keys"].([]any)
						details, _ := doc["key_details"].([]any)
						if len(keys) > 0 && len(details) == len(keys) {
							doc["keys"], doc["key_details"] = keys[:len(keys)-1], details[:len(details)-1]
						}
					})
				}
				a.write(w)
			})},
		{Name: "delete-secret-only-schedules", Class: ClassState, Operation: ops.DeleteSecret, Rule: "G-DELETE-SECRET-NOW",
			Description: "DeleteSecret answers 200 but only schedules the deletion in 30 days: the secret stays, PENDING_DELETE",
			Wrap:        scheduleInstead(30)},

		// ---- strict -------------------------------------------------------------------------------
		{Name: "cancel-extra-field", Class: ClassStrict, Operation: cancel, StrictOnly: true,
			Description: "cancel's 200 body carries an undocumented \"key_alias\"",
			Wrap:        onSuccess(cancel, func(_ *http.Request, doc map[string]any) { doc["key_alias"] = "restored" })},
		{Name: "revoke-extra-field", Class: ClassStrict, Operation: revoke, StrictOnly: true,
			Description: "revoke's 200 answer carries an undocumented JSON body {\"request_id\"}",
			Wrap:        successBody(revoke)},
		{Name: "retire-extra-field", Class: ClassStrict, Operation: retire, StrictOnly: true,
			Description: "retire's 200 answer carries an undocumented JSON body {\"request_id\"}",
			Wrap:        successBody(retire)},
		{Name: "restore-extra-field", Class: ClassStrict, Operation: restore, StrictOnly: true,
			Description: "restore's secret carries an undocumented \"restored_by\"",
			Wrap:        onSuccess(restore, func(_ *http.Request, doc map[string]any) { setIn(doc, "secret", "restored_by", "alice") })},
	}, slices.Concat(envelopeFaults(ids, owner, eve), versionFaults(tok), asymFaults())...)
}

// tokens maps identity names to their tokens.
func tokens(set identity.Set) map[string]string {
	out := map[string]string{}
	for _, id := range set.All() {
		out[id.Name] = id.Token
	}
	return out
}

// setIn sets doc[obj][k] when doc[obj] is an object.
func setIn(doc map[string]any, obj, k string, v any) {
	if m := member(doc, obj); m != nil {
		m[k] = v
	}
}

// otherID returns a well-formed key id that differs from id (its first hex digit changed).
func otherID(id string) string {
	if id == "" {
		return id
	}
	c := byte('0')
	if id[0] == '0' {
		c = '1'
	}
	return string(c) + id[1:]
}

// otherName returns a valid secret name that differs from name.
func otherName(name string) string {
	if len(name) >= 62 {
		name = name[:61]
	}
	return name + "-x"
}

// anonymousServed serves op's requests without credentials as if they came from the token's owner.
func anonymousServed(op, token string) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") == "" && r.Header.Get("Authorization") == "" {
			r.Header.Set("X-Auth-Token", token)
		}
		next.ServeHTTP(w, r)
	})
}

// successBody gives op's body-less 200 answers an undocumented JSON body.
func successBody(op string) middleware {
	return rewrite(op, func(_ *http.Request, a *answer) {
		if a.status == http.StatusOK {
			a.header.Set("Content-Type", "application/json")
			a.body = []byte(`{"request_id":"selftest0000000000000000000000000"}`)
		}
	})
}

// keepScheduledTime remembers the scheduled_delete_time of every secret it restores and shows it again
// on the restore answer and on every later show of that (ENABLED) secret.
func keepScheduledTime(next http.Handler) http.Handler {
	var mu sync.Mutex
	kept := map[string]any{} // secret path -> scheduled_delete_time before the restore
	inject := func(path string, a *answer) {
		mu.Lock()
		t, ok := kept[path]
		mu.Unlock()
		if ok && a.status == http.StatusOK {
			a.edit(func(doc map[string]any) {
				if member(doc, "secret")["state"] == "ENABLED" {
					setIn(doc, "secret", "scheduled_delete_time", t)
				}
			})
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch operationOf(r) {
		case ops.RestoreSecret:
			before, _ := member(showSecret(next, r).object(), "secret")["scheduled_delete_time"].(json.Number)
			a := capture(next, r)
			if a.status == http.StatusOK && before != "" {
				mu.Lock()
				kept[secretPath(r)] = before
				mu.Unlock()
			}
			inject(secretPath(r), a)
			a.write(w)
		case ops.ShowSecret:
			a := capture(next, r)
			inject(secretPath(r), a)
			a.write(w)
		case ops.ScheduleSecretDeletion:
			mu.Lock()
			delete(kept, secretPath(r))
			mu.Unlock()
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// ghostGrants makes the grants removed by op (revoke-grant or retire-grant) keep working: they vanish from
// the lists, but a create-datakey their grantee is refused is replayed with the grant issuer's token.
func ghostGrants(op string, ids identity.Set) middleware {
	type grant struct{ key, grantee, issuerToken string }
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		grants := map[string]grant{}     // grant id -> grant
		ghosts := map[[2]string]string{} // {key id, grantee user id} -> issuer token
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := requestBody(r)
			req := decodeObject(body)
			key, _ := req["key_id"].(string)
			a := capture(next, r)
			switch operationOf(r) {
			case ops.CreateGrant:
				grantee, _ := req["grantee_principal"].(string)
				if id, ok := a.object()["grant_id"].(string); ok && a.status == http.StatusOK {
					mu.Lock()
					grants[id] = grant{key: key, grantee: grantee, issuerToken: r.Header.Get("X-Auth-Token")}
					mu.Unlock()
				}
			case op:
				id, _ := req["grant_id"].(string)
				mu.Lock()
				if g, ok := grants[id]; ok && a.status == http.StatusOK && g.key == key {
					ghosts[[2]string{g.key, g.grantee}] = g.issuerToken
				}
				mu.Unlock()
			case ops.CreateDatakey:
				caller, _ := ids.ByToken(r.Header.Get("X-Auth-Token"))
				mu.Lock()
				issuer, ok := ghosts[[2]string{key, caller.UserID}]
				mu.Unlock()
				if ok && a.status == http.StatusForbidden {
					r.Header.Set("X-Auth-Token", issuer)
					r.Body = http.NoBody
					a = side(next, r, r.Method, r.URL.Path, body)
				}
			}
			a.write(w)
		})
	}
}

// replayer performs a refused request again as the owner of the resources (the scenarios' alice), in
// her project: the forbidden change really happens.
type replayer struct{ token, project string }

// onRefusal replays op's requests made with one of the from tokens that the mock refuses (4xx) as the
// owner, in the owner's project; when the replay succeeds the caller gets its answer, so the refusal
// becomes a success with the full effect. Other refusals and callers are left alone.
func (o replayer) onRefusal(op string, from ...string) middleware {
	return on(op, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Auth-Token")
		body := requestBody(r)
		a := capture(next, r)
		if a.status < 400 || a.status >= 500 || tok == "" || !slices.Contains(from, tok) {
			a.write(w)
			return
		}
		parts := strings.Split(r.URL.Path, "/")
		if len(parts) > 2 {
			parts[2] = o.project
		}
		req := r.Clone(r.Context())
		req.Header.Set("X-Auth-Token", o.token)
		if replay := side(next, req, r.Method, strings.Join(parts, "/"), body); replay.status/100 == 2 {
			a = replay
		}
		a.write(w)
	})
}

// grantWidens lets a grantee whose grant on a key lists op (and not create-datakey) create data keys
// with it: a refused create-datakey of such a grantee is replayed with the grant issuer's token.
func grantWidens(op string, ids identity.Set) middleware {
	return func(next http.Handler) http.Handler {
		var mu sync.Mutex
		issuers := map[[2]string]string{} // {key id, grantee user id} -> issuer token
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := requestBody(r)
			req := decodeObject(body)
			key, _ := req["key_id"].(string)
			a := capture(next, r)
			switch operationOf(r) {
			case ops.CreateGrant:
				grantee, _ := req["grantee_principal"].(string)
				granted, _ := req["operations"].([]any)
				if a.status == http.StatusOK && slices.Contains(granted, any(op)) && !slices.Contains(granted, any(ops.CreateDatakey)) {
					mu.Lock()
					issuers[[2]string{key, grantee}] = r.Header.Get("X-Auth-Token")
					mu.Unlock()
				}
			case ops.CreateDatakey:
				caller, _ := ids.ByToken(r.Header.Get("X-Auth-Token"))
				mu.Lock()
				issuer, ok := issuers[[2]string{key, caller.UserID}]
				mu.Unlock()
				if ok && a.status == http.StatusForbidden {
					req := r.Clone(r.Context())
					req.Header.Set("X-Auth-Token", issuer)
					a = side(next, req, r.Method, r.URL.Path, body)
				}
			}
			a.write(w)
		})
	}
}

// scheduleInstead turns DeleteSecret into a scheduled deletion after days: the caller gets DeleteSecret's
// 200 without a body, the secret stays, pending deletion.
func scheduleInstead(days int) middleware {
	return on(ops.DeleteSecret, func(next http.Handler, w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]int{"recovery_window_in_days": days})
		a := side(next, r, http.MethodPost, secretPath(r)+"/scheduled-deleted-tasks/create", body)
		if a.status != http.StatusOK {
			next.ServeHTTP(w, r) // nothing to schedule (unknown secret, refused caller): the mock's own answer
			return
		}
		w.Header().Set("X-Request-Id", a.header.Get("X-Request-Id"))
		w.WriteHeader(http.StatusOK)
	})
}
