package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cucumber/godog"

	csmsapi "github.com/dewconform/dewconform/gen/csms"
	kmsapi "github.com/dewconform/dewconform/gen/kms"
	"github.com/dewconform/dewconform/identity"
)

// anonymous is the caller without credentials.
const anonymous = "anonymous"

// World is the state of one scenario. godog runs a scenario's steps one after the other, so the World
// needs no lock; it is never shared with another scenario.
type World struct {
	s        *Suite
	ref      ScenarioRef
	plan     Plan // whether the scenario shares the run's keys
	stepText string
	stepFrom int // index of the current step's first exchange

	kms  *kmsapi.ClientWithResponses
	csms *csmsapi.ClientWithResponses

	key       *keyRef // "that key"
	otherKey  *keyRef // "the other key"
	grant     *grantRef
	secret    *secretRef
	cipher    string      // "that cipher text"
	dataKey   *dataKey    // "that data key" (envelope_steps.go)
	asym      asymState   // "that signature" and what it was made over (asym_steps.go)
	keyList   []*keyRef   // "the scenario's keys" ("alice has 3 keys")
	grantList []*grantRef // "the scenario's grants" ("... on that key 3 times")

	listing *listing // how to page on from the listing call under test
	walked  *walked  // what the last walk of the whole listing counted

	wrongCreds map[string]bool   // actor -> the When calls use wrong credentials
	addresses  map[string]string // actor -> identity whose project the When calls address

	last       *response
	exchanges  []Exchange
	violations []*ContractViolation // of the current step
	cleanups   []cleanup
}

type keyRef struct {
	id    string
	owner string
	alias string
}

type grantRef struct {
	id      string
	keyID   string
	owner   string // the key's creator, who may revoke it
	grantee string
}

type secretRef struct {
	name     string
	owner    string
	value    string            // the value of v1
	versions map[string]string // version id -> the value the scenario stored in it (v1 once any other is)
}

type cleanup struct {
	what string
	run  func(ctx context.Context) error
}

func (w *World) before(ctx context.Context, sc *godog.Scenario) (context.Context, error) {
	w.ref = ScenarioRef{ID: sc.Id, Name: sc.Name, URI: sc.Uri}
	for _, t := range sc.Tags {
		w.ref.Tags = append(w.ref.Tags, t.Name)
	}
	w.wrongCreds = map[string]bool{}
	w.addresses = map[string]string{}
	if w.s.planner != nil {
		texts := make([]string, len(sc.Steps))
		for i, st := range sc.Steps {
			texts[i] = st.Text
		}
		w.plan = w.s.planner.Plan(texts)
	}
	client := doer{w: w}
	var err error
	w.kms, err = kmsapi.NewClientWithResponses(w.s.cfg.KMSEndpoint, kmsapi.WithHTTPClient(client), kmsapi.WithRequestEditorFn(w.authorize))
	if err != nil {
		return ctx, fmt.Errorf("kms client: %w", err)
	}
	w.csms, err = csmsapi.NewClientWithResponses(w.s.cfg.CSMSEndpoint, csmsapi.WithHTTPClient(client), csmsapi.WithRequestEditorFn(w.authorize))
	if err != nil {
		return ctx, fmt.Errorf("csms client: %w", err)
	}
	// A scenario that cannot run against this target is skipped before its first step, with the reason.
	if reason := w.skipReason(sc); reason != "" {
		if w.s.cfg.Observer != nil {
			w.s.cfg.Observer.Skipped(w.ref, reason)
		}
		return ctx, fmt.Errorf("%w: %s", godog.ErrSkip, reason)
	}
	return ctx, nil
}

