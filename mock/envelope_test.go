package mock_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	kmsmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tjfoc/gmsm/sm3"
	"github.com/tjfoc/gmsm/sm4"

	"github.com/dewconform/dewconform/gen/ops"
	"github.com/dewconform/dewconform/mock"
)

// buildEnvelope writes the ciphertext envelope of docs/kms.md by hand:
//
//	version(1) | key id (36) | nonce(12) | GCM(uint16 length | plaintext | zero padding to 96 bytes in all)
//
// with AAD = the 49 header bytes followed by the caller's AAD. seal is the GCM of the test's choice.
func buildEnvelope(t *testing.T, version byte, keyID string, plain, aad []byte,
	seal func(nonce, frame, aad []byte) []byte) []byte {
	t.Helper()
	header := append([]byte{version}, keyID...)
	nonce := make([]byte, 12)
	_, err := rand.Read(nonce)
	require.NoError(t, err)
	header = append(header, nonce...)
	frame := make([]byte, max(2+len(plain), 96-len(header)-16))
	binary.BigEndian.PutUint16(frame, uint16(len(plain)))
	copy(frame[2:], plain)
	return append(header, seal(nonce, frame, append(bytes.Clone(header), aad...))...)
}

// sm4GCMChecked is the test's own SM4-GCM: Go's GCM over gmsm's SM4 block, first checked against the
// SM4-GCM test vector of RFC 8998 (appendix A.1), so that the check rests on the published standard and
// not on the mock's code. (gmsm's own Sm4GCM function gets this vector's tag wrong, so it cannot serve.)
func sm4GCMChecked(t *testing.T, key []byte) cipher.AEAD {
	t.Helper()
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		require.NoError(t, err)
		return b
	}
	newGCM := func(key []byte) cipher.AEAD {
		block, err := sm4.NewCipher(key)
		require.NoError(t, err)
		gcm, err := cipher.NewGCM(block)
		require.NoError(t, err)
		return gcm
	}
	kat := newGCM(unhex("0123456789ABCDEFFEDCBA9876543210")).Seal(nil, unhex("00001234567800000000ABCD"),
		unhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"),
		unhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2"))
	require.Equal(t, "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"+
		"83DE3541E4C2B58177E065A9BF7B62EC", strings.ToUpper(hex.EncodeToString(kat)), "RFC 8998 SM4-GCM vector")
	return newGCM(key)
}

