package selftest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"

	"github.com/dewconform/dewconform/gen/ops"
)

// envelopeSituations reach the cases the envelope faults break. Calls whose answers hold ciphertexts are
// noted without their bodies (GCM nonces are random even in a seeded mock); the decryptions that follow
// show what a fault changed.
func envelopeSituations() map[string][]func(p *prober) {
	datakey := func(p *prober, key, aad string) string {
		body := map[string]any{"key_id": key}
		if aad != "" {
			body["additional_authenticated_data"] = aad
		}
		// Without plaintext: its data key comes from the mock's seeded source (create-datakey's does not).
		ct, _ := p.kms("alice", ops.CreateDatakeyWithoutPlaintext, body, false)["cipher_text"].(string)
		return ct
	}
	decrypt := func(p *prober, who, key, ct, length, aad string) {
		body := map[string]any{"key_id": key, "cipher_text": ct, "datakey_cipher_length": length}
		if aad != "" {
			body["additional_authenticated_data"] = aad
		}
		p.kms(who, ops.DecryptDatakey, body, true)
	}
	return map[string][]func(p *prober){
		ops.DecryptDatakey: {func(p *prober) {
			k, other := p.key(false), p.key(false)
			ct := datakey(p, k, "a")
			decrypt(p, "alice", k, ct, "32", "a")
			decrypt(p, "alice", k, ct, "32", "b")
			decrypt(p, "alice", k, ct, "16", "a")
			raw, _ := hex.DecodeString(ct)
			if len(raw) > 0 {
				raw[len(raw)-1] ^= 1
			}
			decrypt(p, "alice", k, hex.EncodeToString(raw), "32", "a")
			decrypt(p, "alice", other, ct, "32", "a")
			decrypt(p, "eve", k, ct, "32", "a")
			bob, _ := p.ids.ByName("bob")
			p.kms("alice", ops.CreateGrant, map[string]any{"key_id": k, "grantee_principal": bob.UserID,
				"operations": []string{ops.DecryptDatakey}}, false)
			p.kms("bob", ops.CreateDatakey, map[string]any{"key_id": k}, false)
			p.kms("alice", ops.DisableKey, map[string]any{"key_id": k}, false)
			decrypt(p, "alice", k, ct, "32", "a")
			p.kms("alice", ops.EnableKey, map[string]any{"key_id": k}, false)
			decrypt(p, "alice", k, ct, "32", "a")
		}},
		ops.CreateDatakeyWithoutPlaintext: {func(p *prober) {
			k := p.key(false)
			ct, _ := p.kms("alice", ops.CreateDatakeyWithoutPlaintext, map[string]any{"key_id": k}, false)["cipher_text"].(string)
			decrypt(p, "alice", k, ct, "32", "")
		}},
		ops.EncryptDatakey: {func(p *prober) {
			k := p.key(false)
			dek := bytes.Repeat([]byte{7}, 32)
			sum := sha256.Sum256(dek)
			good := hex.EncodeToString(append(bytes.Clone(dek), sum[:]...))
			ct, _ := p.kms("alice", ops.EncryptDatakey, map[string]any{"key_id": k, "plain_text": good,
				"datakey_plain_length": "32"}, false)["cipher_text"].(string)
			decrypt(p, "alice", k, ct, "32", "")
			bad := hex.EncodeToString(append(bytes.Clone(dek), make([]byte, 32)...))
			p.kms("alice", ops.EncryptDatakey, map[string]any{"key_id": k, "plain_text": bad, "datakey_plain_length": "32"}, true)
		}},
		ops.ReEncrypt: {func(p *prober) {
			k1, k2 := p.key(false), p.key(false)
			ct := datakey(p, k1, "")
			out, _ := p.kms("alice", ops.ReEncrypt, map[string]any{"cipher_text": ct, "destination_key_id": k2,
				"destination_additional_authenticated_data": "d"}, false)["cipher_text"].(string)
			decrypt(p, "alice", k2, out, "32", "d")
			decrypt(p, "alice", k2, out, "32", "")
		}},
		ops.GenRandom: {func(p *prober) {
			p.kms("alice", ops.GenRandom, map[string]any{"random_data_length": "512"}, true)
			p.kms("alice", ops.GenRandom, map[string]any{"random_data_length": "512"}, true)
		}},
	}
}
