package features_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/features"
	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/openapi"
	"github.com/dewconform/dewconform/steps"
)

// scenario is one pickle: a Scenario, or one Examples row of a Scenario Outline.
type scenario struct {
	uri   string
	name  string
	tags  []string
	steps []string
	kinds []messages.PickleStepType // of each step: Context (Given), Action (When), Outcome (Then)
}

func (s scenario) has(tag string) bool { return slices.Contains(s.tags, tag) }

func (s scenario) String() string { return fmt.Sprintf("%s: %q", s.uri, s.name) }

func load(t *testing.T) []scenario {
	t.Helper()
	var out []scenario
	ids := &messages.Incrementing{}
	err := fs.WalkDir(features.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		require.True(t, strings.HasSuffix(path, ".feature"), "only feature files belong under features/: %s", path)
		data, err := fs.ReadFile(features.FS, path)
		if err != nil {
			return err
		}
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(data), ids.NewId)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, p := range gherkin.Pickles(*doc, path, ids.NewId) {
			sc := scenario{uri: path, name: p.Name}
			for _, tag := range p.Tags {
				sc.tags = append(sc.tags, tag.Name)
			}
			for _, st := range p.Steps {
				sc.steps = append(sc.steps, st.Text)
				sc.kinds = append(sc.kinds, st.Type)
			}
			out = append(out, sc)
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, out)
	return out
}

// stepFor returns the steps' own expression of the phrase an example step text uses: the vocabulary is
// read from package steps, never restated here, and an example that no step matches fails loudly.
func stepFor(t *testing.T, example string) *regexp.Regexp {
	t.Helper()
	var found *regexp.Regexp
	for _, expr := range steps.StepExpressions() {
		re := regexp.MustCompile(expr)
		if re.MatchString(example) {
			require.Nil(t, found, "%q matches two steps: %s and %s", example, found, expr)
			found = re
		}
	}
	require.NotNil(t, found, "no step of package steps matches %q", example)
	return found
}

// vocabulary is the handful of phrases these checks read scenarios by.
type vocabulary struct {
	status, keyState, keyPutInState, plainKey, pendingKey, secretState, plainSecret, pendingSecret *regexp.Regexp
	clock                                                                                          []*regexp.Regexp
}

func newVocabulary(t *testing.T) vocabulary {
	return vocabulary{
		status:        stepFor(t, "the response status is 200"),
		keyState:      stepFor(t, `alice has a key in state "3"`),
		keyPutInState: stepFor(t, `that key has been put in state "3"`),
		plainKey:      stepFor(t, "alice has a key"),
		pendingKey:    stepFor(t, "alice has a key pending deletion"),
		secretState:   stepFor(t, `alice has a secret in state "ENABLED"`),
		plainSecret:   stepFor(t, "alice has a secret"),
		pendingSecret: stepFor(t, "alice has a secret pending deletion"),
		clock: []*regexp.Regexp{stepFor(t, "the mock's clock moves 1 days ahead for that key"),
			stepFor(t, "the mock's clock moves 1 days ahead for that secret")},
	}
}

// last returns the last submatch of re in s (the quoted argument of a step), and whether re matched.
func last(re *regexp.Regexp, s string) (string, bool) {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return m[len(m)-1], true
}

// needsControl tells whether a step can only be carried out through the mock's control API: the clock,
// and the key and secret states no client call reaches.
func (v vocabulary) needsControl(st string) bool {
	for _, re := range v.clock {
		if re.MatchString(st) {
			return true
		}
	}
	if s, ok := last(v.keyState, st); ok {
		return s == "1" || s == "7"
	}
	if s, ok := last(v.keyPutInState, st); ok {
		return s == "1" || s == "5" || s == "7"
	}
	if s, ok := last(v.secretState, st); ok {
		return s == "DISABLED" || s == "FROZEN"
	}
	return false
}