// A ciphertext built outside the mock, from the documented envelope and key material given in a seed,
// opens with decrypt-datakey and decrypt-data: AES-256 with the standard library's GCM, SM4 with a GCM
// checked against RFC 8998; and the mock's own ciphertexts open with them.
func TestSelfBuiltEnvelopeOpens(t *testing.T) {
	e := newEnv(t)
	aesKey := bytes.Repeat([]byte{0x42}, 32)
	sm4Key := []byte("0123456789abcdef")
	aesID, sm4ID := "0d0466b0-e727-4d9c-b35d-f84bb474a37f", "1d0466b0-e727-4d9c-b35d-f84bb474a37f"
	r := e.control("seed", map[string]any{"keys": []map[string]any{
		{"owner": "alice", "alias": "seeded-aes", "id": aesID, "material": hex.EncodeToString(aesKey)},
		{"owner": "alice", "alias": "seeded-sm4", "id": sm4ID, "spec": "SM4", "material": hex.EncodeToString(sm4Key)},
	}})
	require.Equal(t, 200, r.Status, "%s", r.Body)

	block, err := aes.NewCipher(aesKey)
	require.NoError(t, err)
	gcm, err := cipher.NewGCM(block)
	require.NoError(t, err)
	aesSeal := func(nonce, frame, aad []byte) []byte { return gcm.Seal(nil, nonce, frame, aad) }
	sm4gcm := sm4GCMChecked(t, sm4Key)
	sm4Seal := func(nonce, frame, aad []byte) []byte { return sm4gcm.Seal(nil, nonce, frame, aad) }

	dek := []byte("a data key of exactly 32 bytes!!")
	for _, c := range []struct {
		name    string
		version byte
		id      string
		seal    func(nonce, frame, aad []byte) []byte
		digest  []byte
	}{
		{"AES_256", 1, aesID, aesSeal, func() []byte { s := sha256.Sum256(dek); return s[:] }()},
		{"SM4", 2, sm4ID, sm4Seal, sm3.Sm3Sum(dek)},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := buildEnvelope(t, c.version, c.id, dek, []byte("aad"), c.seal)
			r := e.kms("alice", ops.DecryptDatakey, map[string]any{"key_id": c.id, "cipher_text": hex.EncodeToString(env),
				"datakey_cipher_length": "32", "additional_authenticated_data": "aad"})
			require.Equal(t, 200, r.Status, "%s", r.Body)
			got := r.json(t)
			assert.Equal(t, strings.ToUpper(hex.EncodeToString(dek)), got["data_key"])
			assert.Equal(t, strings.ToUpper(hex.EncodeToString(c.digest)), got["datakey_dgst"])

			// The same envelope with another AAD, or one flipped bit, is refused.
			r = e.kms("alice", ops.DecryptDatakey, map[string]any{"key_id": c.id, "cipher_text": hex.EncodeToString(env),
				"datakey_cipher_length": "32", "additional_authenticated_data": "other"})
			assert.Equal(t, 400, r.Status)
			env[len(env)-1] ^= 1
			r = e.kms("alice", ops.DecryptDatakey, map[string]any{"key_id": c.id, "cipher_text": hex.EncodeToString(env),
				"datakey_cipher_length": "32", "additional_authenticated_data": "aad"})
			assert.Equal(t, 400, r.Status)

			// decrypt-data reads the same envelope in base64.
			env = buildEnvelope(t, c.version, c.id, []byte("hello"), nil, c.seal)
			r = e.kms("alice", ops.DecryptData, map[string]any{"cipher_text": base64.StdEncoding.EncodeToString(env)})
			require.Equal(t, 200, r.Status, "%s", r.Body)
			assert.Equal(t, "hello", r.json(t)["plain_text"])

			// And the mock's own ciphertexts open with the test's GCM: the envelope is what docs/kms.md says.
			r = e.kms("alice", ops.EncryptData, map[string]any{"key_id": c.id, "plain_text": "both ways"})
			require.Equal(t, 200, r.Status, "%s", r.Body)
			raw, err := base64.StdEncoding.DecodeString(r.json(t)["cipher_text"].(string))
			require.NoError(t, err)
			require.Equal(t, c.version, raw[0])
			require.Equal(t, c.id, string(raw[1:37]))
			open := gcm.Open
			if c.version == 2 {
				open = sm4gcm.Open
			}
			frame, err := open(nil, raw[37:49], raw[49:], raw[:49])
			require.NoError(t, err)
			n := binary.BigEndian.Uint16(frame)
			assert.Equal(t, "both ways", string(frame[2:2+n]))
		})
	}

	// A key's material survives a restart: the self-built SM4 ciphertext still opens.
	next, _ := restart(t, e)
	env := buildEnvelope(t, 2, sm4ID, dek, nil, sm4Seal)
	r = next.kms("alice", ops.DecryptDatakey, map[string]any{"key_id": sm4ID, "cipher_text": hex.EncodeToString(env),
		"datakey_cipher_length": "32"})
	require.Equal(t, 200, r.Status, "%s", r.Body)

	// Material of the wrong length is refused, without repeating it.
	r = e.control("seed", map[string]any{"keys": []map[string]any{
		{"owner": "alice", "alias": "bad-material", "spec": "SM4", "material": "00112233445566778899aabbccddeeff00"},
	}})
	assert.Equal(t, 400, r.Status)
	assert.NotContains(t, string(r.Body), "00112233445566778899aabbccddeeff00")
}

