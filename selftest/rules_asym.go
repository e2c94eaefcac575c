package selftest

import "github.com/dewconform/dewconform/gen/ops"

// asymRules are issue #15's rules for asymmetric keys: real signatures that verify outside the service,
// public keys that belong to the key, usage and algorithm checks, SM2's digest-only signing, key state.
func asymRules() []Rule {
	return []Rule{
		{ID: "A-SIGN-OUTSIDE", Operation: ops.Sign,
			Text: "a signature made by sign verifies outside the service with the public key from get-publickey"},
		{ID: "A-RAW-HASHED", Operation: ops.Sign,
			Text: "a RAW message is hashed by the service with the algorithm's own hash before signing"},
		{ID: "A-DIGEST-LENGTH", Operation: ops.Sign,
			Text: "a DIGEST message must have the digest length of the algorithm; another length is refused"},
		{ID: "A-SM2-DIGEST", Operation: ops.Sign,
			Text: "SM2 signs the digest it is given, SM3 over Z(A) (default user id) and the message, as the caller computed it"},
		{ID: "A-SM2-RAW", Operation: ops.Sign,
			Text: "SM2 signs a digest only: a RAW message is refused"},
		{ID: "A-ALG-SPEC", Operation: ops.Sign,
			Text: "the signing algorithm must suit the key spec (ECDSA cannot sign with an RSA key)"},
		{ID: "A-USAGE-ENCRYPT", Operation: ops.Sign,
			Text: "an ENCRYPT_DECRYPT key cannot sign"},
		{ID: "A-STATE", Operation: ops.Sign,
			Text: "a disabled or pending-deletion key cannot sign"},
		{ID: "A-VERIFY-CHANGED", Operation: ops.Verify,
			Text: "verify does not accept a signature over a changed message, nor a changed signature"},
		{ID: "A-PUBLICKEY-MATCH", Operation: ops.GetPublickey,
			Text: "get-publickey gives the public key of the key itself: the key's signatures verify with it"},
		{ID: "A-USAGE-SIGN", Operation: ops.EncryptData,
			Text: "a SIGN_VERIFY key cannot encrypt"},
		{ID: "A-RSA-LIMIT", Operation: ops.EncryptData,
			Text: "RSAES_OAEP_SHA_256 encrypts at most k − 66 bytes (190 for RSA_2048); more is refused"},
		{ID: "M-MAC-CORRECT", Operation: ops.GenerateMac,
			Text: "generate-mac answers the HMAC of the message under the key's secret, with the requested algorithm"},
		{ID: "M-USAGE", Operation: ops.GenerateMac,
			Text: "only a GENERATE_VERIFY_MAC key computes MACs: a SIGN_VERIFY key is refused"},
		{ID: "M-VERIFY-CHANGED", Operation: ops.VerifyMac,
			Text: "verify-mac does not accept a MAC over a changed message"},
		{ID: "M-MAC-ONLY", Operation: ops.Sign,
			Text: "a GENERATE_VERIFY_MAC key only computes MACs: it cannot sign"},
		{ID: "A-ASYM-DECRYPT", Operation: ops.DecryptData,
			Text: "decrypt-data with an asymmetric key returns what was encrypted with its public key, in or outside the service"},
	}
}
