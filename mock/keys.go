package mock

import (
	"crypto/cipher"
	"fmt"
	"strings"
	"time"

	"github.com/dewconform/dewconform/gen/ops"
)

// KeyState is a KMS key_state value, as the service spells it.
type KeyState string

// Key states (SDK KeyDetails; "7" appears only in the KeyStatusInfo description).
const (
	KeyPendingActivation KeyState = "1"
	KeyEnabled           KeyState = "2"
	KeyDisabled          KeyState = "3"
	KeyPendingDeletion   KeyState = "4"
	KeyPendingImport     KeyState = "5"
	KeyFrozen            KeyState = "7"
)

// KeyStates lists every state, for tables that must cover them all.
func KeyStates() []KeyState {
	return []KeyState{KeyPendingActivation, KeyEnabled, KeyDisabled, KeyPendingDeletion, KeyPendingImport, KeyFrozen}
}

func (s KeyState) valid() bool {
	for _, v := range KeyStates() {
		if s == v {
			return true
		}
	}
	return false
}

// Pending-days bounds of schedule-key-deletion (KMS.1401).
const (
	MinPendingDays = 7
	MaxPendingDays = 1096
)

const (
	defaultRealm   = "cn-north-4"
	defaultAliasSx = "/default" // system default master keys end in it (e.g. csms/default)
	csmsDefaultKey = "csms/default"
	specAES256     = "AES_256"
	specSM4        = "SM4"
	specAll        = "ALL"
	usageEncrypt   = "ENCRYPT_DECRYPT"
	usageSign      = "SIGN_VERIFY"
	originKMS      = "kms"
	originExternal = "external"
)

// Key is a snapshot of a key, safe to read without the store's lock.
type Key struct {
	ID                  string
	ProjectID           string
	DomainID            string
	Alias               string
	Description         string
	Realm               string
	Spec                string
	Usage               string
	Origin              string
	EnterpriseProjectID string
	KeystoreID          string
	CreatorID           string // user id of the creator; "" for system default keys
	State               KeyState
	Default             bool
	Created             time.Time
	DeletionDate        time.Time // zero unless State is KeyPendingDeletion
}

type keyRec struct {
	Key
	aead     cipher.AEAD // AES-256-GCM or SM4-GCM under the key's own material (keyAEAD)
	material []byte      // that material, kept for the state file (never logged, never returned)
	asym     *asymKey    // the key pair of an asymmetric key (nil for symmetric keys); set at creation, never replaced
	grants   []*Grant    // creation order
	offset   time.Duration
	seq      uint64
}

// allows says whether c may perform op on the key: full rights in the key's project, or a grant to c
// that lists op.
func (k *keyRec) allows(c Caller, op string) bool {
	if c.Full && c.ProjectID == k.ProjectID {
		return true
	}
	for _, g := range k.grants {
		if g.GranteePrincipal == c.UserID && g.has(op) {
			return true
		}
	}
	return false
}

// KeyInput is what create-key (or a seed) asks for.
type KeyInput struct {
	ID                  string // seeds only; "" means a fresh random id
	Alias               string
	Description         string
	Spec                string
	Usage               string
	Origin              string
	EnterpriseProjectID string
	KeystoreID          string
	Default             bool   // a system default master key (seeds and CSMS's csms/default only)
	Material            []byte // seeds only: the key material (materialLen of its spec); nil means fresh random material
}

func symmetric(spec string) bool { return spec == specAES256 || spec == specSM4 }

// createKeyLocked creates a key in c's project. Callers hold s.mu.
func (s *store) createKeyLocked(c Caller, in KeyInput) (*keyRec, error) {
	if strings.HasSuffix(in.Alias, defaultAliasSx) && !in.Default {
		return nil, fmt.Errorf("%w: alias %q is reserved for default keys", ErrInvalidAlias, in.Alias)
	}
	live := s.liveKeys(c.ProjectID)
	if !in.Default && len(live) >= s.limits.KeysPerProject {
		return nil, ErrKeyQuota
	}
	for _, k := range live {
		if k.Alias == in.Alias {
			return nil, ErrAliasExists
		}
	}
	id := in.ID
	if id == "" {
		var err error
		if id, err = s.newUUID(); err != nil {
			return nil, err
		}
	} else if _, taken := s.keys[c.ProjectID][id]; taken {
		return nil, fmt.Errorf("%w: key id %s exists", ErrKMSInvalidParam, id)
	}
	material := in.Material
	if material == nil {
		var err error
		if material, err = s.randomBytes(materialLen(in.Spec)); err != nil {
			return nil, err
		}
	} else if len(material) != materialLen(in.Spec) {
		return nil, fmt.Errorf("%w: key material must be %d bytes", ErrKMSInvalidParam, materialLen(in.Spec))
	}
	aead, err := keyAEAD(in.Spec, material)
	if err != nil {
		return nil, err
	}
	k := &keyRec{
		Key: Key{
			ID: id, ProjectID: c.ProjectID, DomainID: domainID(c.ProjectID), Alias: in.Alias,
			Description: in.Description, Realm: defaultRealm, Spec: in.Spec, Usage: in.Usage, Origin: in.Origin,
			EnterpriseProjectID: in.EnterpriseProjectID, KeystoreID: in.KeystoreID, CreatorID: c.UserID,
			State: KeyEnabled, Default: in.Default, Created: s.nowAt(0),
		},
		aead:     aead,
		material: material,
		seq:      s.nextSeq(),
	}
	if k.Spec == "" {
		k.Spec = specAES256
	}
	if k.Usage == "" {
		k.Usage = usageEncrypt
		if !symmetric(k.Spec) {
			k.Usage = usageSign
		}
	}
	if !usageAllowed(k.Spec, k.Usage) {
		return nil, fmt.Errorf("%w: %s cannot be %s", ErrInvalidKeyUsageSpec, k.Spec, k.Usage)
	}
	if asymmetricSpec(k.Spec) {
		k.asym = &asymKey{spec: k.Spec}
	}
	if k.Origin == "" {
		k.Origin = originKMS
	}
	if k.Origin == originExternal {
		k.State = KeyPendingImport // no key material yet
	}
	if k.EnterpriseProjectID == "" {
		k.EnterpriseProjectID = "0"
	}
	if k.KeystoreID == "" {
		k.KeystoreID = "0"
	}
	if in.Default {
		k.CreatorID = ""
	}
	if s.keys[c.ProjectID] == nil {
		s.keys[c.ProjectID] = map[string]*keyRec{}
	}
	s.keys[c.ProjectID][id] = k
	return k, nil
}

