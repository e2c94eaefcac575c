package features_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/openapi"
)

// refusedStep marks a refusal scenario: the call under test must not succeed (a 4xx), whatever its exact
// status and code. A refusal is only proven when nothing changed, so each such scenario must also
// observe, after the refusal, the effects the refused call would have had.
const refusedStep = "the call is refused"

// refusalEffects maps each operation that can be refused to the checks a refusal scenario of it must
// make after the refusal (each pattern must match at least one later step). An empty list is a
// decision, with its reason: the operation changes nothing that a later call could observe.
var refusalEffects = map[string][]*regexp.Regexp{
	// The grant is still there and still works for its grantee.
	ops.RevokeGrant: {regexp.MustCompile(`^that grant is listed$`), regexp.MustCompile(`^\w+ can create a data key with that key$`)},
	ops.RetireGrant: {regexp.MustCompile(`^that grant is listed$`), regexp.MustCompile(`^\w+ can create a data key with that key$`)},
	// The key is still pending deletion.
	ops.CancelKeyDeletion: {regexp.MustCompile(`^the key's state is "4"$`)},
	// The key keeps its state.
	ops.EnableKey:           {regexp.MustCompile(`^the key's state is "\d"$`)},
	ops.DisableKey:          {regexp.MustCompile(`^the key's state is "\d"$`)},
	ops.ScheduleKeyDeletion: {regexp.MustCompile(`^the key's state is "\d"$`)},
	// The would-be grantee got nothing.
	ops.CreateGrant: {regexp.MustCompile(`^\w+ cannot create a data key with that key$`)},
	// The secret is still pending deletion and its value still unreadable.
	ops.RestoreSecret: {regexp.MustCompile(`^the secret's state is "PENDING_DELETE"$`), regexp.MustCompile(`^\w+ cannot read the value of that secret$`)},
	// The secret keeps its state (and so still exists).
	ops.ScheduleSecretDeletion: {regexp.MustCompile(`^the secret's state is "[A-Z_]+"$`)},
	ops.DeleteSecret:           {regexp.MustCompile(`^the secret's state is "[A-Z_]+"$`)},
	ops.UpdateSecret:           {regexp.MustCompile(`^the secret's state is "[A-Z_]+"$`)},
	// Reads and data-key or data encryption: a refusal leaves nothing behind to observe.
	ops.DescribeKey: {}, ops.ListKeys: {}, ops.ListGrants: {}, ops.ListRetirableGrants: {},
	ops.CreateDatakey: {}, ops.EncryptData: {}, ops.DecryptData: {},
	ops.CreateDatakeyWithoutPlaintext: {}, ops.EncryptDatakey: {}, ops.DecryptDatakey: {}, ops.GenRandom: {},
	// A refused re-encrypt leaves the source data key as it was: it still opens under its key.
	ops.ReEncrypt: {regexp.MustCompile(`^\w+ can decrypt that data key with that key$`)},
	ops.Sign:      {}, ops.Verify: {}, ops.GetPublickey: {}, ops.GenerateMac: {}, ops.VerifyMac: {},
	ops.CreateRsaDatakeyPair: {}, ops.CreateEcDatakeyPair: {}, ops.DeriveSharedSecret: {},
	ops.ShowSecret: {}, ops.ShowSecretVersion: {}, ops.ListSecrets: {}, ops.UserQuotas: {},
	// Creation: a refused create leaves no resource, and the name it asked for belongs to another.
	ops.CreateKey: {}, ops.CreateSecret: {},
	// Versions and stages: a refused new version or rotation leaves the number of versions as it was; a
	// refused expiry leaves the version without one; a refused stage change leaves the stage where it was
	// (or nowhere).
	ops.CreateSecretVersion: {regexp.MustCompile(`^that secret has \d+ versions?$`)},
	ops.RotateSecret:        {regexp.MustCompile(`^that secret has \d+ versions?$`)},
	ops.UpdateSecretVersion: {regexp.MustCompile(`^version "v\d+" of that secret has no expiry$`)},
	ops.UpdateSecretStage:   {regexp.MustCompile(`^the stage "[^"]+" of that secret names (version "v\d+"|no version)$`)},
	ops.DeleteSecretStage:   {regexp.MustCompile(`^the stage "[^"]+" of that secret names (version "v\d+"|no version)$`)},
	ops.ListSecretVersions:  {}, ops.ShowSecretStage: {},
}

// givesResource tells whether a step creates the resource a refused call acts on: only then is there
// something whose state the refusal must have left alone.
var givesResource = regexp.MustCompile(`^\w+ has (a key|another key|a key in state|a key pending deletion|granted|a secret)`)

// destroysResource marks a step after which the resource is gone for good (deleted at once, or its
// deletion period run out): a refusal after it has nothing left to leave unchanged.
var destroysResource = regexp.MustCompile(`^(\w+ deletes that secret|the mock's clock moves \d+ days ahead for that (key|secret))$`)

// operationOf is the operation a scenario is about: its most specific operation tag (a pickle lists the
// feature's tags first, then the scenario's own).
func operationOf(sc scenario) (string, bool) {
	for i := len(sc.tags) - 1; i >= 0; i-- {
		if slug := strings.TrimPrefix(sc.tags[i], "@"); slug != sc.tags[i] {
			if _, ok := openapi.Lookup(slug); ok {
				return slug, true
			}
		}
	}
	return "", false
}

func TestRefusalEffectTableCoversEveryOperation(t *testing.T) {
	for _, slug := range openapi.Slugs() {
		_, ok := refusalEffects[slug]
		require.True(t, ok, "operation %s is not in refusalEffects: say which effects a refusal of it must leave unchanged (or none, with the reason)", slug)
	}
	for slug := range refusalEffects {
		_, ok := openapi.Lookup(slug)
		require.True(t, ok, "refusalEffects names %s, which is not an operation of the spec", slug)
	}
}

// TestRefusalsCheckTheirEffects: a refusal scenario that acts on a resource of its own must show, after the
// refusal, that the resource is as it was.
func TestRefusalsCheckTheirEffects(t *testing.T) {
	var problems []string
	for _, sc := range load(t) {
		at := slices.Index(sc.steps, refusedStep)
		if at < 0 {
			continue
		}
		op, ok := operationOf(sc)
		if !ok {
			problems = append(problems, sc.String()+": a refusal scenario needs an operation tag")
			continue
		}
		if !slices.ContainsFunc(sc.steps[:at], givesResource.MatchString) || slices.ContainsFunc(sc.steps[:at], destroysResource.MatchString) {
			continue
		}
		for _, want := range refusalEffects[op] {
			if !slices.ContainsFunc(sc.steps[at+1:], want.MatchString) {
				problems = append(problems, sc.String()+": "+op+" was refused, but no later step matches "+want.String())
			}
		}
	}
	require.Empty(t, problems, "refusal scenarios that do not show the refused call changed nothing")
}

// No scenario carries the old whole-scenario tag: confidence belongs to single assertions.
func TestNoScenarioIsWhollyUnconfirmed(t *testing.T) {
	for _, sc := range load(t) {
		require.False(t, sc.has("@unconfirmed"), "%s: mark the open assertions with (unconfirmed) instead of tagging the scenario", sc)
	}
}
