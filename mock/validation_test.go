package mock_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestValidationMapping: every kind of request-validation failure comes back as the service's own
// code, in its own envelope, never kin-openapi's text and never a 500.
func TestValidationMapping(t *testing.T) {
	e := newEnv(t)
	key := e.createKey("alice", "valid")
	e.createSecret("alice", "sec")
	grantID := strings.Repeat("a", 64)
	cases := []struct {
		name, op string
		body     any
		code     string
	}{
		{"invalid json", "describe-key", `{"key_id":`, "KMS.0202"},
		{"body not an object", "describe-key", `["x"]`, "KMS.0202"},
		{"not json at all", "enable-key", `key_id=1`, "KMS.0202"},
		{"empty body", "describe-key", ``, "KMS.0204"},
		{"missing key_id", "describe-key", `{}`, "KMS.0204"},
		{"missing pending_days", "schedule-key-deletion", map[string]any{"key_id": key}, "KMS.0204"},
		{"key_id too short", "cancel-key-deletion", map[string]any{"key_id": "abc"}, "KMS.0205"},
		{"key_id bad pattern", "cancel-key-deletion", map[string]any{"key_id": strings.ToUpper(key)}, "KMS.0205"},
		{"key_id wrong type", "cancel-key-deletion", `{"key_id":42}`, "KMS.0205"},
		{"sequence too long", "describe-key", map[string]any{"key_id": key, "sequence": strings.Repeat("1", 37)}, "KMS.0206"},
		{"pending_days not a number", "schedule-key-deletion", map[string]any{"key_id": key, "pending_days": "seven"}, "KMS.1401"},
		{"pending_days too small", "schedule-key-deletion", map[string]any{"key_id": key, "pending_days": "6"}, "KMS.1401"},
		{"pending_days too large", "schedule-key-deletion", map[string]any{"key_id": key, "pending_days": "1097"}, "KMS.1401"},
		{"pending_days a JSON number", "schedule-key-deletion", `{"key_id":"` + key + `","pending_days":7}`, "KMS.1401"},
		{"limit too long", "list-keys", map[string]any{"limit": "12345"}, "KMS.1601"},
		{"limit not a number", "list-keys", map[string]any{"limit": "ab"}, "KMS.1601"},
		{"limit zero", "list-grants", map[string]any{"key_id": key, "limit": "0"}, "KMS.1601"},
		{"marker negative", "list-keys", map[string]any{"marker": "-1"}, "KMS.1602"},
		{"marker too long", "list-retirable-grants", map[string]any{"marker": "12345"}, "KMS.1602"},
		{"bad principal", "create-grant", map[string]any{"key_id": key, "grantee_principal": "bob!", "operations": []string{"describe-key"}}, "KMS.2402"},
		{"bad retiring principal", "create-grant", map[string]any{"key_id": key, "grantee_principal": "bob", "retiring_principal": "", "operations": []string{"describe-key"}}, "KMS.2402"},
		{"only create-grant", "create-grant", map[string]any{"key_id": key, "grantee_principal": "bob", "operations": []string{"create-grant"}}, "KMS.2401"},
		{"bad operation", "create-grant", map[string]any{"key_id": key, "grantee_principal": "bob", "operations": []string{"fly"}}, "KMS.0308"},
		{"malformed grant_id", "revoke-grant", map[string]any{"key_id": key, "grant_id": "xyz"}, "KMS.0308"},
		{"unknown grant", "revoke-grant", map[string]any{"key_id": key, "grant_id": grantID}, "KMS.2501"},
		{"bad enum", "create-key", map[string]any{"key_alias": "a", "origin": "moon"}, "KMS.0308"},
		{"bad alias", "create-key", map[string]any{"key_alias": "a b"}, "KMS.1101"},
		{"wrong field type", "create-key", `{"key_alias":"a","key_description":5}`, "KMS.0308"},
		{"bad key_state filter", "list-keys", map[string]any{"key_state": "9"}, "KMS.0308"},
		{"ciphertext too short", "decrypt-data", map[string]any{"cipher_text": "abcd"}, "KMS.0308"},
		{"ciphertext not ours", "decrypt-data", map[string]any{"cipher_text": strings.Repeat("A", 128)}, "KMS.0308"},
		{"datakey_length odd", "create-datakey", map[string]any{"key_id": key, "datakey_length": "12"}, "KMS.0308"},
		{"asymmetric algorithm", "encrypt-data", map[string]any{"key_id": key, "plain_text": "x", "encryption_algorithm": "SM2_ENCRYPT"}, "KMS.0308"},
		{"plaintext over 4096 bytes", "encrypt-data", map[string]any{"key_id": key, "plain_text": strings.Repeat("é", 2049)}, "KMS.0308"},
	}
	for _, tc := range cases {
		t.Run("kms "+tc.name, func(t *testing.T) {
			r := e.kms("alice", tc.op, tc.body)
			require.Equal(t, 400, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.code(), "%s", r.Body)
			require.Contains(t, r.json(t), "error", "KMS errors are nested")
			require.NotContains(t, string(r.Body), "schema", "no validator prose")
		})
	}

	csmsCases := []struct {
		name, method, suffix string
		body                 any
		code                 string
	}{
		{"invalid json", http.MethodPost, "", `{"name":`, "CSMS.0004"},
		{"body not an object", http.MethodPost, "", `"x"`, "CSMS.0004"},
		{"empty body", http.MethodPost, "/sec/scheduled-deleted-tasks/create", ``, "CSMS.0004"},
		{"bad name", http.MethodPost, "", map[string]any{"name": "a b", "secret_string": "v"}, "CSMS.0002"},
		{"missing name", http.MethodPost, "", map[string]any{"secret_string": "v"}, "CSMS.0002"},
		{"both values", http.MethodPost, "", map[string]any{"name": "n", "secret_string": "v", "secret_binary": "dg=="}, "CSMS.0002"},
		{"window too short", http.MethodPost, "/sec/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 6}, "CSMS.0002"},
		{"window too long", http.MethodPost, "/sec/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 31}, "CSMS.0002"},
		{"window zero (SDK default)", http.MethodPost, "/sec/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 0}, "CSMS.0002"},
		{"window a string", http.MethodPost, "/sec/scheduled-deleted-tasks/create", `{"recovery_window_in_days":"7"}`, "CSMS.0002"},
		{"bad path name", http.MethodGet, "/..%2F..%2Fetc", nil, "CSMS.0002"},
		{"bad limit", http.MethodGet, "?limit=abc", nil, "CSMS.0002"},
		{"limit zero", http.MethodGet, "?limit=0", nil, "CSMS.0002"},
		{"bad version id", http.MethodGet, "/sec/versions/-x", nil, "CSMS.0002"},
		{"name exists", http.MethodPost, "", map[string]any{"name": "sec", "secret_string": "v"}, "CSMS.0002"},
	}
	for _, tc := range csmsCases {
		t.Run("csms "+tc.name, func(t *testing.T) {
			r := e.csms("alice", tc.method, tc.suffix, tc.body)
			require.Equal(t, 400, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.code(), "%s", r.Body)
			require.NotContains(t, r.json(t), "error", "CSMS errors are flat")
		})
	}
}
