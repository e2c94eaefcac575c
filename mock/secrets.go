package mock

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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

// Built-in stages, and the per-secret limits of versions and stages (CreateSecretVersion, UpdateSecretStage).
const (
	stageCurrent      = "SYSCURRENT"
	stagePrevious     = "SYSPREVIOUS"
	MaxSecretVersions = 20
	MaxSecretStages   = 12
)

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
	// StagedAt is when each of Stages was put on this version (a stage's update_time).
	StagedAt map[string]time.Time `json:",omitempty"`
	Expire   time.Time            `json:",omitzero"` // zero: no expiry
	String   *string              // exactly one of String and Binary is set
	Binary   *string              // base64, as sent
}

func (v SecretVersion) clone() SecretVersion {
	v.Stages = slices.Clone(v.Stages)
	v.StagedAt = maps.Clone(v.StagedAt)
	v.String, v.Binary = clonePtr(v.String), clonePtr(v.Binary)
	return v
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
		StagedAt: map[string]time.Time{stageCurrent: now}, String: in.String, Binary: in.Binary,
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
		v = r.versions[i].clone()
		return nil
	})
	return v, err
}

// ---- versions and stages ----------------------------------------------------------------------

// VersionInput is CreateSecretVersion's body (or a rotation's): the value, and the stages the new version
// takes (nil: SYSCURRENT).
type VersionInput struct {
	String *string
	Binary *string
	Stages *[]string
	Expire time.Time
}

// SecretStage is where a stage points.
type SecretStage struct {
	Name       string
	SecretName string
	VersionID  string
	Updated    time.Time
}

// usableForVersions refuses every state but ENABLED: new versions and version changes are documented for
// ENABLED secrets only.
func usableForVersions(r *secretRec) error {
	switch r.State {
	case SecretEnabled:
		return nil
	case SecretPendingDelete:
		return ErrSecretPendingDelete
	default:
		return ErrSecretStateRefuses
	}
}

// stageOwner returns the index of the version holding stage, or -1.
func (r *secretRec) stageOwner(stage string) int {
	return slices.IndexFunc(r.versions, func(v SecretVersion) bool { return slices.Contains(v.Stages, stage) })
}

// stageCount counts the distinct stages of r, with extra added (the stages a change would create).
func (r *secretRec) stageCount(extra ...string) int {
	seen := map[string]bool{}
	for _, v := range r.versions {
		for _, st := range v.Stages {
			seen[st] = true
		}
	}
	for _, st := range extra {
		seen[st] = true
	}
	return len(seen)
}

// moveStage puts stage on version i, taking it from the version that held it: a stage names one version.
func (r *secretRec) moveStage(stage string, i int, now time.Time) {
	if j := r.stageOwner(stage); j >= 0 {
		if j == i {
			return
		}
		r.versions[j].Stages = slices.DeleteFunc(r.versions[j].Stages, func(s string) bool { return s == stage })
		delete(r.versions[j].StagedAt, stage)
	}
	v := &r.versions[i]
	v.Stages = append(v.Stages, stage)
	if v.StagedAt == nil {
		v.StagedAt = map[string]time.Time{}
	}
	v.StagedAt[stage] = now
}

// nextVersionID follows the documented v1, v2, ... pattern: one past the highest number in use (the mock
// never drops the newest version, so an id is never handed out twice).
func (r *secretRec) nextVersionID() string {
	n := 0
	for _, v := range r.versions {
		if k, err := strconv.Atoi(strings.TrimPrefix(v.ID, "v")); err == nil && k > n {
			n = k
		}
	}
	return "v" + strconv.Itoa(n+1)
}

// addVersionLocked stores a new version of r. At the 21st version the oldest version without a stage
// (deprecated, which the service may delete) is dropped.
func (r *secretRec) addVersionLocked(in VersionInput, now time.Time) (SecretVersion, error) {
	stages := []string{stageCurrent}
	if in.Stages != nil {
		stages = slices.Compact(slices.Sorted(slices.Values(*in.Stages)))
	}
	if r.stageCount(stages...) > MaxSecretStages {
		return SecretVersion{}, ErrSecretStageQuota
	}
	if len(r.versions) >= MaxSecretVersions {
		// With at most 12 stages, at least 8 of 20 versions hold none: one older than the newest exists.
		if i := slices.IndexFunc(r.versions[:len(r.versions)-1], func(v SecretVersion) bool { return len(v.Stages) == 0 }); i >= 0 {
			r.versions = slices.Delete(r.versions, i, i+1)
		}
	}
	v := SecretVersion{ID: r.nextVersionID(), SecretName: r.Name, KMSKeyID: r.KMSKeyID, Created: now,
		Stages: []string{}, StagedAt: map[string]time.Time{}, Expire: in.Expire,
		String: clonePtr(in.String), Binary: clonePtr(in.Binary)}
	prev := r.stageOwner(stageCurrent)
	r.versions = append(r.versions, v)
	i := len(r.versions) - 1
	for _, st := range stages {
		r.moveStage(st, i, now)
	}
	// The version that held SYSCURRENT becomes SYSPREVIOUS when the new version takes SYSCURRENT.
	if prev >= 0 && slices.Contains(stages, stageCurrent) && !slices.Contains(stages, stagePrevious) {
		r.moveStage(stagePrevious, prev, now)
	}
	r.Updated = now
	return r.versions[i].clone(), nil
}