// keyStates lists the key states a scenario puts its key in.
func (v vocabulary) keyStates(sc scenario) []string {
	var out []string
	for _, st := range sc.steps {
		switch {
		case v.plainKey.MatchString(st):
			out = append(out, "2")
		case v.pendingKey.MatchString(st):
			out = append(out, "4")
		default:
			if s, ok := last(v.keyState, st); ok {
				out = append(out, s)
			} else if s, ok := last(v.keyPutInState, st); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func (v vocabulary) secretStates(sc scenario) []string {
	var out []string
	for _, st := range sc.steps {
		switch {
		case v.plainSecret.MatchString(st):
			out = append(out, "ENABLED")
		case v.pendingSecret.MatchString(st):
			out = append(out, "PENDING_DELETE")
		default:
			if s, ok := last(v.secretState, st); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

func (v vocabulary) statuses(sc scenario) []int {
	var out []int
	for _, st := range sc.steps {
		if s, ok := last(v.status, st); ok {
			n, _ := strconv.Atoi(s)
			out = append(out, n)
		}
	}
	return out
}

// clientProvokable is what a client can make the service answer; 429 and 5xx depend on the service's
// load and health, not on the request.
func clientProvokable(documented []int) []int {
	var out []int
	for _, s := range documented {
		if s != 429 && s < 500 {
			out = append(out, s)
		}
	}
	return out
}

// TestSeedOperationsAreCovered fails when a seed operation has a client-provokable documented status, or
// a key or secret state, that no scenario tagged with the operation exercises.
func TestSeedOperationsAreCovered(t *testing.T) {
	all := load(t)
	v := newVocabulary(t)
	seeds := 0
	for _, reg := range openapi.Operations() {
		if !reg.Seed {
			continue
		}
		seeds++
		op := reg.Slug
		t.Run(op, func(t *testing.T) {
			documented := reg.Documented
			require.NotEmpty(t, documented, "the spec documents no status for %s", op)
			gotStatus := map[int]bool{}
			gotState := map[string]bool{}
			n := 0
			for _, sc := range all {
				if !sc.has("@" + op) {
					continue
				}
				n++
				for _, s := range v.statuses(sc) {
					gotStatus[s] = true
				}
				for _, s := range v.keyStates(sc) {
					gotState[s] = true
				}
				for _, s := range v.secretStates(sc) {
					gotState[s] = true
				}
			}
			require.NotZero(t, n, "no scenario is tagged @%s", op)
			for _, s := range clientProvokable(documented) {
				assert.True(t, gotStatus[s], "no @%s scenario provokes the documented status %d", op, s)
			}
			want := []string{"2", "3", "4", "5", "7"}
			if reg.Service == "csms" {
				want = []string{"ENABLED", "DISABLED", "PENDING_DELETE"}
			}
			for _, s := range want {
				assert.True(t, gotState[s], "no @%s scenario exercises state %q", op, s)
			}
		})
	}
	require.NotZero(t, seeds, "the registry marks no seed operation (x-dewconform-seed)")
}

// TestTags checks every scenario's tags against the lead's tag list and the rules that tie tags to steps.
func TestTags(t *testing.T) {
	known := map[string]bool{"@kms": true, "@csms": true, "@multi-user": true, "@mock-only": true}
	for _, op := range openapi.Slugs() {
		known["@"+op] = true
	}
	v := newVocabulary(t)
	roleNames := identity.Defaults().Names()
	for _, sc := range load(t) {
		services := 0
		ops := 0
		for _, tag := range sc.tags {
			assert.True(t, known[tag], "%s: unknown tag %s", sc, tag)
			if tag == "@kms" || tag == "@csms" {
				services++
			}
			if slices.Contains(openapi.Slugs(), strings.TrimPrefix(tag, "@")) {
				ops++
			}
		}
		assert.Equal(t, 1, services, "%s: want exactly one of @kms, @csms", sc)
		assert.NotZero(t, ops, "%s: no operation tag", sc)

		roles := map[string]bool{}
		needsControl := false
		for _, st := range sc.steps {
			for _, word := range wordPattern.FindAllString(st, -1) {
				if slices.Contains(roleNames, word) {
					roles[word] = true
				}
			}
			needsControl = needsControl || v.needsControl(st)
		}
		names := slices.Sorted(maps.Keys(roles))
		assert.Equal(t, len(roles) > 1, sc.has("@multi-user"), "%s: @multi-user must be there exactly when more than one identity acts (%v)", sc, names)
		if needsControl {
			assert.True(t, sc.has("@mock-only"), "%s: uses the mock's control API but is not @mock-only", sc)
		}
	}
}

var wordPattern = regexp.MustCompile(`\w+`)

// TestNamesAreUnique keeps scenario names distinct per feature, since reports and baselines key on them.
func TestNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range load(t) {
		key := sc.uri + "\x00" + sc.name
		assert.False(t, seen[key], "%s: two scenarios share this name", sc)
		seen[key] = true
	}
}

// guardOperations checks that every operation has scenarios (count) unless exempt with a reason, and that
// no exemption outlives its reason: it returns one message per problem, each naming the operation.
func guardOperations(slugs []string, count map[string]int, exempt map[string]string, maxExempt int) []string {
	var out []string
	if len(exempt) > maxExempt {
		out = append(out, fmt.Sprintf("%d operations are exempt, at most %d may be: give them scenarios", len(exempt), maxExempt))
	}
	for _, slug := range slices.Sorted(maps.Keys(exempt)) {
		switch {
		case !slices.Contains(slugs, slug):
			out = append(out, fmt.Sprintf("%s: exempt, but the registry has no such operation", slug))
		case strings.TrimSpace(exempt[slug]) == "":
			out = append(out, fmt.Sprintf("%s: exempt without a reason", slug))
		case count[slug] > 0:
			out = append(out, fmt.Sprintf("%s: exempt, but %d scenarios are tagged @%s now: remove the exemption", slug, count[slug], slug))
		}
	}
	for _, slug := range slugs {
		if _, ok := exempt[slug]; !ok && count[slug] == 0 {
			out = append(out, fmt.Sprintf("%s: no scenario is tagged @%s: add features for the operation (or a reasoned exemption in steps.Exempt)", slug, slug))
		}
	}
	return out
}

// TestEveryOperationHasScenarios fails, naming the operation, when an operation of the registry (the
// specs) has no scenario tagged with its slug.
func TestEveryOperationHasScenarios(t *testing.T) {
	count := map[string]int{}
	for _, sc := range load(t) {
		for _, tag := range sc.tags {
			count[strings.TrimPrefix(tag, "@")]++
		}
	}
	for _, msg := range guardOperations(openapi.Slugs(), count, steps.Exempt(), steps.MaxExempt()) {
		t.Error(msg)
	}
}

// TestOperationGuard checks the guard itself on made-up counts: a missing operation, an exemption that
// is fine, one that outlived its reason, one without a reason, one of no operation, and too many.
func TestOperationGuard(t *testing.T) {
	slugs := []string{"a", "b", "c", "d"}
	assert.Empty(t, guardOperations(slugs, map[string]int{"a": 1, "b": 2, "c": 1, "d": 3}, nil, 5))
	assert.Empty(t, guardOperations(slugs, map[string]int{"a": 1, "b": 2, "c": 1}, map[string]string{"d": "needs a new step"}, 5))
	got := guardOperations(slugs, map[string]int{"a": 1, "b": 2}, map[string]string{"b": "why", "c": " ", "z": "gone"}, 5)
	assert.Equal(t, []string{
		"b: exempt, but 2 scenarios are tagged @b now: remove the exemption",
		"c: exempt without a reason",
		"z: exempt, but the registry has no such operation",
		"d: no scenario is tagged @d: add features for the operation (or a reasoned exemption in steps.Exempt)",
	}, got)
	got = guardOperations(slugs, map[string]int{"a": 1}, map[string]string{"b": "1", "c": "2", "d": "3"}, 2)
	assert.Contains(t, got, "3 operations are exempt, at most 2 may be: give them scenarios")
}
