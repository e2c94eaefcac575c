package steps

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/cucumber/godog"

	kmsapi "github.com/dewconform/dewconform/gen/kms"
)

// A run creates as few resources as the rules allow: on a real account keys are billed by the hour and
// count against a quota (a key pending deletion too, for 7 days). A scenario that makes no write at all
// involving its key (no grant, no state change, no hand-built request that could name the key, nothing a
// listing or an effect check relies on) uses a key of the run's pool: one key per actor, created by the
// first such scenario and scheduled for deletion when the run ends (Suite.ReleasePool). Which scenarios
// qualify is read from the step vocabulary below, and so is the estimate of what a run creates.

// Resources counts what steps create.
type Resources struct {
	Keys, Secrets, Grants int
}

// Add returns the sum.
func (r Resources) Add(o Resources) Resources {
	return Resources{Keys: r.Keys + o.Keys, Secrets: r.Secrets + o.Secrets, Grants: r.Grants + o.Grants}
}

const whoExpr = `(\w+)`

// hasKeyExpr is the one step a scenario sharing keys may create its key with.
const hasKeyExpr = `^` + whoExpr + ` has a key$`

// creation is one row of the table of steps that may create resources: what a step of the expression
// creates at most (the call under test counts as creating, should the target accept it), from the step's
// arguments.
type creation struct {
	expr    string
	creates func(args []string) Resources
}

func nKeys(i int) func([]string) Resources {
	return func(args []string) Resources { n, _ := strconv.Atoi(args[i]); return Resources{Keys: n} }
}
func nGrants(i int) func([]string) Resources {
	return func(args []string) Resources { n, _ := strconv.Atoi(args[i]); return Resources{Grants: n} }
}
func one(r Resources) func([]string) Resources { return func([]string) Resources { return r } }

var (
	aKey    = one(Resources{Keys: 1})
	aGrant  = one(Resources{Grants: 1})
	aSecret = one(Resources{Secrets: 1})
	nothing = one(Resources{})
)

// handBuiltCreates is what a hand-built request to the operation (args[2]) creates at most.
func handBuiltCreates(args []string) Resources {
	switch args[2] {
	case "create-key":
		return Resources{Keys: 1}
	case "create-grant":
		return Resources{Grants: 1}
	case "create-secret":
		return Resources{Secrets: 1}
	}
	return Resources{}
}

