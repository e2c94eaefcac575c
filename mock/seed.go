package mock

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Seed preloads the mock (serve --seed FILE, or POST /_dewconform/seed). YAML or JSON:
//
//	keys:
//	  - owner: alice            # identity name: the key's project and creator (required)
//	    alias: frozen-key       # required
//	    id: 0d0466b0-e727-4d9c-b35d-f84bb474a37f   # optional; random when empty
//	    state: "7"              # 1, 2 (default; 5 for origin external), 3, 4, 5 or 7
//	    origin: kms             # kms (default) or external
//	    spec: AES_256           # key_spec, default AES_256
//	    description: ...
//	    default: false          # a default master key (default_key_flag "1")
//	    pending_days: 7         # state "4" only: days until deletion (default 7)
//	    material: <hex>         # key material: 64 hex digits (AES_256), 32 (SM4); random when empty
//	grants:
//	  - key: frozen-key         # alias or id of a seeded or existing key (required)
//	    owner: alice            # whose project holds the key; needed only if the alias is ambiguous
//	    grantee: bob            # identity name, or a raw principal id (required)
//	    operations: [create-datakey, describe-key]   # required
//	    retiring: carol         # identity name or principal id (optional)
//	    issuer: alice           # identity name or principal id; default the key's creator
//	    name: g1                # default: the grantee principal
//	    id: <64 hex>            # optional; random when empty
//	secrets:
//	  - owner: alice            # identity name: the secret's project (required)
//	    name: db-password       # required
//	    value: s3cret           # secret_string; or binary: <base64>
//	    state: PENDING_DELETE   # ENABLED (default), DISABLED, PENDING_DELETE or FROZEN
//	    recovery_days: 7        # PENDING_DELETE only: days until deletion (default 30)
//	    description: ...
//	    kms_key: my-key         # alias or id of a key of the owner's project; default csms/default
//	    versions:               # versions after v1 (v2, v3, ...), in order, as CreateSecretVersion stores them
//	      - value: n3w          # or binary: <base64>
//	        stages: [pending]   # default: SYSCURRENT (the version before gets SYSPREVIOUS)
//
// Grants are created before the keys get their seeded states, so a frozen or pending key can carry
// grants.
type Seed struct {
	Keys    []SeedKey    `yaml:"keys" json:"keys"`
	Grants  []SeedGrant  `yaml:"grants" json:"grants"`
	Secrets []SeedSecret `yaml:"secrets" json:"secrets"`
}

// SeedKey is one key of a Seed.
type SeedKey struct {
	Owner       string   `yaml:"owner" json:"owner"`
	Alias       string   `yaml:"alias" json:"alias"`
	ID          string   `yaml:"id" json:"id"`
	State       KeyState `yaml:"state" json:"state"`
	Origin      string   `yaml:"origin" json:"origin"`
	Spec        string   `yaml:"spec" json:"spec"`
	Usage       string   `yaml:"usage" json:"usage"` // "" = ENCRYPT_DECRYPT for symmetric specs, SIGN_VERIFY for asymmetric ones
	Description string   `yaml:"description" json:"description"`
	Default     bool     `yaml:"default" json:"default"`
	PendingDays int      `yaml:"pending_days" json:"pending_days"`
	// Material fixes the key's material, in hex (never logged): a symmetric key's (64 digits for AES_256 and
	// HMAC keys, 32 for SM4), e.g. an HMAC key's secret for tests that check a MAC outside the mock. "" = random.
	Material string `yaml:"material" json:"material"`
}

// SeedGrant is one grant of a Seed.
type SeedGrant struct {
	Key        string   `yaml:"key" json:"key"`
	Owner      string   `yaml:"owner" json:"owner"`
	Grantee    string   `yaml:"grantee" json:"grantee"`
	Operations []string `yaml:"operations" json:"operations"`
	Retiring   string   `yaml:"retiring" json:"retiring"`
	Issuer     string   `yaml:"issuer" json:"issuer"`
	Name       string   `yaml:"name" json:"name"`
	ID         string   `yaml:"id" json:"id"`
}