// CreateSecretVersion stores a new value in a new version of an ENABLED secret.
func (s *store) CreateSecretVersion(c Caller, name string, in VersionInput) (SecretVersion, error) {
	if (in.String == nil) == (in.Binary == nil) {
		return SecretVersion{}, fmt.Errorf("%w: exactly one of secret_string and secret_binary", ErrCSMSInvalidParam)
	}
	if in.Stages != nil && len(*in.Stages) == 0 {
		return SecretVersion{}, fmt.Errorf("%w: version_stages holds 1 to %d stages", ErrCSMSInvalidParam, MaxSecretStages)
	}
	var v SecretVersion
	_, err := s.secretOp(c, name, func(r *secretRec, now time.Time) error {
		if err := usableForVersions(r); err != nil {
			return err
		}
		var err error
		v, err = r.addVersionLocked(in, now)
		return err
	})
	return v, err
}

// ListSecretVersions returns the metadata of every version, oldest first, in any state of the secret
// (metadata only, like ShowSecret).
func (s *store) ListSecretVersions(c Caller, name string) ([]SecretVersion, error) {
	var out []SecretVersion
	_, err := s.secretOp(c, name, func(r *secretRec, _ time.Time) error {
		for _, v := range r.versions {
			v = v.clone()
			v.String, v.Binary = nil, nil
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// UpdateSecretVersion sets a version's expiry; ENABLED secrets only.
func (s *store) UpdateSecretVersion(c Caller, name, versionID string, expire time.Time) (SecretVersion, error) {
	var v SecretVersion
	_, err := s.secretOp(c, name, func(r *secretRec, now time.Time) error {
		if err := usableForVersions(r); err != nil {
			return err
		}
		i := slices.IndexFunc(r.versions, func(v SecretVersion) bool { return v.ID == versionID })
		if versionID == "latest" {
			i = len(r.versions) - 1
		}
		if i < 0 {
			return ErrSecretVersionNotFound
		}
		r.versions[i].Expire = expire
		r.Updated = now
		v = r.versions[i].clone()
		v.String, v.Binary = nil, nil
		return nil
	})
	return v, err
}

func stageOf(r *secretRec, stage string) (SecretStage, error) {
	i := r.stageOwner(stage)
	if i < 0 {
		return SecretStage{}, ErrSecretStageNotFound
	}
	v := r.versions[i]
	return SecretStage{Name: stage, SecretName: r.Name, VersionID: v.ID, Updated: v.StagedAt[stage]}, nil
}

// ShowSecretStage returns the version a stage names, in any state of the secret (metadata only).
func (s *store) ShowSecretStage(c Caller, name, stage string) (SecretStage, error) {
	var out SecretStage
	_, err := s.secretOp(c, name, func(r *secretRec, _ time.Time) error {
		var err error
		out, err = stageOf(r, stage)
		return err
	})
	return out, err
}

// UpdateSecretStage puts a stage on a version, creating the stage if it is new (at most 12 per secret).
// Only the named stage moves: SYSPREVIOUS follows SYSCURRENT only when a new version is stored.
func (s *store) UpdateSecretStage(c Caller, name, stage, versionID string) (SecretStage, error) {
	var out SecretStage
	_, err := s.secretOp(c, name, func(r *secretRec, now time.Time) error {
		if err := usableForVersions(r); err != nil {
			return err
		}
		i := slices.IndexFunc(r.versions, func(v SecretVersion) bool { return v.ID == versionID })
		if i < 0 {
			return ErrSecretVersionNotFound
		}
		if r.stageCount(stage) > MaxSecretStages {
			return ErrSecretStageQuota
		}
		r.moveStage(stage, i, now)
		r.Updated = now
		var err error
		out, err = stageOf(r, stage)
		return err
	})
	return out, err
}

// DeleteSecretStage removes a stage from the version it names; SYSCURRENT and SYSPREVIOUS cannot be
// deleted.
func (s *store) DeleteSecretStage(c Caller, name, stage string) error {
	_, err := s.secretOp(c, name, func(r *secretRec, now time.Time) error {
		if err := usableForVersions(r); err != nil {
			return err
		}
		if stage == stageCurrent || stage == stagePrevious {
			return ErrSecretSystemStage
		}
		i := r.stageOwner(stage)
		if i < 0 {
			return ErrSecretStageNotFound
		}
		r.versions[i].Stages = slices.DeleteFunc(r.versions[i].Stages, func(s string) bool { return s == stage })
		delete(r.versions[i].StagedAt, stage)
		r.Updated = now
		return nil
	})
	return err
}

// Rotation is the answer to RotateSecret.
type Rotation struct {
	TaskID     string
	SecretName string
	VersionID  string
}

// RotateSecret models a rotation the mock can do without FunctionGraph or a database: a new version,
// SYSCURRENT, with a fresh random value, the old one SYSPREVIOUS. COMMON secrets are refused, as
// documented. The real service completes the rotation later; the mock completes it at once.
func (s *store) RotateSecret(c Caller, name string) (Rotation, error) {
	var out Rotation
	_, err := s.secretOp(c, name, func(r *secretRec, now time.Time) error {
		if err := usableForVersions(r); err != nil {
			return err
		}
		if r.SecretType == "" || r.SecretType == "COMMON" {
			return ErrSecretNotRotatable
		}
		value, err := s.newHex(16)
		if err != nil {
			return err
		}
		task, err := s.newUUID()
		if err != nil {
			return err
		}
		v, err := r.addVersionLocked(VersionInput{String: &value}, now)
		if err != nil {
			return err
		}
		out = Rotation{TaskID: task, SecretName: r.Name, VersionID: v.ID}
		return nil
	})
	return out, err
}