// creations lists every Given step, and every When step that may create something. A test checks that
// every Given step the features use is here and that every expression here is in the vocabulary.
func creations() []creation {
	return []creation{
		{hasKeyExpr, aKey},
		{`^` + whoExpr + ` has (\d+) keys$`, nKeys(2)},
		{`^` + whoExpr + ` has another key$`, aKey},
		{`^` + whoExpr + ` has a key in state "([^"]*)"$`, aKey},
		{`^` + whoExpr + ` has a key pending deletion$`, aKey},
		{`^that key has been put in state "([^"]*)"$`, nothing},
		{`^` + whoExpr + ` has granted ` + whoExpr + ` "([^"]*)" on that key$`, aGrant},
		{`^` + whoExpr + ` has granted ` + whoExpr + ` "([^"]*)" on that key with ` + whoExpr + ` as retiring principal$`, aGrant},
		{`^` + whoExpr + ` has granted ` + whoExpr + ` "([^"]*)" on that key (\d+) times$`, nGrants(4)},
		{`^` + whoExpr + ` has a secret$`, aSecret},
		{`^` + whoExpr + ` has a secret in state "([^"]*)"$`, aSecret},
		{`^` + whoExpr + ` has a secret pending deletion$`, aSecret},
		{`^` + whoExpr + ` has a secret of type "([^"]*)"$`, aSecret},
		{`^` + whoExpr + ` has added (\d+) versions? to that secret$`, nothing}, // versions live in the secret
		{`^` + whoExpr + ` has put the stage "([^"]*)" on version "([^"]*)" of that secret$`, nothing},
		{`^` + whoExpr + ` has a key "([A-Z0-9_]+)" for "([A-Z_]+)"$`, aKey},
		{`^` + whoExpr + ` has a MAC key "([A-Z0-9_]+)"$`, aKey},
		{`^` + whoExpr + ` has a key agreement key "(EC_P256|EC_P384)"$`, aKey},
		{`^` + whoExpr + ` has a data key of that key$`, nothing}, // a data key is the caller's, not the service's
		{`^` + whoExpr + ` has a data key of that key bound to "([^"]*)"$`, nothing},
		{`^` + whoExpr + ` has a data key without plaintext of that key$`, nothing},
		{`^that data key has been tampered with$`, nothing},
		{`^` + whoExpr + ` has signed the message "([^"]*)" with that key using "([A-Z0-9_]+)"$`, nothing},
		{`^` + whoExpr + ` has encrypted "([^"]*)" outside the service with the public key of that key$`, nothing},
		{`^` + whoExpr + `'s credentials are wrong$`, nothing},
		{`^` + whoExpr + ` addresses ` + whoExpr + `'s project$`, nothing},
		{thenExpr(`^` + whoExpr + ` can create a data key with that key$`), nothing}, // a check, used as a Given too
		{`^` + whoExpr + ` creates a key$`, aKey},
		{`^` + whoExpr + ` creates a key with origin "([^"]*)"$`, aKey},
		{`^` + whoExpr + ` creates a key with the alias "([^"]*)"$`, aKey},
		{`^` + whoExpr + ` grants ` + whoExpr + ` "([^"]*)" on that key$`, aGrant},
		{`^` + whoExpr + ` creates a secret$`, aSecret},
		{`^` + whoExpr + ` creates a secret named "([^"]*)"$`, aSecret},
		{`^` + whoExpr + ` creates a secret with the same name$`, aSecret},
		{`^` + whoExpr + ` sends to ([a-z-]+) the body:$`, handBuiltCreates},
		{`^` + whoExpr + ` sends to ([a-z-]+) a body of (\d+) (KiB|MiB)$`, handBuiltCreates},
	}
}

// keyReadOnly lists the expressions a scenario sharing keys may use: they neither change a key nor rely
// on a key being the scenario's own. Everything else (grants, state changes, listings, effect checks,
// hand-built requests, the mock's clock) keeps a private key.
func keyReadOnly() []string {
	return []string{
		hasKeyExpr,
		`^` + whoExpr + `'s credentials are wrong$`,
		`^` + whoExpr + ` addresses ` + whoExpr + `'s project$`,
		`^` + whoExpr + ` describes that key$`,
		`^` + whoExpr + ` describes the key "([^"]*)"$`,
		`^` + whoExpr + ` creates a data key with that key$`,
		`^` + whoExpr + ` encrypts "([^"]*)" with that key$`,
		`^` + whoExpr + ` decrypts that cipher text$`,
		thenExpr(`^the call is refused$`),
		thenExpr(`^the response status is (\d+)$`),
		thenExpr(`^the error code is "([^"]*)"$`),
		thenExpr(`^the response's ([a-z_.0-9]+) is "([^"]*)"$`),
		thenExpr(`^the response's ([a-z_.0-9]+) is null$`),
		thenExpr(`^the response's ([a-z_.0-9]+) is that key's id$`),
		thenExpr(`^the response's ([a-z_.0-9]+) has (\d+) hexadecimal characters$`),
	}
}

// CreationExpressions lists the expressions of the table of steps that create resources.
func CreationExpressions() []string {
	var out []string
	for _, c := range creations() {
		out = append(out, c.expr)
	}
	return out
}

// Planner reads, from a scenario's step texts, whether it shares the run's keys and what it creates.
type Planner struct {
	creates  []compiledCreation
	readOnly []*regexp.Regexp
	hasKey   *regexp.Regexp
}

type compiledCreation struct {
	re      *regexp.Regexp
	creates func([]string) Resources
}

// NewPlanner compiles the tables.
func NewPlanner() *Planner {
	p := &Planner{hasKey: regexp.MustCompile(hasKeyExpr)}
	for _, c := range creations() {
		p.creates = append(p.creates, compiledCreation{regexp.MustCompile(c.expr), c.creates})
	}
	for _, e := range keyReadOnly() {
		p.readOnly = append(p.readOnly, regexp.MustCompile(e))
	}
	return p
}