// skipReason says why the scenario cannot run against this target, or "".
func (w *World) skipReason(sc *godog.Scenario) string {
	for _, t := range sc.Tags {
		if t.Name == "@mock-only" && !w.s.cfg.Control {
			return "needs the mock's control API (@mock-only), which the target does not offer"
		}
	}
	var missing []string
	seen := map[string]bool{}
	for _, st := range sc.Steps {
		for _, name := range mentionedRoles(st.Text, w.s.roles) {
			if seen[name] {
				continue
			}
			seen[name] = true
			if _, ok := w.identity(name); !ok {
				missing = append(missing, name)
			} else if reason := w.unusable(name); reason != "" {
				missing = append(missing, name+" ("+reason+")")
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return "needs identities the configuration lacks: " + strings.Join(missing, ", ")
	}
	return ""
}

var wordPattern = regexp.MustCompile(`[A-Za-z0-9_]+`)

func mentionedRoles(text string, roles []string) []string {
	var out []string
	for _, word := range wordPattern.FindAllString(text, -1) {
		for _, r := range roles {
			if strings.EqualFold(word, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// unusable says why an identity cannot authenticate in the suite's auth mode, or "".
func (w *World) unusable(name string) string {
	id, _ := w.identity(name)
	switch w.s.cfg.Auth {
	case AuthAKSK:
		if id.AK == "" || id.SK == "" {
			return "no AK/SK"
		}
	default:
		if id.Token == "" {
			return "no token"
		}
	}
	if w.projectOf(id) == "" {
		return "no project"
	}
	return ""
}

func (w *World) identity(name string) (identity.Identity, bool) {
	return w.s.cfg.Identities.ByName(name)
}

func (w *World) projectOf(id identity.Identity) string {
	if id.ProjectID != "" {
		return id.ProjectID
	}
	return w.s.cfg.ProjectID
}

// project returns the project a call by actor addresses: the actor's own, the one a Given step made it
// address (for the call under test only), or, for anonymous callers, the project of the resource at hand.
func (w *World) project(actor string, purpose Purpose) string {
	if purpose == PurposeAct {
		if other, ok := w.addresses[actor]; ok {
			actor = other
		}
	}
	if actor == anonymous {
		switch {
		case w.key != nil:
			actor = w.key.owner
		case w.secret != nil:
			actor = w.secret.owner
		default:
			if p, ok := w.s.cfg.Identities.Primary(); ok {
				actor = p.Name
			}
		}
	}
	id, _ := w.identity(actor)
	return w.projectOf(id)
}

// afterStep fails a step whose calls broke the contract. Undocumented fields fail only in strict mode;
// every violation goes to the Observer.
func (w *World) afterStep(ctx context.Context, st *godog.Step, status godog.StepResultStatus, stepErr error) (context.Context, error) {
	defer func() { w.stepFrom = len(w.exchanges) }()
	vs := w.violations
	w.violations = nil
	var failing []error
	for _, v := range vs {
		if w.s.cfg.Observer != nil {
			w.s.cfg.Observer.Violation(w.ref, *v)
		}
		if !v.Undocumented || w.s.cfg.Strict {
			failing = append(failing, v)
		}
	}
	err := errors.Join(failing...)
	if (err != nil || status == godog.StepFailed || stepErr != nil) && w.stepFrom < len(w.exchanges) {
		// The cucumber report carries the (redacted) calls of a failed step.
		if body, jerr := json.MarshalIndent(w.exchanges[w.stepFrom:], "", "  "); jerr == nil {
			ctx = godog.Attach(ctx, godog.Attachment{Body: body, FileName: "exchanges.json", MediaType: "application/json"})
		}
	}
	return ctx, err
}

// after runs the cleanup stack, newest first, whatever the scenario's outcome.
func (w *World) after(ctx context.Context, sc *godog.Scenario, scenarioErr error) (context.Context, error) {
	// The scenario's context may be cancelled already; cleanup must still run.
	cctx := context.WithoutCancel(ctx)
	for i := len(w.cleanups) - 1; i >= 0; i-- {
		c := w.cleanups[i]
		w.stepText = "cleanup: " + c.what
		if err := c.run(cctx); err != nil && w.s.cfg.Observer != nil {
			w.s.cfg.Observer.Cleanup(w.ref, c.what, err)
		}
	}
	w.cleanups = nil
	// Cleanup answers are validated and reported like any other, but they do not change the verdict.
	for _, v := range w.violations {
		if w.s.cfg.Observer != nil {
			w.s.cfg.Observer.Violation(w.ref, *v)
		}
	}
	w.violations = nil
	return ctx, nil
}

func (w *World) onCleanup(what string, run func(ctx context.Context) error) {
	w.cleanups = append(w.cleanups, cleanup{what: what, run: run})
}

// Exchanges returns the scenario's recorded (redacted) exchanges.
func (w *World) Exchanges() []Exchange { return append([]Exchange(nil), w.exchanges...) }

// beforeStep keeps the current step's text for the exchanges.
func (w *World) beforeStep(ctx context.Context, st *godog.Step) (context.Context, error) {
	w.stepText = st.Text
	w.stepFrom = len(w.exchanges)
	return ctx, nil
}
