package selftest

import "github.com/dewconform/dewconform/gen/ops"

// envelopeRules are the rules of envelope encryption (issue 13): data keys open under their key only,
// byte for byte, bound to their AAD and to usable keys; re-encrypt moves them; gen-random is random.
func envelopeRules() []Rule {
	return []Rule{
		{ID: "E-DK-ROUNDTRIP", Operation: ops.DecryptDatakey,
			Text: "a data key of create-datakey opens with decrypt-datakey under the same key, byte for byte"},
		{ID: "E-DK-DIGEST", Operation: ops.DecryptDatakey,
			Text: "decrypt-datakey's datakey_dgst is the SHA-256 of the data key it returns (unconfirmed algorithm)"},
		{ID: "E-DK-OTHER-KEY", Operation: ops.DecryptDatakey,
			Text: "a data key does not open under another key"},
		{ID: "E-DK-TAMPERED", Operation: ops.DecryptDatakey,
			Text: "a tampered data key ciphertext does not open"},
		{ID: "E-DK-LENGTH", Operation: ops.DecryptDatakey,
			Text: "a data key does not open with a datakey_cipher_length that is not its length (unconfirmed)"},
		{ID: "E-DK-AAD", Operation: ops.DecryptDatakey,
			Text: "a data key bound to additional authenticated data opens only with the same AAD"},
		{ID: "E-DK-STATE", Operation: ops.DecryptDatakey,
			Text: "a disabled key cannot unwrap a data key"},
		{ID: "E-DK-REOPEN", Operation: ops.DecryptDatakey,
			Text: "once its key is enabled again, a data key made before opens again"},
		{ID: "E-DK-GRANT", Operation: ops.DecryptDatakey,
			Text: "a grantee holding only decrypt-datakey can decrypt a data key and cannot create one"},
		{ID: "E-DK-PROJECT", Operation: ops.DecryptDatakey,
			Text: "a user of another project cannot decrypt a data key"},
		{ID: "E-NOPLAIN-OPENS", Operation: ops.CreateDatakeyWithoutPlaintext,
			Text: "a data key made without plaintext opens under its key"},
		{ID: "E-WRAP-OPENS", Operation: ops.EncryptDatakey,
			Text: "a data key wrapped by encrypt-datakey opens to the same bytes"},
		{ID: "E-WRAP-DIGEST", Operation: ops.EncryptDatakey,
			Text: "encrypt-datakey refuses a plain_text whose digest is not the data key's (unconfirmed)"},
		{ID: "E-REENC-DEST", Operation: ops.ReEncrypt,
			Text: "re-encrypt's output opens under the destination key and not under the source key"},
		{ID: "E-REENC-AAD", Operation: ops.ReEncrypt,
			Text: "re-encrypt binds the destination AAD: the output opens only with it"},
		{ID: "E-RANDOM-LENGTH", Operation: ops.GenRandom,
			Text: "gen-random returns random_data_length bits, hexadecimal"},
		{ID: "E-RANDOM-FRESH", Operation: ops.GenRandom,
			Text: "two answers of gen-random differ"},
	}
}