// Plan is what one scenario will create.
type Plan struct {
	// SharesKeys says the scenario's "<actor> has a key" steps use the run's pool.
	SharesKeys bool
	// PoolActors are the actors whose pool key the scenario uses.
	PoolActors []string
	// Creates is what the scenario creates at most, its pool keys not counted.
	Creates Resources
}

// Plan reads a scenario's step texts.
func (p *Planner) Plan(texts []string) Plan {
	var plan Plan
	shares, hasKey := true, false
	for _, t := range texts {
		if m := p.hasKey.FindStringSubmatch(t); m != nil {
			hasKey = true
			if !slices.Contains(plan.PoolActors, m[1]) {
				plan.PoolActors = append(plan.PoolActors, m[1])
			}
		}
		if shares && !slices.ContainsFunc(p.readOnly, func(re *regexp.Regexp) bool { return re.MatchString(t) }) {
			shares = false
		}
	}
	plan.SharesKeys = shares && hasKey
	if !plan.SharesKeys {
		plan.PoolActors = nil
	}
	for _, t := range texts {
		if plan.SharesKeys && p.hasKey.MatchString(t) {
			continue
		}
		for _, c := range p.creates {
			if m := c.re.FindStringSubmatch(t); m != nil {
				plan.Creates = plan.Creates.Add(c.creates(m))
				break
			}
		}
	}
	return plan
}

// keyPool holds the run's shared keys, one per actor.
type keyPool struct {
	mu   sync.Mutex
	keys map[string]*keyRef // actor -> key
}

// pooledKey returns actor's key of the run's pool, creating it (through w, as a setup call) the first
// time. A failed creation is not kept: the next scenario tries again.
func (w *World) pooledKey(ctx context.Context, actor string) (*keyRef, error) {
	pool := w.s.pool
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if k, ok := pool.keys[actor]; ok {
		return k, nil
	}
	cctx, project := w.call(ctx, actor, PurposeSetup)
	alias := w.s.Prefix() + randomHex(6) // shaped as any key's: only the pool knows it is shared
	r, err := w.kms.CreateKeyWithResponse(cctx, project, kmsapi.CreateKeyRequestBody{KeyAlias: alias})
	if err != nil {
		return nil, fmt.Errorf("create the run's shared key of %s: %w", actor, err)
	}
	if r.JSON200 == nil {
		return nil, answerOf(r.HTTPResponse, r.Body).expect(actor+" creates the run's shared key", http.StatusOK)
	}
	k := &keyRef{id: r.JSON200.KeyInfo.KeyId, owner: actor, alias: alias}
	pool.keys[actor] = k
	return k, nil
}

// poolRef names the pool's own calls (creation is charged to the first scenario, release to this).
var poolRef = ScenarioRef{ID: "pool", Name: "the run's shared keys"}

// ReleasePool schedules the deletion of the run's shared keys; a key that cannot be is reported to the
// Observer as a cleanup problem, as a scenario's would be. It returns the number of keys the pool held.
func (s *Suite) ReleasePool(ctx context.Context) int {
	s.pool.mu.Lock()
	keys := make([]*keyRef, 0, len(s.pool.keys))
	for _, k := range s.pool.keys {
		keys = append(keys, k)
	}
	s.pool.keys = map[string]*keyRef{}
	s.pool.mu.Unlock()
	if len(keys) == 0 {
		return 0
	}
	w := &World{s: s}
	if _, err := w.before(ctx, &godog.Scenario{Id: poolRef.ID, Name: poolRef.Name}); err != nil {
		for _, k := range keys {
			s.reportCleanup("key "+k.id, err)
		}
		return len(keys)
	}
	for _, k := range keys {
		w.stepText = "cleanup: the run's shared key " + k.id
		if err := w.cleanupKey(ctx, k); err != nil {
			s.reportCleanup("key "+k.id, err)
		}
	}
	for _, v := range w.violations {
		if s.cfg.Observer != nil {
			s.cfg.Observer.Violation(poolRef, *v)
		}
	}
	return len(keys)
}

func (s *Suite) reportCleanup(what string, err error) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.Cleanup(poolRef, what, err)
	}
}
