package mock_test

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

func TestCancelKeyDeletionFlow(t *testing.T) {
	e := newEnv(t)
	key := e.createKey("alice", "k")
	r := e.kms("alice", "cancel-key-deletion", map[string]any{"key_id": key})
	require.Equal(t, 400, r.Status)
	require.Equal(t, "KMS.1501", r.code())
	require.Equal(t, "2", e.keyState(key), "refused: unchanged")

	r = e.kms("alice", "schedule-key-deletion", map[string]any{"key_id": key, "pending_days": "7"})
	require.Equal(t, map[string]any{"key_id": key, "key_state": "4"}, r.json(t), "flat body")
	r = e.kms("alice", "describe-key", map[string]any{"key_id": key})
	require.Regexp(t, `^[0-9]{13}$`, r.json(t)["key_info"].(map[string]any)["scheduled_deletion_date"])
	r = e.kms("alice", "schedule-key-deletion", map[string]any{"key_id": key, "pending_days": "7"})
	require.Equal(t, "KMS.1402", r.code())

	r = e.kms("alice", "cancel-key-deletion", map[string]any{"key_id": key, "sequence": "919c82d4-8046-4722-9094-35c3c6524cff"})
	require.Equal(t, 200, r.Status)
	require.Equal(t, map[string]any{"key_id": key, "key_state": "3"}, r.json(t), "flat body, disabled")
	r = e.kms("alice", "enable-key", map[string]any{"key_id": key})
	require.Equal(t, map[string]any{"key_info": map[string]any{"key_id": key, "key_state": "2"}}, r.json(t), "wrapped body")
}

// TestGrantAccessOverHTTP: every identity × revoke / retire / create-grant / create-datakey, with and
// without a grant.
func TestGrantAccessOverHTTP(t *testing.T) {
	type want map[string]string // op → "200" or error code
	withGrant := map[string]want{
		"alice": {"create-datakey": "200", "create-grant": "200", "revoke-grant": "200", "retire-grant": "200"},
		"dave":  {"create-datakey": "200", "create-grant": "200", "revoke-grant": "KMS.0306", "retire-grant": "KMS.0306"},
		"bob":   {"create-datakey": "200", "create-grant": "KMS.0306", "revoke-grant": "KMS.0306", "retire-grant": "200"},
		"carol": {"create-datakey": "KMS.0306", "create-grant": "KMS.0306", "revoke-grant": "KMS.0306", "retire-grant": "200"},
		"eve":   {"create-datakey": "KMS.0207", "create-grant": "KMS.0207", "revoke-grant": "KMS.0207", "retire-grant": "KMS.0207"},
	}
	for who, ops := range withGrant {
		for op, code := range ops {
			for _, granted := range []bool{true, false} {
				name := who + " " + op
				if !granted {
					name += " without grant"
				}
				t.Run(name, func(t *testing.T) {
					e := newEnv(t)
					key := e.createKey("alice", "k")
					grantID := strings.Repeat("0", 64)
					if granted {
						// bob may create data keys and retire; carol is the retiring principal.
						grantID = e.createGrant("alice", key, map[string]any{
							"grantee_principal": e.id("bob").UserID, "retiring_principal": e.id("carol").UserID,
							"operations": []string{"create-datakey", "retire-grant"},
						})
					}
					body := map[string]any{"key_id": key, "grant_id": grantID, "grantee_principal": "abc",
						"operations": []string{"describe-key"}}
					r := e.kms(who, op, body)
					expected := code
					if !granted && (op == "revoke-grant" || op == "retire-grant") && code != "KMS.0207" {
						expected = "KMS.2501" // lookup comes before permission
					}
					if !granted && who == "bob" && op == "create-datakey" {
						expected = "KMS.0306"
					}
					if expected == "200" {
						require.Equal(t, 200, r.Status, "%s", r.Body)
						if op == "revoke-grant" || op == "retire-grant" {
							require.Empty(t, r.Body, "revoke and retire answer an empty body")
						}
						return
					}
					require.Equal(t, expected, r.code(), "%s", r.Body)
				})
			}
		}
	}
}

func TestRevokedGrantConfersNothing(t *testing.T) {
	e := newEnv(t)
	key := e.createKey("alice", "k")
	bob := e.id("bob")
	for _, op := range []string{"revoke-grant", "retire-grant"} {
		g := e.createGrant("alice", key, map[string]any{"grantee_principal": bob.UserID, "operations": []string{"create-datakey", "describe-key"}})
		require.Equal(t, 200, e.kms("bob", "create-datakey", map[string]any{"key_id": key}).Status)
		require.Equal(t, 200, e.kms("bob", "describe-key", map[string]any{"key_id": key}).Status)
		require.Equal(t, "KMS.0306", e.kms("bob", "encrypt-data", map[string]any{"key_id": key, "plain_text": "x"}).code(),
			"only the listed operations")
		r := e.kms("alice", op, map[string]any{"key_id": key, "grant_id": g})
		require.Equal(t, 200, r.Status)
		r = e.kms("alice", "list-grants", map[string]any{"key_id": key})
		require.EqualValues(t, 0, r.json(t)["total"])
		require.Equal(t, "KMS.0306", e.kms("bob", "create-datakey", map[string]any{"key_id": key}).code())
		require.Equal(t, "KMS.2501", e.kms("alice", op, map[string]any{"key_id": key, "grant_id": g}).code())
	}
	other := e.createKey("alice", "other")
	g := e.createGrant("alice", key, map[string]any{"grantee_principal": bob.UserID, "operations": []string{"describe-key"}})
	require.Equal(t, "KMS.2502", e.kms("alice", "revoke-grant", map[string]any{"key_id": other, "grant_id": g}).code())
}

