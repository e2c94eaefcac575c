package features_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	messages "github.com/cucumber/messages/go/v21"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/steps"
)

// TestEveryGivenStepIsInTheCreationTable: the runner estimates what a run creates (--max-keys,
// --max-secrets, the quota check) from the table of steps.CreationExpressions; a Given step missing
// from it would be counted as creating nothing.
func TestEveryGivenStepIsInTheCreationTable(t *testing.T) {
	vocabulary := steps.StepExpressions()
	var table []*regexp.Regexp
	for _, expr := range steps.CreationExpressions() {
		assert.Contains(t, vocabulary, expr, "the creation table names a step the vocabulary does not have")
		table = append(table, regexp.MustCompile(expr))
	}
	for _, sc := range load(t) {
		for i, text := range sc.steps {
			if sc.kinds[i] != messages.PickleStepType_CONTEXT {
				continue
			}
			assert.True(t, slices.ContainsFunc(table, func(re *regexp.Regexp) bool { return re.MatchString(text) }),
				"%s: the Given step %q is not in the creation table (steps/pool.go creations)", sc, text)
		}
	}
}

// writeWords are what a step that changes a key, relies on its state, or could name it in a hand-built
// request says: a second opinion, in words, on the planner's table of read-only steps.
var writeWords = regexp.MustCompile(`\b(grant|granted|grants|revokes|retires|schedules|cancels|enables|disables|state|clock|sends|lists|listed|listing|pages|can|cannot|another|other|pending|keys)\b`)

// TestScenariosSharingKeysMakeNoWrite: the scenarios that use the run's shared keys make no write at all
// involving a key (no grant, no state change, no hand-built request) and check no effect or listing;
// and the pool is used (a vocabulary change that shares no key any more shows here).
func TestScenariosSharingKeysMakeNoWrite(t *testing.T) {
	p := steps.NewPlanner()
	var sharing, private int
	for _, sc := range load(t) {
		plan := p.Plan(sc.steps)
		if !plan.SharesKeys {
			if slices.ContainsFunc(sc.steps, func(s string) bool { return strings.HasSuffix(s, " has a key") }) {
				private++
			}
			continue
		}
		sharing++
		require.NotEmpty(t, plan.PoolActors, sc.String())
		for _, text := range sc.steps {
			assert.False(t, writeWords.MatchString(text), "%s shares the run's keys but its step %q may write to a key or check an effect", sc, text)
		}
		assert.Zero(t, plan.Creates.Keys, "%s: a scenario sharing keys creates no key of its own", sc)
	}
	// Most scenarios with a key grant on it or change it, so few share (5 when this was written).
	assert.GreaterOrEqual(t, sharing, 3, "scenarios sharing the run's keys")
	assert.Greater(t, private, 0, "scenarios keeping a private key")
	t.Logf("%d scenarios share the run's keys, %d keep a private one", sharing, private)
}