// CreateKey creates an enabled key ("2"), or "5" for origin external.
func (s *store) CreateKey(c Caller, in KeyInput) (Key, error) {
	if !c.Full {
		return Key{}, ErrKeyAccessDenied
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.createKeyLocked(c, in)
	if err != nil {
		return Key{}, err
	}
	return k.Key, nil
}

// DescribeKey returns a key in any state (UNCONFIRMED for "4", "5", "7"; nothing says otherwise).
func (s *store) DescribeKey(c Caller, id string) (Key, error) {
	return s.keyOp(c, id, OpDescribeKey, func(*keyRec, time.Time) error { return nil })
}

// KeyFilter narrows list-keys.
type KeyFilter struct {
	State KeyState // "" = any
	Spec  string   // "" = AES_256 (the service's default filter); "ALL" = every spec
}

// ListKeys lists the keys of c's project that match f, in creation order.
func (s *store) ListKeys(c Caller, f KeyFilter) ([]Key, error) {
	if !c.Full {
		return nil, ErrKeyAccessDenied
	}
	spec := f.Spec
	if spec == "" {
		spec = specAES256
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Key
	for _, k := range s.liveKeys(c.ProjectID) {
		if (f.State == "" || k.State == f.State) && (spec == specAll || k.Spec == spec) {
			out = append(out, k.Key)
		}
	}
	return out, nil
}

// EnableKey: "3" → "2"; anything else (including frozen) is KMS.1201.
func (s *store) EnableKey(c Caller, id string) (Key, error) {
	return s.keyOp(c, id, ops.EnableKey, func(k *keyRec, _ time.Time) error {
		if k.State != KeyDisabled {
			return ErrKeyNotDisabled
		}
		k.State = KeyEnabled
		return nil
	})
}

// DisableKey: "2" → "3"; anything else is KMS.1301.
func (s *store) DisableKey(c Caller, id string) (Key, error) {
	return s.keyOp(c, id, ops.DisableKey, func(k *keyRec, _ time.Time) error {
		if k.State != KeyEnabled {
			return ErrKeyNotEnabled
		}
		k.State = KeyDisabled
		return nil
	})
}

// ScheduleKeyDeletion: {"2","3","5"} → "4", deleted pendingDays later.
func (s *store) ScheduleKeyDeletion(c Caller, id string, pendingDays int) (Key, error) {
	if pendingDays < MinPendingDays || pendingDays > MaxPendingDays {
		return Key{}, ErrInvalidPendingDays
	}
	return s.keyOp(c, id, ops.ScheduleKeyDeletion, func(k *keyRec, now time.Time) error {
		if k.Default {
			return ErrDefaultKey
		}
		switch k.State {
		case KeyEnabled, KeyDisabled, KeyPendingImport:
			k.State = KeyPendingDeletion
			k.DeletionDate = now.Add(time.Duration(pendingDays) * 24 * time.Hour)
			return nil
		case KeyPendingDeletion:
			return ErrKeyAlreadyPending
		default: // "1", "7"
			return ErrKeyFrozen
		}
	})
}

// CancelKeyDeletion: "4" → "3" (the documented result, also for external keys: UNCONFIRMED).
func (s *store) CancelKeyDeletion(c Caller, id string) (Key, error) {
	return s.keyOp(c, id, ops.CancelKeyDeletion, func(k *keyRec, _ time.Time) error {
		if k.State != KeyPendingDeletion {
			return ErrKeyNotPendingDeletion
		}
		k.State = KeyDisabled
		k.DeletionDate = time.Time{}
		return nil
	})
}

// keyOp runs one key operation under the lock in the documented order: lookup (KMS.0207), permission
// (KMS.0306), then the state rule in apply. The key is unchanged when apply refuses.
func (s *store) keyOp(c Caller, id, op string, apply func(k *keyRec, now time.Time) error) (Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.lookupKey(c.ProjectID, id)
	if err != nil {
		return Key{}, err
	}
	if !k.allows(c, op) {
		return Key{}, ErrKeyAccessDenied
	}
	if err := apply(k, s.nowAt(k.offset)); err != nil {
		return Key{}, err
	}
	return k.Key, nil
}