// The official Go SDK drives the five operations against the mock with AK/SK signing, including the
// documented envelope-encryption round trip.
func TestOfficialSDKEnvelopeRoundTrip(t *testing.T) {
	_, url := serveMock(t, mock.Options{})
	c := sdkKMS(t, url, "alice")

	newKey := func(alias string) string {
		r, err := c.CreateKey(&kmsmodel.CreateKeyRequest{Body: &kmsmodel.CreateKeyRequestBody{KeyAlias: alias}})
		require.NoError(t, err)
		return *r.KeyInfo.KeyId
	}
	k1, k2 := newKey("sdk-envelope-1"), newKey("sdk-envelope-2")
	decrypt := func(key, ct, length string, aad *string) (*kmsmodel.DecryptDatakeyResponse, error) {
		return c.DecryptDatakey(&kmsmodel.DecryptDatakeyRequest{Body: &kmsmodel.DecryptDatakeyRequestBody{
			KeyId: key, CipherText: ct, DatakeyCipherLength: length, AdditionalAuthenticatedData: aad}})
	}

	// 1. A data key without plaintext, opened by decrypt-datakey.
	created, err := c.CreateDatakeyWithoutPlaintext(&kmsmodel.CreateDatakeyWithoutPlaintextRequest{
		Body: &kmsmodel.CreateDatakeyRequestBody{KeyId: k1}})
	require.NoError(t, err)
	opened, err := decrypt(k1, *created.CipherText, "32", nil)
	require.NoError(t, err)
	dek, err := hex.DecodeString(*opened.DataKey)
	require.NoError(t, err)
	require.Len(t, dek, 32)
	sum := sha256.Sum256(dek)
	require.Equal(t, hex.EncodeToString(sum[:]), strings.ToLower(*opened.DatakeyDgst))
	require.Equal(t, "32", *opened.DatakeyLength)

	// 2. Encrypt locally with the data key.
	block, err := aes.NewCipher(dek)
	require.NoError(t, err)
	gcm, err := cipher.NewGCM(block)
	require.NoError(t, err)
	nonce := make([]byte, gcm.NonceSize())
	_, err = rand.Read(nonce)
	require.NoError(t, err)
	sealed := gcm.Seal(nil, nonce, []byte("the application's data"), nil)

	// 3. Re-encrypt the data key under the second key, binding an AAD; the plaintext never leaves KMS.
	aad := "tenant-7"
	re, err := c.ReEncrypt(&kmsmodel.ReEncryptRequest{Body: &kmsmodel.ReEncryptRequestBody{
		CipherText: *created.CipherText, DestinationKeyId: k2, DestinationAdditionalAuthenticatedData: &aad}})
	require.NoError(t, err)
	require.Equal(t, k2, *re.KeyId)
	require.Equal(t, k1, *re.SourceKeyId)

	// 4. Decrypt the data key under the second key (with the AAD), and the data locally.
	again, err := decrypt(k2, *re.CipherText, "32", &aad)
	require.NoError(t, err)
	dek2, err := hex.DecodeString(*again.DataKey)
	require.NoError(t, err)
	require.Equal(t, dek, dek2)
	block, err = aes.NewCipher(dek2)
	require.NoError(t, err)
	gcm, err = cipher.NewGCM(block)
	require.NoError(t, err)
	plain, err := gcm.Open(nil, nonce, sealed, nil)
	require.NoError(t, err)
	require.Equal(t, "the application's data", string(plain))

	// The re-encrypted key opens under the destination only, and only with its AAD.
	_, err = decrypt(k1, *re.CipherText, "32", &aad)
	require.Error(t, err)
	_, err = decrypt(k2, *re.CipherText, "32", nil)
	require.Error(t, err)
	_, err = decrypt(k2, *re.CipherText, "16", &aad)
	require.Error(t, err)

	// encrypt-datakey wraps the caller's own data key (data key || SHA-256), which then opens.
	wrapped, err := c.EncryptDatakey(&kmsmodel.EncryptDatakeyRequest{Body: &kmsmodel.EncryptDatakeyRequestBody{
		KeyId: k1, PlainText: hex.EncodeToString(append(bytes.Clone(dek), sum[:]...)), DatakeyPlainLength: "32"}})
	require.NoError(t, err)
	require.Equal(t, "32", *wrapped.DatakeyLength)
	opened, err = decrypt(k1, *wrapped.CipherText, "32", nil)
	require.NoError(t, err)
	require.Equal(t, strings.ToUpper(hex.EncodeToString(dek)), *opened.DataKey)

	// gen-random: 512 bits, hex.
	rnd, err := c.CreateRandom(&kmsmodel.CreateRandomRequest{Body: &kmsmodel.GenRandomRequestBody{RandomDataLength: "512"}})
	require.NoError(t, err)
	raw, err := hex.DecodeString(*rnd.RandomData)
	require.NoError(t, err)
	require.Len(t, raw, 64)
}
