package features_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	gherkin "github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/features"
	"github.com/dewconform/dewconform/openapi"
	"github.com/dewconform/dewconform/steps"
)

// scenario is one pickle: a Scenario, or one Examples row of a Scenario Outline.
type scenario struct {
	uri   string
	name  string
	tags  []string
	steps []string
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
			}
			out = append(out, sc)
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, out)
	return out
}

var (
	statusStep      = regexp.MustCompile(`^the response status is (\d+)$`)
	keyStateStep    = regexp.MustCompile(`^\w+ has a key in state "([^"]*)"$|^that key has been put in state "([^"]*)"$`)
	plainKeyStep    = regexp.MustCompile(`^\w+ has a key$`)
	pendingKeyStep  = regexp.MustCompile(`^\w+ has a key pending deletion$`)
	secretStateStep = regexp.MustCompile(`^\w+ has a secret in state "([^"]*)"$`)
	plainSecretStep = regexp.MustCompile(`^\w+ has a secret$`)
	pendingSecret   = regexp.MustCompile(`^\w+ has a secret pending deletion$`)
	roleWord        = regexp.MustCompile(`\b(alice|bob|carol|dave|eve)\b`)
	// Steps that only the mock's control API can carry out.
	controlSteps = []*regexp.Regexp{
		regexp.MustCompile(`^the mock's clock moves`),
		regexp.MustCompile(`^\w+ has a key in state "[17]"$`),
		regexp.MustCompile(`^that key has been put in state "[157]"$`),
		regexp.MustCompile(`^\w+ has a secret in state "(DISABLED|FROZEN)"$`),
	}
)

// keyStates lists the key states a scenario puts its key in.
func keyStates(sc scenario) []string {
	var out []string
	for _, st := range sc.steps {
		switch {
		case plainKeyStep.MatchString(st):
			out = append(out, "2")
		case pendingKeyStep.MatchString(st):
			out = append(out, "4")
		default:
			if m := keyStateStep.FindStringSubmatch(st); m != nil {
				out = append(out, m[1]+m[2])
			}
		}
	}
	return out
}

func secretStates(sc scenario) []string {
	var out []string
	for _, st := range sc.steps {
		switch {
		case plainSecretStep.MatchString(st):
			out = append(out, "ENABLED")
		case pendingSecret.MatchString(st):
			out = append(out, "PENDING_DELETE")
		default:
			if m := secretStateStep.FindStringSubmatch(st); m != nil {
				out = append(out, m[1])
			}
		}
	}
	return out
}

func statuses(sc scenario) []int {
	var out []int
	for _, st := range sc.steps {
		if m := statusStep.FindStringSubmatch(st); m != nil {
			n, _ := strconv.Atoi(m[1])
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
	ctx := context.Background()
	v, err := steps.NewValidator(ctx, map[string][]byte{"kms": openapi.KMS(), "csms": openapi.CSMS()})
	require.NoError(t, err)
	for _, op := range steps.SeedOperations() {
		t.Run(op, func(t *testing.T) {
			documented := v.Documented(steps.OperationID(op))
			require.NotEmpty(t, documented, "the spec documents no status for %s", op)
			gotStatus := map[int]bool{}
			gotState := map[string]bool{}
			n := 0
			for _, sc := range all {
				if !sc.has("@" + op) {
					continue
				}
				n++
				for _, s := range statuses(sc) {
					gotStatus[s] = true
				}
				for _, s := range keyStates(sc) {
					gotState[s] = true
				}
				for _, s := range secretStates(sc) {
					gotState[s] = true
				}
			}
			require.NotZero(t, n, "no scenario is tagged @%s", op)
			for _, s := range clientProvokable(documented) {
				assert.True(t, gotStatus[s], "no @%s scenario provokes the documented status %d", op, s)
			}
			want := []string{"2", "3", "4", "5", "7"}
			if op == "restore-secret" {
				want = []string{"ENABLED", "DISABLED", "PENDING_DELETE"}
			}
			for _, s := range want {
				assert.True(t, gotState[s], "no @%s scenario exercises state %q", op, s)
			}
		})
	}
}

// TestTags checks every scenario's tags against the lead's tag list and the rules that tie tags to steps.
func TestTags(t *testing.T) {
	known := map[string]bool{"@kms": true, "@csms": true, "@multi-user": true, "@mock-only": true, "@unconfirmed": true}
	for _, op := range steps.OperationSlugs() {
		known["@"+op] = true
	}
	for _, sc := range load(t) {
		services := 0
		ops := 0
		for _, tag := range sc.tags {
			assert.True(t, known[tag], "%s: unknown tag %s", sc, tag)
			if tag == "@kms" || tag == "@csms" {
				services++
			}
			if steps.OperationID(strings.TrimPrefix(tag, "@")) != "" {
				ops++
			}
		}
		assert.Equal(t, 1, services, "%s: want exactly one of @kms, @csms", sc)
		assert.NotZero(t, ops, "%s: no operation tag", sc)

		roles := map[string]bool{}
		needsControl := false
		for _, st := range sc.steps {
			for _, r := range roleWord.FindAllString(st, -1) {
				roles[r] = true
			}
			for _, re := range controlSteps {
				needsControl = needsControl || re.MatchString(st)
			}
		}
		var names []string
		for r := range roles {
			names = append(names, r)
		}
		sort.Strings(names)
		assert.Equal(t, len(roles) > 1, sc.has("@multi-user"), "%s: @multi-user must be there exactly when more than one identity acts (%v)", sc, names)
		if needsControl {
			assert.True(t, sc.has("@mock-only"), "%s: uses the mock's control API but is not @mock-only", sc)
		}
	}
}

// TestNamesAreUnique keeps scenario names distinct per feature, since reports and baselines key on them.
func TestNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range load(t) {
		key := sc.uri + "\x00" + sc.name
		assert.False(t, seen[key], "%s: two scenarios share this name", sc)
		seen[key] = true
	}
}
