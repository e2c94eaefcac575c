package mock

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Caller is the authenticated identity a store operation runs for.
type Caller struct {
	Name      string
	ProjectID string
	UserID    string
	// Full means full KMS and CSMS rights in ProjectID (an IAM administrator); without it a caller
	// acts only through grants.
	Full bool
}

// store is the in-memory state of both services. One mutex guards everything: the mock's operations
// are short map updates, and a single lock makes "exactly one of N racing cancels wins" obvious.
// Crypto runs outside the lock.
type store struct {
	mu      sync.Mutex
	clock   Clock
	rand    io.Reader // ids and key material; read only under mu, so it need not be concurrency-safe
	limits  Limits
	choices Choices
	seq     uint64                           // creation order, for stable listings
	keys    map[string]map[string]*keyRec    // project id → key id
	secrets map[string]map[string]*secretRec // project id → secret name
}

func newStore(cfg storeConfig) *store {
	if cfg.Clock == nil {
		cfg.Clock = wallClock{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &store{
		clock:   cfg.Clock,
		rand:    cfg.Rand,
		limits:  cfg.Limits.withDefaults(),
		choices: cfg.Choices,
		keys:    map[string]map[string]*keyRec{},
		secrets: map[string]map[string]*secretRec{},
	}
}

// nowAt is the time seen by a resource whose clock was advanced by offset (control API).
func (s *store) nowAt(offset time.Duration) time.Time { return s.clock.Now().Add(offset) }

func (s *store) nextSeq() uint64 {
	s.seq++
	return s.seq
}

func (s *store) randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return nil, fmt.Errorf("read random: %w", err)
	}
	return b, nil
}

// newUUID returns a random (version 4) UUID in lower-case hex, the form of KMS key ids.
func (s *store) newUUID() (string, error) {
	b, err := s.randomBytes(16)
	if err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

func (s *store) newHex(nbytes int) (string, error) {
	b, err := s.randomBytes(nbytes)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// domainID derives a stable account (domain) id for a project: identities carry no domain id, and
// create-key/describe-key must return a 32-hex one.
func domainID(projectID string) string {
	sum := sha256.Sum256([]byte("dewconform-domain:" + projectID))
	return hex.EncodeToString(sum[:16])
}

// --- keys: lookup and lazy expiry ---

func (s *store) keyExpired(k *keyRec) bool {
	return k.State == KeyPendingDeletion && !k.DeletionDate.After(s.nowAt(k.offset))
}

// lookupKey finds a live key of the project; a key past its scheduled deletion is deleted now.
func (s *store) lookupKey(project, id string) (*keyRec, error) {
	k := s.keys[project][id]
	if k == nil {
		return nil, ErrKeyNotFound
	}
	if s.keyExpired(k) {
		delete(s.keys[project], id)
		return nil, ErrKeyNotFound
	}
	return k, nil
}

// liveKeys sweeps expired keys of a project and returns the rest in creation order.
func (s *store) liveKeys(project string) []*keyRec {
	m := s.keys[project]
	out := make([]*keyRec, 0, len(m))
	for id, k := range m {
		if s.keyExpired(k) {
			delete(m, id)
			continue
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// findKeyAnyProject is for the control API, which addresses keys by id alone.
func (s *store) findKeyAnyProject(id string) (*keyRec, error) {
	for project := range s.keys {
		if k, err := s.lookupKey(project, id); err == nil {
			return k, nil
		}
	}
	return nil, ErrKeyNotFound
}

// --- secrets: lookup and lazy expiry ---

func (s *store) secretExpired(r *secretRec) bool {
	return r.State == SecretPendingDelete && !r.ScheduledDelete.After(s.nowAt(r.offset))
}

func (s *store) lookupSecret(project, name string) (*secretRec, error) {
	r := s.secrets[project][name]
	if r == nil {
		return nil, ErrSecretNotFound
	}
	if s.secretExpired(r) {
		delete(s.secrets[project], name)
		return nil, ErrSecretNotFound
	}
	return r, nil
}

// liveSecrets sweeps expired secrets of a project and returns the rest sorted by name (CSMS pages by
// name: the marker is a secret name).
func (s *store) liveSecrets(project string) []*secretRec {
	m := s.secrets[project]
	out := make([]*secretRec, 0, len(m))
	for name, r := range m {
		if s.secretExpired(r) {
			delete(m, name)
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
