package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// A state file lets one `dewconform serve` be shared for weeks: the whole store (keys with their
// material, grants, secrets with every version's value, per-resource clocks, the creation counter) is
// written as one JSON document and read back at the next start. It holds key material and secret values
// in clear, so it is written 0600 and must be treated like a credentials file.

// StateFormat and StateVersion identify a state file; a file with another format or version is refused
// rather than half-understood. Raise StateVersion whenever the meaning of a field changes.
const (
	StateFormat  = "dewconform-mock-state"
	StateVersion = 1
)

// State is a consistent snapshot of a Server's resources. Its Go field names are its JSON names for the
// embedded Key and Secret, so that a field added to them is persisted without a second list to keep.
type State struct {
	Format  string        `json:"format"`
	Version int           `json:"version"`
	Seq     uint64        `json:"seq"` // the store's creation counter, so that listings keep their order
	Keys    []StateKey    `json:"keys"`
	Secrets []StateSecret `json:"secrets"`
}

// StateKey is one key with what the API never returns: its material, grants, clock offset and order.
type StateKey struct {
	Key
	Material []byte `json:"material"` // 32 bytes of AES-256 material, 16 of SM4 (32 for older SM4 keys); base64
	// Private is an asymmetric key's private key (PKCS#1 DER for RSA, the scalar for the curves); absent
	// for symmetric keys and for asymmetric keys whose pair was never generated (it is made on first use).
	Private  []byte        `json:"private,omitempty"`
	Grants   []Grant       `json:"grants"`
	OffsetNS time.Duration `json:"offset_ns"` // the key's clock advance (control API)
	KeySeq   uint64        `json:"seq"`
}

// StateSecret is one secret with its versions (values included).
type StateSecret struct {
	Secret
	Versions []SecretVersion `json:"versions"`
	Before   SecretState     `json:"before,omitempty"` // state before its deletion was scheduled
	OffsetNS time.Duration   `json:"offset_ns"`
}