// SeedSecret is one secret of a Seed.
type SeedSecret struct {
	Owner        string        `yaml:"owner" json:"owner"`
	Name         string        `yaml:"name" json:"name"`
	Value        *string       `yaml:"value" json:"value"`
	Binary       *string       `yaml:"binary" json:"binary"`
	State        SecretState   `yaml:"state" json:"state"`
	RecoveryDays int           `yaml:"recovery_days" json:"recovery_days"`
	Description  string        `yaml:"description" json:"description"`
	KMSKey       string        `yaml:"kms_key" json:"kms_key"`
	Versions     []SeedVersion `yaml:"versions" json:"versions"`
}

// SeedVersion is a version of a SeedSecret after its first.
type SeedVersion struct {
	Value  *string   `yaml:"value" json:"value"`
	Binary *string   `yaml:"binary" json:"binary"`
	Stages *[]string `yaml:"stages" json:"stages"`
}

// SeedResult tells what a seed created, so that a scenario can learn generated ids.
type SeedResult struct {
	Keys    []SeededKey    `json:"keys"`
	Grants  []SeededGrant  `json:"grants"`
	Secrets []SeededSecret `json:"secrets"`
}

// SeededKey is a created key.
type SeededKey struct {
	Alias     string   `json:"alias"`
	KeyID     string   `json:"key_id"`
	ProjectID string   `json:"project_id"`
	KeyState  KeyState `json:"key_state"`
}

// SeededGrant is a created grant.
type SeededGrant struct {
	GrantID string `json:"grant_id"`
	KeyID   string `json:"key_id"`
}

// SeededSecret is a created secret.
type SeededSecret struct {
	Name      string      `json:"name"`
	ProjectID string      `json:"project_id"`
	State     SecretState `json:"state"`
}

// ParseSeed parses a seed document (YAML, or JSON, which is YAML). Unknown fields are errors, so that
// a typo does not silently seed something else.
func ParseSeed(data []byte) (*Seed, error) {
	var seed Seed
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&seed); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse seed: %w", err)
	}
	for i, k := range seed.Keys {
		if k.State != "" && !k.State.valid() {
			return nil, fmt.Errorf("parse seed: keys[%d]: state %q: want one of 1, 2, 3, 4, 5, 7", i, k.State)
		}
	}
	for i, sec := range seed.Secrets {
		if sec.State != "" && !sec.State.valid() {
			return nil, fmt.Errorf("parse seed: secrets[%d]: state %q", i, sec.State)
		}
	}
	return &seed, nil
}

// LoadSeed reads and parses a seed file.
func LoadSeed(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load seed: %w", err)
	}
	return ParseSeed(data)
}

