package mock

import (
	"fmt"
	"slices"
	"time"
)

// SecretState is a CSMS secret state.
type SecretState string

// Secret states (SDK-CSMS Secret.state).
const (
	SecretEnabled       SecretState = "ENABLED"
	SecretDisabled      SecretState = "DISABLED"
	SecretPendingDelete SecretState = "PENDING_DELETE"
	SecretFrozen        SecretState = "FROZEN"
)

// SecretStates lists every state, for tables that must cover them all.
func SecretStates() []SecretState {
	return []SecretState{SecretEnabled, SecretDisabled, SecretPendingDelete, SecretFrozen}
}

func (s SecretState) valid() bool { return slices.Contains(SecretStates(), s) }

// Recovery-window bounds of DeleteSecretForSchedule.
const (
	MinRecoveryDays = 7
	MaxRecoveryDays = 30
)

const stageCurrent = "SYSCURRENT"

// Secret is a snapshot of a secret's metadata.
type Secret struct {
	ID                  string
	Name                string
	ProjectID           string
	State               SecretState
	KMSKeyID            string
	Description         string
	SecretType          string
	AutoRotation        bool
	RotationPeriod      string
	RotationConfig      string
	RotationFuncURN     string
	EnterpriseProjectID string
	EventSubscriptions  []string
	Created             time.Time
	Updated             time.Time
	ScheduledDelete     time.Time // zero unless PENDING_DELETE; sent as null then
}

func (s *Secret) clone() Secret {
	c := *s
	c.EventSubscriptions = slices.Clone(s.EventSubscriptions)
	return c
}

// SecretVersion is one version of a secret's value.
type SecretVersion struct {
	ID         string // "v1", "v2", ...
	SecretName string
	KMSKeyID   string
	Created    time.Time
	Stages     []string
	String     *string // exactly one of String and Binary is set
	Binary     *string // base64, as sent
}

type secretRec struct {
	Secret
	versions []SecretVersion
	before   SecretState // state when deletion was scheduled, for restore
	offset   time.Duration
}

// SecretInput is what CreateSecret (or a seed) asks for.
type SecretInput struct {
	Name                string
	KMSKeyID            string // "" = the project's csms/default key, created on first use
	Description         string
	SecretType          string
	AutoRotation        bool
	RotationPeriod      string
	RotationConfig      string
	RotationFuncURN     string
	EnterpriseProjectID string
	EventSubscriptions  []string
	String              *string
	Binary              *string
}

// SecretUpdate is UpdateSecret's body; nil fields are left alone.
type SecretUpdate struct {
	KMSKeyID           *string
	Description        *string
	AutoRotation       *bool
	RotationPeriod     *string
	RotationFuncURN    *string
	EventSubscriptions *[]string
}

