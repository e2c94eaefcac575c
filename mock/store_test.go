package mock

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	admin   = Caller{Name: "alice", ProjectID: "p1", UserID: "alice", Full: true}
	admin2  = Caller{Name: "dave", ProjectID: "p1", UserID: "dave", Full: true}
	grantee = Caller{Name: "bob", ProjectID: "p1", UserID: "bob"}
	nobody  = Caller{Name: "carol", ProjectID: "p1", UserID: "carol"}
	foreign = Caller{Name: "eve", ProjectID: "p2", UserID: "eve", Full: true}
)

func testStore(t *testing.T, choices Choices) (*store, *time.Time) {
	t.Helper()
	now := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	c, err := choices.withDefaults()
	require.NoError(t, err)
	return newStore(storeConfig{Clock: ClockFunc(func() time.Time { return now }), Choices: c}), &now
}

// keyIn creates a key and forces it into state.
func keyIn(t *testing.T, s *store, state KeyState) string {
	t.Helper()
	k, err := s.CreateKey(admin, KeyInput{Alias: fmt.Sprintf("k%d", s.seq)})
	require.NoError(t, err)
	_, err = s.SetKeyState(k.ID, state)
	require.NoError(t, err)
	return k.ID
}

// TestKeyStateMachine covers every key state × every state-changing or state-dependent operation.
// want is the resulting state, or the refusal.
func TestKeyStateMachine(t *testing.T) {
	type result struct {
		state KeyState
		err   error
	}
	ops := map[string]func(s *store, id string) error{
		"enable":   func(s *store, id string) error { _, err := s.EnableKey(admin, id); return err },
		"disable":  func(s *store, id string) error { _, err := s.DisableKey(admin, id); return err },
		"schedule": func(s *store, id string) error { _, err := s.ScheduleKeyDeletion(admin, id, 7); return err },
		"cancel":   func(s *store, id string) error { _, err := s.CancelKeyDeletion(admin, id); return err },
		"describe": func(s *store, id string) error { _, err := s.DescribeKey(admin, id); return err },
		"datakey":  func(s *store, id string) error { _, _, err := s.CreateDataKey(admin, id, 256, nil); return err },
		"encrypt":  func(s *store, id string) error { _, err := s.EncryptData(admin, id, []byte("x"), nil); return err },
		"grant": func(s *store, id string) error {
			_, err := s.CreateGrant(admin, GrantInput{KeyID: id, GranteePrincipal: "bob", Operations: []string{OpDescribeKey}})
			return err
		},
	}
	ok := func(s KeyState) result { return result{state: s} }
	no := func(err error) result { return result{err: err} }
	want := map[KeyState]map[string]result{
		KeyPendingActivation: {"enable": no(ErrKeyNotDisabled), "disable": no(ErrKeyNotEnabled), "schedule": no(ErrKeyFrozen),
			"cancel": no(ErrKeyNotPendingDeletion), "describe": ok("1"), "datakey": no(ErrKeyNotUsable), "encrypt": no(ErrKeyNotUsable),
			"grant": no(ErrKeyNotUsable)},
		KeyEnabled: {"enable": no(ErrKeyNotDisabled), "disable": ok("3"), "schedule": ok("4"),
			"cancel": no(ErrKeyNotPendingDeletion), "describe": ok("2"), "datakey": ok("2"), "encrypt": ok("2"), "grant": ok("2")},
		KeyDisabled: {"enable": ok("2"), "disable": no(ErrKeyNotEnabled), "schedule": ok("4"),
			"cancel": no(ErrKeyNotPendingDeletion), "describe": ok("3"), "datakey": no(ErrKeyDisabled),
			"encrypt": no(ErrKeyDisabled), "grant": ok("3")},
		KeyPendingDeletion: {"enable": no(ErrKeyNotDisabled), "disable": no(ErrKeyNotEnabled), "schedule": no(ErrKeyAlreadyPending),
			"cancel": ok("3"), "describe": ok("4"), "datakey": no(ErrKeyPendingDeletion), "encrypt": no(ErrKeyPendingDeletion),
			"grant": no(ErrKeyPendingDeletion)},
		KeyPendingImport: {"enable": no(ErrKeyNotDisabled), "disable": no(ErrKeyNotEnabled), "schedule": ok("4"),
			"cancel": no(ErrKeyNotPendingDeletion), "describe": ok("5"), "datakey": no(ErrKeyNotUsable),
			"encrypt": no(ErrKeyNotUsable), "grant": ok("5")},
		KeyFrozen: {"enable": no(ErrKeyNotDisabled), "disable": no(ErrKeyNotEnabled), "schedule": no(ErrKeyFrozen),
			"cancel": no(ErrKeyNotPendingDeletion), "describe": ok("7"), "datakey": no(ErrKeyNotUsable), "encrypt": no(ErrKeyNotUsable),
			"grant": no(ErrKeyNotUsable)},
	}
	for _, from := range KeyStates() {
		require.Len(t, want[from], len(ops), "state %s must list every operation", from)
		for op, w := range want[from] {
			t.Run(fmt.Sprintf("%s from %s", op, from), func(t *testing.T) {
				s, _ := testStore(t, Choices{})
				id := keyIn(t, s, from)
				err := ops[op](s, id)
				k, derr := s.DescribeKey(admin, id)
				require.NoError(t, derr)
				if w.err != nil {
					require.ErrorIs(t, err, w.err)
					require.Equal(t, from, k.State, "a refused operation leaves the key unchanged")
					return
				}
				require.NoError(t, err)
				require.Equal(t, w.state, k.State)
				require.Equal(t, k.State == KeyPendingDeletion, !k.DeletionDate.IsZero(), "deletion date set exactly in 4")
			})
		}
	}
}

