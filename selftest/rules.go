package selftest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/steps"
)

// Mode is how the self-test reaches the faulty mock.
type Mode string

const (
	// ModeMock runs against the mock with its control API: the runner knows it is the mock and expects it
	// to be exact, so every difference gates, the unconfirmed ones included.
	ModeMock Mode = "mock"
	// ModeProxy runs through a plain reverse proxy that hides the control API and the mock's health
	// endpoint: the runner treats the target as a real service, skips @mock-only scenarios and lets an
	// unconfirmed assertion that differs end as unconfirmed-differs instead of a fail.
	ModeProxy Mode = "proxy"
)

// Modes lists every mode in report order.
func Modes() []Mode { return []Mode{ModeMock, ModeProxy} }

// Verdict is what a fault's run must end in, in one mode.
type Verdict string

const (
	// VerdictFail: the run gates (exit 1) with a fail (for transport faults a fail or an error) of a
	// scenario of the fault's operation.
	VerdictFail Verdict = "fail"
	// VerdictUnconfirmedDiffers: the deviation lies entirely in an unconfirmed status or error code, so
	// the run does not gate (exit 0) but shows an unconfirmed-differs scenario of the fault's operation.
	VerdictUnconfirmedDiffers Verdict = "unconfirmed-differs"
	// VerdictMockOnly: only the mock's control API (or a resource only the mock can create) reaches the
	// fault; the fault is not run in that mode.
	VerdictMockOnly Verdict = "mock-only"
)

// Verdicts lists every verdict in report order.
func Verdicts() []Verdict {
	return []Verdict{VerdictFail, VerdictUnconfirmedDiffers, VerdictMockOnly}
}

// Want returns the verdict f must reach in mode m: always fail against the mock (it gates its own
// unconfirmed choices), the declared Proxy verdict (fail when empty) through the proxy.
func (f Fault) Want(m Mode) Verdict {
	if m == ModeProxy && f.Proxy != "" {
		return f.Proxy
	}
	return VerdictFail
}

// Rule is one behaviour the suite must enforce, named by a short ID that faults refer to (Fault.Rule):
// every rule has at least one fault that breaks it, so the self-test proves the suite enforces it.
type Rule struct {
	ID        string
	Operation string // the operation slug the rule is about
	Text      string
}

// Rules returns every rule, family by family. A family adds its list here and its faults to Faults().
func Rules() []Rule {
	var out []Rule
	for _, family := range [][]Rule{gateRules(), envelopeRules(), versionRules(), asymRules()} {
		out = append(out, family...)
	}
	return out
}

// gateRules are the rules whose breaches issue #11 measured passing against a target that is not the
// mock: refusals whose effect or status went unchecked, paging, DeleteSecret's immediacy.
func gateRules() []Rule {
	return []Rule{
		{ID: "G-RETIRE-WHO", Operation: ops.RetireGrant,
			Text: "only the grant's creator, its retiring principal or a grantee holding retire-grant may retire it; anyone else is refused and the grant stays"},
		{ID: "G-RETIRE-REFUSED", Operation: ops.RetireGrant,
			Text: "a refused retire is a 4xx, never a success without the effect"},
		{ID: "G-RETIRE-CODE", Operation: ops.RetireGrant,
			Text: "a retire by a user without the right is refused with KMS.0306 (unconfirmed)"},
		{ID: "G-REVOKE-WHO", Operation: ops.RevokeGrant,
			Text: "the grantee may not revoke its grant; the refusal leaves the grant in place"},
		{ID: "G-CANCEL-PROJECT", Operation: ops.CancelKeyDeletion,
			Text: "a user of another project cannot cancel the deletion of a key; the key stays pending deletion"},
		{ID: "G-CANCEL-RIGHTS", Operation: ops.CancelKeyDeletion,
			Text: "a user without KMS rights cannot cancel the deletion of a key; the key stays pending deletion"},
		{ID: "G-RESTORE-PROJECT", Operation: ops.RestoreSecret,
			Text: "a user of another project cannot restore a secret; the secret stays pending deletion"},
		{ID: "G-GRANT-OPERATIONS", Operation: ops.CreateGrant,
			Text: "a grant lets its grantee do the granted operations only: describe-key does not allow create-datakey"},
		{ID: "G-LIST-KEYS-PAGING", Operation: ops.ListKeys,
			Text: "list-keys pages consistently: truncated \"false\" only on the last page, without a next_marker; every key on some page"},
		{ID: "G-DELETE-SECRET-NOW", Operation: ops.DeleteSecret,
			Text: "DeleteSecret deletes at once: the secret is gone, not scheduled for deletion"},
	}
}

// CatalogueSummary states the catalogue's size and, per mode, how many faults are due each verdict (as
// declared, known blind spots included), and how many are blind spots now (Blind): the sentence the README
// quotes, generated here so that it cannot drift.
func CatalogueSummary(faults []Fault) string {
	blind := 0
	for _, f := range faults {
		if f.Blind() {
			blind++
		}
	}
	var parts []string
	for _, m := range Modes() {
		var counts []string
		for _, v := range Verdicts() {
			n := 0
			for _, f := range faults {
				if f.Want(m) == v {
					n++
				}
			}
			if n > 0 {
				counts = append(counts, fmt.Sprintf("%d %s", n, v))
			}
		}
		parts = append(parts, fmt.Sprintf("%s mode: %s", m, strings.Join(counts, ", ")))
	}
	summary := fmt.Sprintf("%d faults; %s.", len(faults), strings.Join(parts, "; "))
	if blind > 0 {
		summary += fmt.Sprintf(" %d of them are known blind spots: they bind only once the steps offer the check they await.", blind)
	}
	return summary
}

// blindSpot says whether f awaits a check the steps do not offer yet.
func blindSpot(f Fault, stepExprs []string) bool {
	return f.Awaits != "" && !slices.ContainsFunc(stepExprs, func(e string) bool { return strings.Contains(e, f.Awaits) })
}

// Blind says whether f is a known blind spot now: it awaits a check the steps do not offer yet.
func (f Fault) Blind() bool { return blindSpot(f, steps.StepExpressions()) }