func TestListRetirableGrants(t *testing.T) {
	e := newEnv(t)
	key := e.createKey("alice", "k")
	e.createGrant("alice", key, map[string]any{"grantee_principal": e.id("bob").UserID,
		"retiring_principal": e.id("carol").UserID, "operations": []string{"describe-key"}})
	r := e.kms("carol", "list-retirable-grants", map[string]any{"limit": "10"})
	require.Equal(t, 200, r.Status)
	require.EqualValues(t, 1, r.json(t)["total"])
	r = e.kms("bob", "list-retirable-grants", map[string]any{})
	require.EqualValues(t, 0, r.json(t)["total"], "bob holds no retire-grant")
}

func TestCryptoOverHTTP(t *testing.T) {
	e := newEnv(t)
	key := e.createKey("alice", "k")
	r := e.kms("alice", "create-datakey", map[string]any{"key_id": key})
	require.Equal(t, 200, r.Status)
	plain := r.json(t)["plain_text"].(string)
	require.Len(t, plain, 64, "256 bits by default, as hex")
	_, err := hex.DecodeString(plain)
	require.NoError(t, err)
	r = e.kms("alice", "create-datakey", map[string]any{"key_id": key, "datakey_length": "512"})
	require.Len(t, r.json(t)["plain_text"], 128)
	r = e.kms("alice", "create-datakey", map[string]any{"key_id": key, "key_spec": "AES_128"})
	require.Len(t, r.json(t)["plain_text"], 32)

	for _, text := range []string{"x", "hello world", strings.Repeat("z", 4096)} {
		r = e.kms("alice", "encrypt-data", map[string]any{"key_id": key, "plain_text": text, "additional_authenticated_data": "ctx"})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		ct := r.json(t)["cipher_text"].(string)
		require.Regexp(t, `^[0-9a-zA-Z+/=]+$`, ct)
		require.True(t, len(ct) >= 128 && len(ct) <= 5648, "DecryptData's documented length: %d", len(ct))
		r = e.kms("alice", "decrypt-data", map[string]any{"cipher_text": ct, "additional_authenticated_data": "ctx"})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		require.Equal(t, text, r.json(t)["plain_text"])
		require.Equal(t, key, r.json(t)["key_id"])
		require.Equal(t, base64.StdEncoding.EncodeToString([]byte(text)), r.json(t)["plain_text_base64"])

		r = e.kms("alice", "decrypt-data", map[string]any{"cipher_text": ct})
		require.Equal(t, "KMS.0308", r.code(), "wrong AAD")
		raw, _ := base64.StdEncoding.DecodeString(ct)
		raw[len(raw)-1] ^= 0x80
		r = e.kms("alice", "decrypt-data", map[string]any{"cipher_text": base64.StdEncoding.EncodeToString(raw), "additional_authenticated_data": "ctx"})
		require.Equal(t, "KMS.0308", r.code(), "tampered")
	}
	r = e.kms("alice", "encrypt-data", map[string]any{"key_id": key, "plain_text": "secret"})
	ct := r.json(t)["cipher_text"].(string)
	require.Equal(t, "KMS.0207", e.kms("eve", "decrypt-data", map[string]any{"cipher_text": ct}).code(),
		"another project does not have the key")
	r = e.kms("alice", "disable-key", map[string]any{"key_id": key})
	require.Equal(t, 200, r.Status)
	require.Equal(t, "KMS.0209", e.kms("alice", "decrypt-data", map[string]any{"cipher_text": ct}).code())
	require.Equal(t, "KMS.0209", e.kms("alice", "create-datakey", map[string]any{"key_id": key}).code())
	e.kms("alice", "schedule-key-deletion", map[string]any{"key_id": key, "pending_days": "7"})
	require.Equal(t, "KMS.0210", e.kms("alice", "encrypt-data", map[string]any{"key_id": key, "plain_text": "x"}).code())
}

func TestSecretsOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.createSecret("alice", "db")
	r := e.csms("alice", http.MethodGet, "/db", nil)
	s := r.json(t)["secret"].(map[string]any)
	require.Equal(t, "ENABLED", s["state"])
	require.Contains(t, s, "scheduled_delete_time")
	require.Nil(t, s["scheduled_delete_time"], "null when not pending")

	r = e.csms("alice", http.MethodPost, "/db/scheduled-deleted-tasks/cancel", nil)
	require.Equal(t, "CSMS.0108", r.code())
	r = e.csms("alice", http.MethodPost, "/db/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 7})
	s = r.json(t)["secret"].(map[string]any)
	require.Equal(t, "PENDING_DELETE", s["state"])
	require.EqualValues(t, e.clock.now.Add(7*24*3600e9).UnixMilli(), s["scheduled_delete_time"])
	require.Equal(t, "CSMS.0107", e.csms("alice", http.MethodPost, "/db/scheduled-deleted-tasks/create",
		map[string]any{"recovery_window_in_days": 7}).code())
	require.Equal(t, "CSMS.0103", e.csms("alice", http.MethodGet, "/db/versions/latest", nil).code())
	require.Equal(t, "CSMS.0103", e.csms("alice", http.MethodPut, "/db", map[string]any{"description": "x"}).code())

	r = e.csms("alice", http.MethodPost, "/db/scheduled-deleted-tasks/cancel", nil)
	require.Equal(t, 200, r.Status)
	s = r.json(t)["secret"].(map[string]any)
	require.Equal(t, "ENABLED", s["state"])
	require.Nil(t, s["scheduled_delete_time"])

	r = e.csms("alice", http.MethodGet, "/db/versions/v1", nil)
	require.Equal(t, "s3cret", r.json(t)["version"].(map[string]any)["secret_string"])
	require.Equal(t, "CSMS.0005", e.csms("alice", http.MethodGet, "/db/versions/v9", nil).code())
	r = e.csms("alice", http.MethodPut, "/db", map[string]any{"description": "primary"})
	require.Equal(t, "primary", r.json(t)["secret"].(map[string]any)["description"])

	for i := range 3 {
		e.createSecret("alice", "page"+string(rune('a'+i)))
	}
	r = e.csms("alice", http.MethodGet, "?limit=2", nil)
	page := r.json(t)
	require.Len(t, page["secrets"], 2)
	next := page["page_info"].(map[string]any)["next_marker"].(string)
	r = e.csms("alice", http.MethodGet, "?limit=2&marker="+next, nil)
	require.Len(t, r.json(t)["secrets"], 2)

	require.Equal(t, 200, e.csms("alice", http.MethodDelete, "/db", nil).Status)
	require.Equal(t, "CSMS.0005", e.secretState("alice", "db"))
	require.Equal(t, "APIGW.0302", e.csms("bob", http.MethodGet, "/pagea", nil).code(), "no rights of his own")
}

func TestSecretChoices(t *testing.T) {
	e := newEnv(t, func(o *mock.Options) {
		o.Choices = mock.Choices{SecretNotFoundCode: "CSMS.0106", SecretNotFoundStatus: 404,
			SecretPendingDeleteCode: "CSMS.0107", SecretAlreadyPendingCode: "CSMS.0103"}
	})
	r := e.csms("alice", http.MethodGet, "/missing", nil)
	require.Equal(t, 404, r.Status)
	require.Equal(t, "CSMS.0106", r.code())
	e.createSecret("alice", "s")
	e.csms("alice", http.MethodPost, "/s/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 30})
	require.Equal(t, "CSMS.0107", e.csms("alice", http.MethodGet, "/s/versions/latest", nil).code())
	require.Equal(t, "CSMS.0103", e.csms("alice", http.MethodPost, "/s/scheduled-deleted-tasks/create",
		map[string]any{"recovery_window_in_days": 30}).code())

	_, err := mock.New(mock.Options{Choices: mock.Choices{SecretNotFoundCode: "CSMS.4242"}})
	require.Error(t, err)
}

func TestListKeysPaging(t *testing.T) {
	e := newEnv(t)
	for _, a := range []string{"a", "b", "c"} {
		e.createKey("alice", a)
	}
	r := e.kms("alice", "create-key", map[string]any{"key_alias": "rsa", "key_spec": "RSA_2048"})
	require.Equal(t, 200, r.Status)
	r = e.kms("alice", "list-keys", map[string]any{"limit": "2"})
	page := r.json(t)
	require.Len(t, page["keys"], 2)
	require.Equal(t, "true", page["truncated"])
	require.Equal(t, "2", page["next_marker"])
	require.EqualValues(t, 3, page["total"], "AES_256 only by default")
	r = e.kms("alice", "list-keys", map[string]any{"limit": "2", "marker": "2"})
	require.Len(t, r.json(t)["keys"], 1)
	require.Equal(t, "false", r.json(t)["truncated"])
	r = e.kms("alice", "list-keys", map[string]any{"key_spec": "ALL"})
	require.EqualValues(t, 4, r.json(t)["total"])
	r = e.kms("alice", "list-keys", map[string]any{"key_state": "3"})
	require.EqualValues(t, 0, r.json(t)["total"])
	require.Equal(t, "KMS.0306", e.kms("bob", "list-keys", map[string]any{}).code())
}