func TestScheduleKeyDeletionDaysAndExpiry(t *testing.T) {
	s, now := testStore(t, Choices{})
	id := keyIn(t, s, KeyEnabled)
	for _, days := range []int{-1, 0, 6, 1097} {
		_, err := s.ScheduleKeyDeletion(admin, id, days)
		require.ErrorIs(t, err, ErrInvalidPendingDays, days)
	}
	k, err := s.ScheduleKeyDeletion(admin, id, 7)
	require.NoError(t, err)
	require.Equal(t, now.Add(7*24*time.Hour), k.DeletionDate)

	*now = now.Add(7*24*time.Hour - time.Millisecond)
	_, err = s.DescribeKey(admin, id)
	require.NoError(t, err, "still there a millisecond before")
	*now = now.Add(time.Millisecond)
	_, err = s.DescribeKey(admin, id)
	require.ErrorIs(t, err, ErrKeyNotFound, "gone once the date is reached")
	_, err = s.CancelKeyDeletion(admin, id)
	require.ErrorIs(t, err, ErrKeyNotFound)
}

func TestDefaultKeyRefusals(t *testing.T) {
	s, _ := testStore(t, Choices{})
	s.mu.Lock()
	k, err := s.createKeyLocked(admin, KeyInput{Alias: "csms/default", Default: true})
	s.mu.Unlock()
	require.NoError(t, err)
	_, err = s.ScheduleKeyDeletion(admin, k.ID, 7)
	require.ErrorIs(t, err, ErrDefaultKey)
	_, err = s.CreateGrant(admin, GrantInput{KeyID: k.ID, GranteePrincipal: "bob", Operations: []string{OpDescribeKey}})
	require.ErrorIs(t, err, ErrDefaultKey)
	_, err = s.CreateKey(admin, KeyInput{Alias: "obs/default"})
	require.ErrorIs(t, err, ErrInvalidAlias, "user keys may not take a default alias")
}

func TestKeyQuotaAndAlias(t *testing.T) {
	s, _ := testStore(t, Choices{})
	s.limits.KeysPerProject = 2
	_, err := s.CreateKey(admin, KeyInput{Alias: "a"})
	require.NoError(t, err)
	_, err = s.CreateKey(admin, KeyInput{Alias: "a"})
	require.ErrorIs(t, err, ErrAliasExists)
	_, err = s.CreateKey(admin, KeyInput{Alias: "b"})
	require.NoError(t, err)
	_, err = s.CreateKey(admin, KeyInput{Alias: "c"})
	require.ErrorIs(t, err, ErrKeyQuota)
	_, err = s.CreateKey(foreign, KeyInput{Alias: "a"})
	require.NoError(t, err, "quota and aliases are per project")
	_, err = s.CreateKey(grantee, KeyInput{Alias: "z"})
	require.ErrorIs(t, err, ErrKeyAccessDenied)
}