func (s *store) secretOp(c Caller, name string, apply func(r *secretRec, now time.Time) error) (Secret, error) {
	if !c.Full {
		return Secret{}, ErrCSMSForbidden
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.lookupSecret(c.ProjectID, name)
	if err != nil {
		return Secret{}, err
	}
	if err := apply(r, s.nowAt(r.offset)); err != nil {
		return Secret{}, err
	}
	return r.clone(), nil
}

// CreateSecret creates an ENABLED secret whose first version "v1" carries SYSCURRENT.
func (s *store) CreateSecret(c Caller, in SecretInput) (Secret, error) {
	if !c.Full {
		return Secret{}, ErrCSMSForbidden
	}
	if (in.String == nil) == (in.Binary == nil) {
		return Secret{}, fmt.Errorf("%w: exactly one of secret_string and secret_binary", ErrCSMSInvalidParam)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.createSecretLocked(c, in)
	if err != nil {
		return Secret{}, err
	}
	return r.clone(), nil
}

func (s *store) createSecretLocked(c Caller, in SecretInput) (*secretRec, error) {
	live := s.liveSecrets(c.ProjectID)
	if len(live) >= s.limits.SecretsPerProject {
		return nil, ErrSecretQuota
	}
	for _, r := range live {
		if r.Name == in.Name {
			return nil, ErrSecretExists
		}
	}
	keyID, err := s.secretKeyLocked(c, in.KMSKeyID)
	if err != nil {
		return nil, err
	}
	id, err := s.newUUID()
	if err != nil {
		return nil, err
	}
	now := s.nowAt(0)
	r := &secretRec{Secret: Secret{
		ID: id, Name: in.Name, ProjectID: c.ProjectID, State: SecretEnabled, KMSKeyID: keyID,
		Description: in.Description, SecretType: in.SecretType, AutoRotation: in.AutoRotation,
		RotationPeriod: in.RotationPeriod, RotationConfig: in.RotationConfig, RotationFuncURN: in.RotationFuncURN,
		EnterpriseProjectID: in.EnterpriseProjectID, EventSubscriptions: slices.Clone(in.EventSubscriptions),
		Created: now, Updated: now,
	}}
	if r.SecretType == "" {
		r.SecretType = "COMMON"
	}
	if r.EnterpriseProjectID == "" {
		r.EnterpriseProjectID = "0"
	}
	r.versions = []SecretVersion{{
		ID: "v1", SecretName: in.Name, KMSKeyID: keyID, Created: now, Stages: []string{stageCurrent},
		String: in.String, Binary: in.Binary,
	}}
	if s.secrets[c.ProjectID] == nil {
		s.secrets[c.ProjectID] = map[string]*secretRec{}
	}
	s.secrets[c.ProjectID][in.Name] = r
	return r, nil
}

// secretKeyLocked resolves the KMS key that protects a secret: a live key of the project, or the
// project's csms/default master key, which CSMS creates on first use.
func (s *store) secretKeyLocked(c Caller, keyID string) (string, error) {
	if keyID != "" {
		if _, err := s.lookupKey(c.ProjectID, keyID); err != nil {
			return "", fmt.Errorf("%w: kms_key_id is not a key of the project", ErrCSMSInvalidParam)
		}
		return keyID, nil
	}
	for _, k := range s.liveKeys(c.ProjectID) {
		if k.Default && k.Alias == csmsDefaultKey {
			return k.ID, nil
		}
	}
	k, err := s.createKeyLocked(c, KeyInput{Alias: csmsDefaultKey, Default: true})
	if err != nil {
		return "", err
	}
	return k.ID, nil
}

// ShowSecret returns a secret in any state, PENDING_DELETE included (so it can be restored).
func (s *store) ShowSecret(c Caller, name string) (Secret, error) {
	return s.secretOp(c, name, func(*secretRec, time.Time) error { return nil })
}

// ListSecrets lists the secrets of c's project by name.
func (s *store) ListSecrets(c Caller) ([]Secret, error) {
	if !c.Full {
		return nil, ErrCSMSForbidden
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	live := s.liveSecrets(c.ProjectID)
	out := make([]Secret, 0, len(live))
	for _, r := range live {
		out = append(out, r.clone())
	}
	return out, nil
}

// UpdateSecret changes metadata; refused while PENDING_DELETE (and FROZEN).
func (s *store) UpdateSecret(c Caller, name string, u SecretUpdate) (Secret, error) {
	return s.secretOp(c, name, func(r *secretRec, now time.Time) error {
		switch r.State {
		case SecretPendingDelete:
			return ErrSecretPendingDelete
		case SecretFrozen:
			return ErrSecretStateRefuses
		}
		if u.KMSKeyID != nil {
			if _, err := s.lookupKey(c.ProjectID, *u.KMSKeyID); err != nil {
				return fmt.Errorf("%w: kms_key_id is not a key of the project", ErrCSMSInvalidParam)
			}
			r.KMSKeyID = *u.KMSKeyID
		}
		if u.Description != nil {
			r.Description = *u.Description
		}
		if u.AutoRotation != nil {
			r.AutoRotation = *u.AutoRotation
		}
		if u.RotationPeriod != nil {
			r.RotationPeriod = *u.RotationPeriod
		}
		if u.RotationFuncURN != nil {
			r.RotationFuncURN = *u.RotationFuncURN
		}
		if u.EventSubscriptions != nil {
			r.EventSubscriptions = slices.Clone(*u.EventSubscriptions)
		}
		r.Updated = now
		return nil
	})
}

// DeleteSecret deletes a secret at once, in any state but FROZEN (UNCONFIRMED for PENDING_DELETE).
func (s *store) DeleteSecret(c Caller, name string) error {
	_, err := s.secretOp(c, name, func(r *secretRec, _ time.Time) error {
		if r.State == SecretFrozen {
			return ErrSecretStateRefuses
		}
		delete(s.secrets[c.ProjectID], name)
		return nil
	})
	return err
}

// ScheduleSecretDeletion: ENABLED or DISABLED → PENDING_DELETE, deleted days later.
func (s *store) ScheduleSecretDeletion(c Caller, name string, days int) (Secret, error) {
	if days < MinRecoveryDays || days > MaxRecoveryDays {
		return Secret{}, ErrCSMSInvalidRecoveryDays
	}
	return s.secretOp(c, name, func(r *secretRec, now time.Time) error {
		switch r.State {
		case SecretEnabled, SecretDisabled:
			r.before = r.State
			r.State = SecretPendingDelete
			r.ScheduledDelete = now.Add(time.Duration(days) * 24 * time.Hour)
			r.Updated = now
			return nil
		case SecretPendingDelete:
			return ErrSecretAlreadyPending
		default:
			return ErrSecretStateRefuses
		}
	})
}

// RestoreSecret: PENDING_DELETE → ENABLED (or DISABLED, see Choices.RestoreDisabledSecretTo).
func (s *store) RestoreSecret(c Caller, name string) (Secret, error) {
	return s.secretOp(c, name, func(r *secretRec, now time.Time) error {
		if r.State != SecretPendingDelete {
			return ErrSecretNotPendingDelete
		}
		r.State = SecretEnabled
		if r.before == SecretDisabled && s.choices.RestoreDisabledSecretTo == SecretDisabled {
			r.State = SecretDisabled
		}
		r.ScheduledDelete = time.Time{}
		r.Updated = now
		return nil
	})
}

// ShowSecretVersion returns a version ("latest" = the newest); only for ENABLED secrets, as documented.
func (s *store) ShowSecretVersion(c Caller, name, versionID string) (SecretVersion, error) {
	var v SecretVersion
	_, err := s.secretOp(c, name, func(r *secretRec, _ time.Time) error {
		switch r.State {
		case SecretPendingDelete:
			return ErrSecretPendingDelete
		case SecretDisabled, SecretFrozen:
			return ErrSecretStateRefuses
		}
		i := len(r.versions) - 1
		if versionID != "latest" {
			i = slices.IndexFunc(r.versions, func(v SecretVersion) bool { return v.ID == versionID })
		}
		if i < 0 {
			return ErrSecretVersionNotFound
		}
		v = r.versions[i]
		v.Stages = slices.Clone(v.Stages)
		return nil
	})
	return v, err
}
