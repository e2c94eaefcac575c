package mock

import (
	"slices"
	"time"

	"github.com/dewconform/dewconform/gen/kms"
)

// Grant operations: the values of create-grant's operations enum, as generated from the spec, in the
// plain strings the store and seeds keep. The key operations that no grant can confer (enable-key,
// disable-key, schedule-key-deletion, cancel-key-deletion) are named by their gen/ops slugs instead.
const (
	OpCreateDatakey                 = string(kms.GrantOperationCreateDatakey)
	OpCreateDatakeyWithoutPlaintext = string(kms.GrantOperationCreateDatakeyWithoutPlaintext)
	OpEncryptDatakey                = string(kms.GrantOperationEncryptDatakey)
	OpDecryptDatakey                = string(kms.GrantOperationDecryptDatakey)
	OpDescribeKey                   = string(kms.GrantOperationDescribeKey)
	OpCreateGrant                   = string(kms.GrantOperationCreateGrant)
	OpRetireGrant                   = string(kms.GrantOperationRetireGrant)
	OpEncryptData                   = string(kms.GrantOperationEncryptData)
	OpDecryptData                   = string(kms.GrantOperationDecryptData)
)

// Grant is a snapshot of a grant.
type Grant struct {
	ID                   string
	KeyID                string
	GranteePrincipal     string
	GranteePrincipalType string // "user" or "domain"
	IssuingPrincipal     string
	RetiringPrincipal    string // "" when not set
	Name                 string
	Operations           []string
	Created              time.Time
}

func (g *Grant) has(op string) bool { return slices.Contains(g.Operations, op) }

func (g *Grant) clone() Grant {
	c := *g
	c.Operations = slices.Clone(g.Operations)
	return c
}

// GrantInput is what create-grant (or a seed) asks for.
type GrantInput struct {
	ID                   string // seeds only
	KeyID                string
	GranteePrincipal     string
	GranteePrincipalType string
	RetiringPrincipal    string
	Name                 string
	Operations           []string
	IssuingPrincipal     string // seeds only; create-grant uses the caller
}

// CreateGrant adds a grant to a key. Allowed to the key's creator, a full-rights user of the project,
// and a grantee holding create-grant. Refused on default keys (KMS.0211); on a key pending deletion
// (KMS.0210) or frozen/pending activation (UNCONFIRMED, see the table).
func (s *store) CreateGrant(c Caller, in GrantInput) (Grant, error) {
	if len(in.Operations) > 0 && !slices.ContainsFunc(in.Operations, func(op string) bool { return op != OpCreateGrant }) {
		return Grant{}, ErrOnlyCreateGrant
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.lookupKey(c.ProjectID, in.KeyID)
	if err != nil {
		return Grant{}, err
	}
	if k.CreatorID != c.UserID && !k.allows(c, OpCreateGrant) {
		return Grant{}, ErrKeyAccessDenied
	}
	g, err := s.addGrantLocked(k, c.UserID, in)
	if err != nil {
		return Grant{}, err
	}
	return g.clone(), nil
}

func (s *store) addGrantLocked(k *keyRec, issuer string, in GrantInput) (*Grant, error) {
	if k.Default {
		return nil, ErrDefaultKey
	}
	switch k.State {
	case KeyPendingDeletion:
		return nil, ErrKeyPendingDeletion
	case KeyFrozen, KeyPendingActivation:
		return nil, ErrKeyNotUsable
	}
	if len(k.grants) >= s.limits.GrantsPerKey {
		return nil, ErrGrantQuota
	}
	id := in.ID
	if id == "" {
		var err error
		if id, err = s.newHex(32); err != nil {
			return nil, err
		}
	}
	if in.IssuingPrincipal != "" {
		issuer = in.IssuingPrincipal
	}
	g := &Grant{
		ID: id, KeyID: k.ID, GranteePrincipal: in.GranteePrincipal, GranteePrincipalType: in.GranteePrincipalType,
		IssuingPrincipal: issuer, RetiringPrincipal: in.RetiringPrincipal, Name: in.Name,
		Operations: slices.Clone(in.Operations), Created: s.nowAt(k.offset),
	}
	if g.GranteePrincipalType == "" {
		g.GranteePrincipalType = "user"
	}
	if g.Name == "" {
		g.Name = g.GranteePrincipal // as in the service's example (UNCONFIRMED)
	}
	k.grants = append(k.grants, g)
	return g, nil
}

// ListGrants lists a key's grants. Allowed to the key's creator and full-rights users of the project.
func (s *store) ListGrants(c Caller, keyID string) ([]Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.lookupKey(c.ProjectID, keyID)
	if err != nil {
		return nil, err
	}
	if k.CreatorID != c.UserID && !(c.Full && c.ProjectID == k.ProjectID) {
		return nil, ErrKeyAccessDenied
	}
	out := make([]Grant, 0, len(k.grants))
	for _, g := range k.grants {
		out = append(out, g.clone())
	}
	return out, nil
}

// ListRetirableGrants lists the grants naming c as retiring principal, or as grantee with
// retire-grant (UNCONFIRMED membership, the AWS reading; issuers, who may also retire, are not listed).
func (s *store) ListRetirableGrants(c Caller) []Grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Grant
	for _, k := range s.liveKeys(c.ProjectID) {
		for _, g := range k.grants {
			if g.RetiringPrincipal == c.UserID || (g.GranteePrincipal == c.UserID && g.has(OpRetireGrant)) {
				out = append(out, g.clone())
			}
		}
	}
	return out
}

// findGrantLocked finds a grant of key k in c's project: KMS.2502 when the id belongs to another key of
// the project, KMS.2501 when it is unknown.
func (s *store) findGrantLocked(c Caller, k *keyRec, grantID string) (int, *Grant, error) {
	for i, g := range k.grants {
		if g.ID == grantID {
			return i, g, nil
		}
	}
	for _, other := range s.liveKeys(c.ProjectID) {
		for _, g := range other.grants {
			if g.ID == grantID {
				return 0, nil, ErrGrantKeyMismatch
			}
		}
	}
	return 0, nil, ErrGrantNotFound
}

// RevokeGrant removes a grant; only the key's creator may (administrators included in the refusal).
func (s *store) RevokeGrant(c Caller, keyID, grantID string) error {
	return s.removeGrant(c, keyID, grantID, func(k *keyRec, _ *Grant) bool { return k.CreatorID == c.UserID })
}

// RetireGrant removes a grant; allowed to its issuer, its retiring principal, and its grantee when the
// grant lists retire-grant (anyone else: KMS.0306, UNCONFIRMED against KMS.2402).
func (s *store) RetireGrant(c Caller, keyID, grantID string) error {
	return s.removeGrant(c, keyID, grantID, func(_ *keyRec, g *Grant) bool {
		return g.IssuingPrincipal == c.UserID || g.RetiringPrincipal == c.UserID ||
			(g.GranteePrincipal == c.UserID && g.has(OpRetireGrant))
	})
}

func (s *store) removeGrant(c Caller, keyID, grantID string, may func(*keyRec, *Grant) bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.lookupKey(c.ProjectID, keyID)
	if err != nil {
		return err
	}
	i, g, err := s.findGrantLocked(c, k, grantID)
	if err != nil {
		return err
	}
	if !may(k, g) {
		return ErrKeyAccessDenied
	}
	k.grants = slices.Delete(k.grants, i, i+1)
	return nil
}