// TestGrantAccess covers every caller × every grant operation, with and without a grant.
func TestGrantAccess(t *testing.T) {
	// alice creates the key and a grant to bob (create-datakey, describe-key) with carol retiring.
	setup := func(t *testing.T) (*store, string, string) {
		s, _ := testStore(t, Choices{})
		k, err := s.CreateKey(admin, KeyInput{Alias: "k"})
		require.NoError(t, err)
		g, err := s.CreateGrant(admin, GrantInput{KeyID: k.ID, GranteePrincipal: "bob", RetiringPrincipal: "carol",
			Operations: []string{OpCreateDatakey, OpDescribeKey}})
		require.NoError(t, err)
		return s, k.ID, g.ID
	}
	ops := map[string]func(s *store, c Caller, key, grant string) error{
		"revoke": func(s *store, c Caller, key, grant string) error { return s.RevokeGrant(c, key, grant) },
		"retire": func(s *store, c Caller, key, grant string) error { return s.RetireGrant(c, key, grant) },
		"list":   func(s *store, c Caller, key, _ string) error { _, err := s.ListGrants(c, key); return err },
		"datakey": func(s *store, c Caller, key, _ string) error {
			_, _, err := s.CreateDataKey(c, key, 128, nil)
			return err
		},
		"describe": func(s *store, c Caller, key, _ string) error { _, err := s.DescribeKey(c, key); return err },
		"encrypt": func(s *store, c Caller, key, _ string) error {
			_, err := s.EncryptData(c, key, []byte("x"), nil)
			return err
		},
		"grant": func(s *store, c Caller, key, _ string) error {
			_, err := s.CreateGrant(c, GrantInput{KeyID: key, GranteePrincipal: "carol", Operations: []string{OpDescribeKey}})
			return err
		},
	}
	denied := ErrKeyAccessDenied
	want := map[string]map[string]error{
		"alice": {"revoke": nil, "retire": nil, "list": nil, "datakey": nil, "describe": nil, "encrypt": nil, "grant": nil},
		// dave is an administrator but not the key's creator: revoke is the creator's alone.
		"dave": {"revoke": denied, "retire": denied, "list": nil, "datakey": nil, "describe": nil, "encrypt": nil, "grant": nil},
		"bob":  {"revoke": denied, "retire": denied, "list": denied, "datakey": nil, "describe": nil, "encrypt": denied, "grant": denied},
		"carol": {"revoke": denied, "retire": nil, "list": denied, "datakey": denied, "describe": denied, "encrypt": denied,
			"grant": denied},
		"eve": {"revoke": ErrKeyNotFound, "retire": ErrKeyNotFound, "list": ErrKeyNotFound, "datakey": ErrKeyNotFound,
			"describe": ErrKeyNotFound, "encrypt": ErrKeyNotFound, "grant": ErrKeyNotFound},
	}
	callers := map[string]Caller{"alice": admin, "dave": admin2, "bob": grantee, "carol": nobody, "eve": foreign}
	for name, row := range want {
		require.Len(t, row, len(ops))
		for op, w := range row {
			t.Run(name+" "+op, func(t *testing.T) {
				s, key, grant := setup(t)
				err := ops[op](s, callers[name], key, grant)
				if w == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, w)
				}
			})
		}
	}
}