// applySeed creates what seed describes. It stops at the first error; what was created before stays.
func (s *Server) applySeed(seed *Seed) (SeedResult, error) {
	res := SeedResult{Keys: []SeededKey{}, Grants: []SeededGrant{}, Secrets: []SeededSecret{}}
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()

	created := make([]*keyRec, len(seed.Keys))
	for i, sk := range seed.Keys {
		owner, ok := s.identities.ByName(sk.Owner)
		if !ok {
			return res, fmt.Errorf("keys[%d]: unknown owner %q", i, sk.Owner)
		}
		if sk.Alias == "" {
			return res, fmt.Errorf("keys[%d]: alias is required", i)
		}
		material, err := seedMaterial(sk)
		if err != nil {
			return res, fmt.Errorf("keys[%d]: %w", i, err)
		}
		k, err := st.createKeyLocked(callerOf(owner), KeyInput{
			ID: sk.ID, Alias: sk.Alias, Description: sk.Description, Spec: sk.Spec, Usage: sk.Usage, Origin: sk.Origin,
			Default: sk.Default, Material: material,
		})
		if err != nil {
			return res, fmt.Errorf("keys[%d]: %w", i, err)
		}
		created[i] = k
	}
	for i, sg := range seed.Grants {
		k, err := s.seedKeyLocked(sg.Key, sg.Owner)
		if err != nil {
			return res, fmt.Errorf("grants[%d]: %w", i, err)
		}
		if sg.Grantee == "" || len(sg.Operations) == 0 {
			return res, fmt.Errorf("grants[%d]: grantee and operations are required", i)
		}
		issuer := k.CreatorID
		if sg.Issuer != "" {
			issuer = s.principal(sg.Issuer)
		}
		g, err := st.addGrantLocked(k, issuer, GrantInput{
			ID: sg.ID, KeyID: k.ID, GranteePrincipal: s.principal(sg.Grantee), RetiringPrincipal: s.principal(sg.Retiring),
			Name: sg.Name, Operations: sg.Operations,
		})
		if err != nil {
			return res, fmt.Errorf("grants[%d]: %w", i, err)
		}
		res.Grants = append(res.Grants, SeededGrant{GrantID: g.ID, KeyID: k.ID})
	}
	for i, k := range created {
		if sk := seed.Keys[i]; sk.State != "" {
			days := sk.PendingDays
			if days == 0 {
				days = MinPendingDays
			}
			st.forceKeyStateLocked(k, sk.State, days)
		}
		res.Keys = append(res.Keys, SeededKey{Alias: k.Alias, KeyID: k.ID, ProjectID: k.ProjectID, KeyState: k.State})
	}
	for i, ss := range seed.Secrets {
		owner, ok := s.identities.ByName(ss.Owner)
		if !ok {
			return res, fmt.Errorf("secrets[%d]: unknown owner %q", i, ss.Owner)
		}
		if ss.Name == "" || (ss.Value == nil) == (ss.Binary == nil) {
			return res, fmt.Errorf("secrets[%d]: name and exactly one of value and binary are required", i)
		}
		in := SecretInput{Name: ss.Name, Description: ss.Description, String: ss.Value, Binary: ss.Binary}
		if ss.KMSKey != "" {
			k, err := s.seedKeyLocked(ss.KMSKey, ss.Owner)
			if err != nil {
				return res, fmt.Errorf("secrets[%d]: %w", i, err)
			}
			in.KMSKeyID = k.ID
		}
		r, err := st.createSecretLocked(callerOf(owner), in)
		if err != nil {
			return res, fmt.Errorf("secrets[%d]: %w", i, err)
		}
		for j, sv := range ss.Versions {
			if (sv.Value == nil) == (sv.Binary == nil) || (sv.Stages != nil && len(*sv.Stages) == 0) {
				return res, fmt.Errorf("secrets[%d]: versions[%d]: exactly one of value and binary, and stages (when given) not empty, are required", i, j)
			}
			if _, err := r.addVersionLocked(VersionInput{String: sv.Value, Binary: sv.Binary, Stages: sv.Stages}, st.nowAt(0)); err != nil {
				return res, fmt.Errorf("secrets[%d]: versions[%d]: %w", i, j, err)
			}
		}
		if ss.State != "" {
			days := ss.RecoveryDays
			if days == 0 {
				days = MaxRecoveryDays
			}
			st.forceSecretStateLocked(r, ss.State, days)
		}
		res.Secrets = append(res.Secrets, SeededSecret{Name: r.Name, ProjectID: r.ProjectID, State: r.State})
	}
	return res, nil
}

// seedKeyLocked finds a key by id or alias, in owner's project when owner is given, else in any
// project (an alias found in two projects is ambiguous).
func (s *Server) seedKeyLocked(ref, owner string) (*keyRec, error) {
	projects := make([]string, 0, len(s.store.keys))
	if owner != "" {
		id, ok := s.identities.ByName(owner)
		if !ok {
			return nil, fmt.Errorf("unknown owner %q", owner)
		}
		projects = append(projects, id.ProjectID)
	} else {
		for p := range s.store.keys {
			projects = append(projects, p)
		}
	}
	var found *keyRec
	for _, p := range projects {
		for _, k := range s.store.liveKeys(p) {
			if k.ID == ref || k.Alias == ref {
				if found != nil {
					return nil, fmt.Errorf("key %q is ambiguous: give its owner", ref)
				}
				found = k
			}
		}
	}
	if found == nil {
		return nil, fmt.Errorf("key %q: %w", ref, ErrKeyNotFound)
	}
	return found, nil
}

// principal resolves an identity name to its user id; anything else is taken as a raw principal.
func (s *Server) principal(ref string) string {
	if id, ok := s.identities.ByName(ref); ok {
		return id.UserID
	}
	return ref
}

// seedMaterial decodes a seeded key's material; the error never repeats it.
func seedMaterial(sk SeedKey) ([]byte, error) {
	if sk.Material == "" {
		return nil, nil
	}
	m, err := hex.DecodeString(sk.Material)
	want := materialLen(sk.Spec)
	if err != nil || len(m) != want {
		return nil, fmt.Errorf("material must be %d hex digits for key spec %q", 2*want, sk.Spec)
	}
	return m, nil
}
