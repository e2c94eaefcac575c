package mock_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/mock"
)

// TestStateKeepsAsymmetricKeys: a key pair survives a restart (same public key, an old signature still
// verifies, an old ciphertext still decrypts); a pair never used is not in the file and is made after
// the restart; a damaged private key makes the file refused.
func TestStateKeepsAsymmetricKeys(t *testing.T) {
	e := newEnv(t)
	create := func(alias, spec, usage string) string {
		r := e.kms("alice", "create-key", map[string]any{"key_alias": alias, "key_spec": spec, "key_usage": usage})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		return r.json(t)["key_info"].(map[string]any)["key_id"].(string)
	}
	signer, encrypter, unused := create("signer", "SM2", "SIGN_VERIFY"), create("encrypter", "RSA_2048", "ENCRYPT_DECRYPT"), create("unused", "EC_P256", "SIGN_VERIFY")
	publicKey := func(e *env, id string) string {
		r := e.kms("alice", "get-publickey", map[string]any{"key_id": id})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		return r.json(t)["public_key"].(string)
	}
	pub := publicKey(e, signer)
	digest := base64.StdEncoding.EncodeToString(make([]byte, 32))
	r := e.kms("alice", "sign", map[string]any{"key_id": signer, "message": digest, "signing_algorithm": "SM2DSA_SM3"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	sig := r.json(t)["signature"].(string)
	r = e.kms("alice", "encrypt-data", map[string]any{"key_id": encrypter, "plain_text": "kept", "encryption_algorithm": "RSAES_OAEP_SHA_256"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	ct := r.json(t)["cipher_text"].(string)

	next, data := restart(t, e)
	var st struct {
		Keys []struct {
			ID      string `json:"id"`
			Private []byte `json:"private"`
		} `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(data, &st))
	for _, k := range st.Keys {
		assert.Equal(t, k.ID != unused, len(k.Private) > 0, "key %s: private key in the file only once the pair exists", k.ID)
	}
	assert.Equal(t, pub, publicKey(next, signer), "same public key after the restart")
	r = next.kms("alice", "verify", map[string]any{"key_id": signer, "message": digest, "signature": sig, "signing_algorithm": "SM2DSA_SM3"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	assert.Equal(t, "true", r.json(t)["signature_valid"])
	r = next.kms("alice", "decrypt-data", map[string]any{"key_id": encrypter, "cipher_text": ct, "encryption_algorithm": "RSAES_OAEP_SHA_256"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	assert.Equal(t, "kept", r.json(t)["plain_text"])
	assert.Contains(t, publicKey(next, unused), "BEGIN PUBLIC KEY", "a pair never used is made after the restart")

	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	for _, k := range doc["keys"].([]any) {
		if km := k.(map[string]any); km["private"] != nil {
			km["private"] = base64.StdEncoding.EncodeToString([]byte("not a key"))
		}
	}
	bad, err := json.Marshal(doc)
	require.NoError(t, err)
	_, err = mock.ParseState(bad)
	require.ErrorContains(t, err, "private key material is malformed")
	assert.NotContains(t, err.Error(), "not a key")
}