func TestGrantLifecycle(t *testing.T) {
	s, _ := testStore(t, Choices{})
	k1, _ := s.CreateKey(admin, KeyInput{Alias: "k1"})
	k2, _ := s.CreateKey(admin, KeyInput{Alias: "k2"})
	_, err := s.CreateGrant(admin, GrantInput{KeyID: k1.ID, GranteePrincipal: "bob", Operations: []string{OpCreateGrant}})
	require.ErrorIs(t, err, ErrOnlyCreateGrant)
	g, err := s.CreateGrant(admin, GrantInput{KeyID: k1.ID, GranteePrincipal: "bob",
		Operations: []string{OpCreateDatakey, OpRetireGrant}})
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f]{64}$`, g.ID)
	require.Equal(t, "bob", g.Name, "name defaults to the grantee")
	require.Equal(t, "alice", g.IssuingPrincipal)

	require.ErrorIs(t, s.RevokeGrant(admin, k2.ID, g.ID), ErrGrantKeyMismatch)
	require.ErrorIs(t, s.RevokeGrant(admin, k1.ID, fmt.Sprintf("%064d", 0)), ErrGrantNotFound)
	require.Len(t, s.ListRetirableGrants(grantee), 1, "a grantee holding retire-grant may retire it")

	_, _, err = s.CreateDataKey(grantee, k1.ID, 256, nil)
	require.NoError(t, err)
	require.NoError(t, s.RetireGrant(grantee, k1.ID, g.ID))
	_, _, err = s.CreateDataKey(grantee, k1.ID, 256, nil)
	require.ErrorIs(t, err, ErrKeyAccessDenied, "a retired grant confers nothing")
	grants, err := s.ListGrants(admin, k1.ID)
	require.NoError(t, err)
	require.Empty(t, grants)
	require.ErrorIs(t, s.RetireGrant(grantee, k1.ID, g.ID), ErrGrantNotFound)

	s.limits.GrantsPerKey = 1
	_, err = s.CreateGrant(admin, GrantInput{KeyID: k1.ID, GranteePrincipal: "bob", Operations: []string{OpDescribeKey}})
	require.NoError(t, err)
	_, err = s.CreateGrant(admin, GrantInput{KeyID: k1.ID, GranteePrincipal: "bob", Operations: []string{OpDescribeKey}})
	require.ErrorIs(t, err, ErrGrantQuota)
}

// TestSecretStateMachine covers every secret state × every operation.
func TestSecretStateMachine(t *testing.T) {
	ops := map[string]func(s *store) error{
		"schedule": func(s *store) error { _, err := s.ScheduleSecretDeletion(admin, "s", 7); return err },
		"restore":  func(s *store) error { _, err := s.RestoreSecret(admin, "s"); return err },
		"update": func(s *store) error {
			_, err := s.UpdateSecret(admin, "s", SecretUpdate{Description: ptr("d")})
			return err
		},
		"version": func(s *store) error { _, err := s.ShowSecretVersion(admin, "s", "latest"); return err },
		"show":    func(s *store) error { _, err := s.ShowSecret(admin, "s"); return err },
		"delete":  func(s *store) error { return s.DeleteSecret(admin, "s") },
	}
	type result struct {
		state SecretState // "" = gone
		err   error
	}
	ok := func(s SecretState) result { return result{state: s} }
	no := func(err error) result { return result{err: err} }
	want := map[SecretState]map[string]result{
		SecretEnabled: {"schedule": ok(SecretPendingDelete), "restore": no(ErrSecretNotPendingDelete), "update": ok(SecretEnabled),
			"version": ok(SecretEnabled), "show": ok(SecretEnabled), "delete": ok("")},
		SecretDisabled: {"schedule": ok(SecretPendingDelete), "restore": no(ErrSecretNotPendingDelete), "update": ok(SecretDisabled),
			"version": no(ErrSecretStateRefuses), "show": ok(SecretDisabled), "delete": ok("")},
		SecretPendingDelete: {"schedule": no(ErrSecretAlreadyPending), "restore": ok(SecretEnabled),
			"update": no(ErrSecretPendingDelete), "version": no(ErrSecretPendingDelete), "show": ok(SecretPendingDelete),
			"delete": ok("")},
		SecretFrozen: {"schedule": no(ErrSecretStateRefuses), "restore": no(ErrSecretNotPendingDelete),
			"update": no(ErrSecretStateRefuses), "version": no(ErrSecretStateRefuses), "show": ok(SecretFrozen),
			"delete": no(ErrSecretStateRefuses)},
	}
	for _, from := range SecretStates() {
		require.Len(t, want[from], len(ops))
		for op, w := range want[from] {
			t.Run(fmt.Sprintf("%s from %s", op, from), func(t *testing.T) {
				s, _ := testStore(t, Choices{})
				_, err := s.CreateSecret(admin, SecretInput{Name: "s", String: ptr("v")})
				require.NoError(t, err)
				_, err = s.SetSecretState("p1", "s", from)
				require.NoError(t, err)
				err = ops[op](s)
				got, serr := s.ShowSecret(admin, "s")
				if w.err != nil {
					require.ErrorIs(t, err, w.err)
					require.NoError(t, serr)
					require.Equal(t, from, got.State, "a refused operation leaves the secret unchanged")
					return
				}
				require.NoError(t, err)
				if w.state == "" {
					require.ErrorIs(t, serr, ErrSecretNotFound)
					return
				}
				require.Equal(t, w.state, got.State)
				require.Equal(t, got.State == SecretPendingDelete, !got.ScheduledDelete.IsZero())
			})
		}
	}
}

func TestRestoreDisabledSecretChoice(t *testing.T) {
	for _, to := range []SecretState{SecretEnabled, SecretDisabled} {
		s, _ := testStore(t, Choices{RestoreDisabledSecretTo: to})
		_, err := s.CreateSecret(admin, SecretInput{Name: "s", String: ptr("v")})
		require.NoError(t, err)
		_, err = s.SetSecretState("p1", "s", SecretDisabled)
		require.NoError(t, err)
		_, err = s.ScheduleSecretDeletion(admin, "s", 30)
		require.NoError(t, err)
		got, err := s.RestoreSecret(admin, "s")
		require.NoError(t, err)
		require.Equal(t, to, got.State)
		require.True(t, got.ScheduledDelete.IsZero())
	}
}

func TestSecretExpiryAndRules(t *testing.T) {
	s, now := testStore(t, Choices{})
	_, err := s.CreateSecret(admin, SecretInput{Name: "s", String: ptr("v")})
	require.NoError(t, err)
	_, err = s.CreateSecret(admin, SecretInput{Name: "s", String: ptr("v")})
	require.ErrorIs(t, err, ErrSecretExists)
	_, err = s.CreateSecret(admin, SecretInput{Name: "t"})
	require.ErrorIs(t, err, ErrCSMSInvalidParam, "a value is required")
	_, err = s.CreateSecret(grantee, SecretInput{Name: "u", String: ptr("v")})
	require.ErrorIs(t, err, ErrCSMSForbidden)
	for _, days := range []int{0, 6, 31} {
		_, err = s.ScheduleSecretDeletion(admin, "s", days)
		require.ErrorIs(t, err, ErrCSMSInvalidRecoveryDays)
	}
	_, err = s.ScheduleSecretDeletion(admin, "s", 7)
	require.NoError(t, err)
	*now = now.Add(7 * 24 * time.Hour)
	_, err = s.RestoreSecret(admin, "s")
	require.ErrorIs(t, err, ErrSecretNotFound, "gone after the recovery window")
	_, err = s.ShowSecret(foreign, "s")
	require.True(t, errors.Is(err, ErrSecretNotFound))
}

func TestCryptoRoundTrip(t *testing.T) {
	s, _ := testStore(t, Choices{})
	k1, _ := s.CreateKey(admin, KeyInput{Alias: "k1"})
	k2, _ := s.CreateKey(admin, KeyInput{Alias: "k2"})
	for _, pt := range [][]byte{[]byte("x"), []byte("hello world"), make([]byte, MaxPlaintext)} {
		env, err := s.EncryptData(admin, k1.ID, pt, []byte("aad"))
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(env), minEnvelope)
		id, got, err := s.DecryptData(admin, env, []byte("aad"))
		require.NoError(t, err)
		require.Equal(t, k1.ID, id)
		require.Equal(t, pt, got)

		_, _, err = s.DecryptData(admin, env, []byte("other"))
		require.ErrorIs(t, err, ErrInvalidCiphertext, "wrong AAD")
		tampered := append([]byte(nil), env...)
		tampered[len(tampered)-1] ^= 1
		_, _, err = s.DecryptData(admin, tampered, []byte("aad"))
		require.ErrorIs(t, err, ErrInvalidCiphertext, "tampered")
		wrongKey := append([]byte(nil), env...)
		copy(wrongKey[1:], k2.ID)
		_, _, err = s.DecryptData(admin, wrongKey, []byte("aad"))
		require.ErrorIs(t, err, ErrInvalidCiphertext, "another key cannot open it")
	}
	_, err := s.EncryptData(admin, k1.ID, make([]byte, MaxPlaintext+1), nil)
	require.ErrorIs(t, err, ErrPlaintextTooLong)
	plain, env, err := s.CreateDataKey(admin, k1.ID, 512, nil)
	require.NoError(t, err)
	require.Len(t, plain, 64)
	_, got, err := s.DecryptData(admin, env, nil)
	require.NoError(t, err)
	require.Equal(t, plain, got)
	for _, bits := range []int{0, 7, 12, 8200} {
		_, _, err = s.CreateDataKey(admin, k1.ID, bits, nil)
		require.ErrorIs(t, err, ErrInvalidDatakeyLength, bits)
	}
}

func TestChoicesValidation(t *testing.T) {
	for _, c := range []Choices{
		{SecretNotFoundCode: "CSMS.9999"}, {SecretNotFoundStatus: 500}, {SecretPendingDeleteCode: "CSMS.0108"},
		{SecretAlreadyPendingCode: "x"}, {RestoreDisabledSecretTo: SecretFrozen}, {KeyNotFoundStatus: 410},
	} {
		_, err := c.withDefaults()
		require.Error(t, err, "%+v", c)
	}
}