// Snapshot copies every resource under the store's lock, so that the result is one consistent moment
// (a grant is never saved without its key). Keys and secrets already past their deletion date are left
// out: they no longer exist.
func (s *Server) Snapshot() *State {
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	out := &State{Format: StateFormat, Version: StateVersion, Seq: st.seq, Keys: []StateKey{}, Secrets: []StateSecret{}}
	for _, project := range sortedKeys(st.keys) {
		for _, k := range st.keys[project] {
			if st.keyExpired(k) {
				continue
			}
			sk := StateKey{Key: k.Key, Material: slices.Clone(k.material), Grants: make([]Grant, 0, len(k.grants)),
				OffsetNS: k.offset, KeySeq: k.seq}
			if k.asym != nil {
				sk.Private = k.asym.privateBytes()
			}
			for _, g := range k.grants {
				sk.Grants = append(sk.Grants, g.clone())
			}
			out.Keys = append(out.Keys, sk)
		}
	}
	sort.SliceStable(out.Keys, func(i, j int) bool { return out.Keys[i].KeySeq < out.Keys[j].KeySeq })
	for _, project := range sortedKeys(st.secrets) {
		for _, name := range sortedKeys(st.secrets[project]) {
			r := st.secrets[project][name]
			if st.secretExpired(r) {
				continue
			}
			ss := StateSecret{Secret: r.clone(), Versions: make([]SecretVersion, 0, len(r.versions)), Before: r.before, OffsetNS: r.offset}
			for _, v := range r.versions {
				ss.Versions = append(ss.Versions, v.clone())
			}
			out.Secrets = append(out.Secrets, ss)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func clonePtr(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Marshal encodes the state as the state file's JSON.
func (st *State) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseState decodes and checks a state file. Unknown fields, another format or version, and resources
// that could not have been written by the mock are errors: a damaged file is refused, never loaded half.
// Errors name the resource, never key material or a secret value.
func ParseState(data []byte) (*State, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st State
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("state file is not a valid dewconform mock state (corrupt or truncated): %s", syntaxOnly(err))
	}
	if dec.More() {
		return nil, errors.New("state file has data after its JSON document (corrupt)")
	}
	if st.Format != StateFormat {
		return nil, fmt.Errorf("state file format %q: not a dewconform mock state file (want %q)", st.Format, StateFormat)
	}
	if st.Version != StateVersion {
		return nil, fmt.Errorf("state file version %d: this dewconform reads version %d only", st.Version, StateVersion)
	}
	if err := st.check(); err != nil {
		return nil, fmt.Errorf("state file is inconsistent: %w", err)
	}
	return &st, nil
}

// syntaxOnly keeps a decoding error free of the document's content: json's type errors quote no values,
// but keep only the offset for a syntax error anyway.
func syntaxOnly(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the document ends early"
	}
	return err.Error()
}

func (st *State) check() error {
	keys := map[[2]string]bool{}
	for i, k := range st.Keys {
		switch {
		case k.ID == "" || k.ProjectID == "":
			return fmt.Errorf("keys[%d]: id and project id are required", i)
		case keys[[2]string{k.ProjectID, k.ID}]:
			return fmt.Errorf("keys[%d]: key %s appears twice", i, k.ID)
		case !k.State.valid():
			return fmt.Errorf("keys[%d] (%s): state %q", i, k.ID, k.State)
		case len(k.Material) != aes256Len && !(k.Spec == specSM4 && len(k.Material) == sm4Len):
			return fmt.Errorf("keys[%d] (%s): key material must be 32 bytes (16 or 32 for SM4)", i, k.ID)
		case k.State == KeyPendingDeletion && k.DeletionDate.IsZero():
			return fmt.Errorf("keys[%d] (%s): pending deletion without a deletion date", i, k.ID)
		case k.OffsetNS < 0:
			return fmt.Errorf("keys[%d] (%s): negative clock offset", i, k.ID)
		case !usageAllowed(k.Spec, k.Usage):
			return fmt.Errorf("keys[%d] (%s): key spec %q cannot have usage %q", i, k.ID, k.Spec, k.Usage)
		case k.Private != nil && !asymmetricSpec(k.Spec):
			return fmt.Errorf("keys[%d] (%s): a %s key has no private key", i, k.ID, k.Spec)
		}
		if k.Private != nil {
			if _, err := parsePrivate(k.Spec, k.Private); err != nil {
				return fmt.Errorf("keys[%d] (%s): %w", i, k.ID, err)
			}
		}
		keys[[2]string{k.ProjectID, k.ID}] = true
		for j, g := range k.Grants {
			if g.ID == "" || g.KeyID != k.ID {
				return fmt.Errorf("keys[%d] (%s): grants[%d]: id required and key id must be the key's", i, k.ID, j)
			}
		}
	}
	secrets := map[[2]string]bool{}
	for i, r := range st.Secrets {
		switch {
		case r.Name == "" || r.ProjectID == "":
			return fmt.Errorf("secrets[%d]: name and project id are required", i)
		case secrets[[2]string{r.ProjectID, r.Name}]:
			return fmt.Errorf("secrets[%d]: secret %s appears twice", i, r.Name)
		case !r.State.valid():
			return fmt.Errorf("secrets[%d] (%s): state %q", i, r.Name, r.State)
		case r.State == SecretPendingDelete && r.ScheduledDelete.IsZero():
			return fmt.Errorf("secrets[%d] (%s): pending deletion without a deletion date", i, r.Name)
		case len(r.Versions) == 0:
			return fmt.Errorf("secrets[%d] (%s): no version", i, r.Name)
		case r.OffsetNS < 0:
			return fmt.Errorf("secrets[%d] (%s): negative clock offset", i, r.Name)
		}
		secrets[[2]string{r.ProjectID, r.Name}] = true
		if len(r.Versions) > MaxSecretVersions {
			return fmt.Errorf("secrets[%d] (%s): %d versions, at most %d", i, r.Name, len(r.Versions), MaxSecretVersions)
		}
		ids, stages := map[string]bool{}, map[string]string{}
		for j, v := range r.Versions {
			if !versionIDPattern.MatchString(v.ID) || (v.String == nil) == (v.Binary == nil) {
				return fmt.Errorf("secrets[%d] (%s): versions[%d]: an id v<n> and exactly one of string and binary are required", i, r.Name, j)
			}
			if ids[v.ID] {
				return fmt.Errorf("secrets[%d] (%s): version %s appears twice", i, r.Name, v.ID)
			}
			ids[v.ID] = true
			// A stage names one version at a time: a file that puts it on two is refused, not guessed at.
			for _, st := range v.Stages {
				if other, ok := stages[st]; ok {
					return fmt.Errorf("secrets[%d] (%s): stage %s on versions %s and %s", i, r.Name, st, other, v.ID)
				}
				stages[st] = v.ID
			}
		}
		if len(stages) > MaxSecretStages {
			return fmt.Errorf("secrets[%d] (%s): %d stages, at most %d", i, r.Name, len(stages), MaxSecretStages)
		}
	}
	return nil
}

// versionIDPattern is the documented version id pattern (v1, v2, ...).
var versionIDPattern = regexp.MustCompile(`^v[0-9]{1,10}$`)

// restore replaces the store's content with st (already checked by ParseState, or made by Snapshot).
// Everything is built before anything is replaced, so a failure leaves the store as it was.
func (s *store) restore(st *State) error {
	if err := st.check(); err != nil {
		return err
	}
	keys := map[string]map[string]*keyRec{}
	seq := st.Seq
	for _, sk := range st.Keys {
		aead, err := keyAEAD(sk.Spec, sk.Material)
		if err != nil {
			return fmt.Errorf("key %s: %w", sk.ID, err)
		}
		k := &keyRec{Key: sk.Key, aead: aead, material: slices.Clone(sk.Material), offset: sk.OffsetNS, seq: sk.KeySeq}
		if asymmetricSpec(sk.Spec) {
			k.asym = &asymKey{spec: sk.Spec}
			if sk.Private != nil {
				if k.asym.priv, err = parsePrivate(sk.Spec, sk.Private); err != nil {
					return fmt.Errorf("key %s: %w", sk.ID, err)
				}
			}
		}
		for _, g := range sk.Grants {
			g := g.clone()
			k.grants = append(k.grants, &g)
		}
		if keys[sk.ProjectID] == nil {
			keys[sk.ProjectID] = map[string]*keyRec{}
		}
		keys[sk.ProjectID][sk.ID] = k
		seq = max(seq, sk.KeySeq)
	}
	secrets := map[string]map[string]*secretRec{}
	for _, ss := range st.Secrets {
		r := &secretRec{Secret: ss.clone(), before: ss.Before, offset: ss.OffsetNS}
		for _, v := range ss.Versions {
			r.versions = append(r.versions, v.clone())
		}
		if secrets[ss.ProjectID] == nil {
			secrets[ss.ProjectID] = map[string]*secretRec{}
		}
		secrets[ss.ProjectID][ss.Name] = r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys, s.secrets, s.seq = keys, secrets, seq
	return nil
}

// Restore replaces the server's resources with st. New does it for Options.State; a running server
// may be restored too (its requests see the old or the new state, never a mix).
func (s *Server) Restore(st *State) error {
	if st == nil {
		return errors.New("restore: no state")
	}
	if st.Format != StateFormat || st.Version != StateVersion {
		return fmt.Errorf("restore: state format %q version %d: want %q version %d", st.Format, st.Version, StateFormat, StateVersion)
	}
	if err := s.store.restore(st); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// ReadStateFile reads and checks a state file. A missing file is an error wrapping fs.ErrNotExist, so
// that a caller can start empty on a first run; any other problem leaves the file as it is.
func ReadStateFile(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	st, err := ParseState(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// WriteStateFile replaces path with data atomically: the data goes to a temporary file (mode 0600) in
// the same directory, is synced, and is renamed over path, so that a crash at any moment leaves either
// the old file or the new one, never a mix. The directory is synced too, so that the rename survives a
// power loss.
func WriteStateFile(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*") // CreateTemp makes it 0600
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil { // explicit, whatever the platform's CreateTemp does
		return fmt.Errorf("write state: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // best effort: not every file system syncs directories
		_ = d.Close()
	}
	return nil
}

// RemoveStaleStateTemps removes the temporary files WriteStateFile leaves beside path when the process
// is killed in the middle of a write: they hold key material, and nothing else would ever remove them.
// Only one process may use a state file, so no other write can be under way.
func RemoveStaleStateTemps(path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	stale, err := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".tmp-*"))
	if err != nil {
		return fmt.Errorf("state temporary files: %w", err)
	}
	var errs []error
	for _, f := range stale {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Counts summarises a State for logs: how many of each resource, never their content.
func (st *State) Counts() (keys, grants, secrets int) {
	for _, k := range st.Keys {
		grants += len(k.Grants)
	}
	return len(st.Keys), grants, len(st.Secrets)
}
