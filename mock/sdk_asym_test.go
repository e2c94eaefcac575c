package mock_test

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	kmsmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"
	"github.com/stretchr/testify/require"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjsm3 "github.com/tjfoc/gmsm/sm3"
	tjx509 "github.com/tjfoc/gmsm/x509"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
)

// enumOf builds one of the SDK's string enums (their values are unexported) from its wire form.
func enumOf[T any, P interface {
	*T
	UnmarshalJSON([]byte) error
}](t *testing.T, s string) T {
	t.Helper()
	var v T
	require.NoError(t, P(&v).UnmarshalJSON([]byte(`"`+s+`"`)))
	return v
}

// The official Go SDK drives sign, verify, get-publickey, asymmetric encrypt-data/decrypt-data,
// generate-mac/verify-mac, the data key pairs and derive-shared-secret against the mock. Every signature it obtains is checked here with the public key alone, with Go's crypto (RSA,
// ECDSA) and tjfoc/gmsm (SM2), never with the mock's code (emmansun/gmsm); data encrypted here with the
// public key decrypts in the mock; and signatures made here with a private key loaded into the mock's
// state verify through the SDK.
func TestOfficialSDKAsymmetric(t *testing.T) {
	ids := identity.Defaults()
	alice, _ := ids.ByName("alice")

	// Keys whose private half the test knows, loaded as a state file would load them.
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sm2Key, err := tjsm2.GenerateKey(rand.Reader)
	require.NoError(t, err)
	known := map[string]string{"RSA_2048": "11111111-1111-4111-8111-111111111111", "EC_P256": "22222222-2222-4222-8222-222222222222",
		"SM2": "33333333-3333-4333-8333-333333333333"}
	st := &mock.State{Format: mock.StateFormat, Version: mock.StateVersion, Keys: []mock.StateKey{}, Secrets: []mock.StateSecret{}}
	for spec, private := range map[string][]byte{
		"RSA_2048": x509.MarshalPKCS1PrivateKey(rsaKey), "EC_P256": ecKey.D.FillBytes(make([]byte, 32)),
		"SM2": sm2Key.D.FillBytes(make([]byte, 32)),
	} {
		st.Keys = append(st.Keys, mock.StateKey{Key: mock.Key{
			ID: known[spec], ProjectID: alice.ProjectID, DomainID: "d", Alias: "known-" + spec, Realm: "cn-north-4",
			Spec: spec, Usage: "SIGN_VERIFY", Origin: "kms", EnterpriseProjectID: "0", KeystoreID: "0",
			State: mock.KeyEnabled, Created: time.Now(),
		}, Material: make([]byte, 32), Private: private, Grants: []mock.Grant{}})
	}
	// MAC keys: no API creates them; the state (or a seed) does, here with a secret the test knows.
	macSecret := make([]byte, 32)
	_, err = rand.Read(macSecret)
	require.NoError(t, err)
	macKeys := map[string]string{"HMAC_SHA_256": "44444444-4444-4444-8444-444444444444", "HMAC_SM3": "55555555-5555-4555-8555-555555555555"}
	for alg, spec := range map[string]string{"HMAC_SHA_256": "HMAC_256", "HMAC_SM3": "HMAC_SM3"} {
		st.Keys = append(st.Keys, mock.StateKey{Key: mock.Key{
			ID: macKeys[alg], ProjectID: alice.ProjectID, DomainID: "d", Alias: "mac-" + spec, Realm: "cn-north-4",
			Spec: spec, Usage: "GENERATE_VERIFY_MAC", Origin: "kms", EnterpriseProjectID: "0", KeystoreID: "0",
			State: mock.KeyEnabled, Created: time.Now(),
		}, Material: macSecret, Grants: []mock.Grant{}})
	}
	// A KEY_AGREEMENT key (CreateKey cannot set that usage) whose private key the test knows.
	agreeKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	const agreeID = "66666666-6666-4666-8666-666666666666"
	st.Keys = append(st.Keys, mock.StateKey{Key: mock.Key{
		ID: agreeID, ProjectID: alice.ProjectID, DomainID: "d", Alias: "agree", Realm: "cn-north-4",
		Spec: "EC_P256", Usage: "KEY_AGREEMENT", Origin: "kms", EnterpriseProjectID: "0", KeystoreID: "0",
		State: mock.KeyEnabled, Created: time.Now(),
	}, Material: make([]byte, 32), Private: agreeKey.D.FillBytes(make([]byte, 32)), Grants: []mock.Grant{}})
	srv, err := mock.New(mock.Options{})
	require.NoError(t, err)
	require.NoError(t, srv.Restore(st))
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c := sdkKMS(t, ts.URL, "alice")

	created := 0
	create := func(t *testing.T, spec, usage string) string {
		t.Helper()
		created++
		ks := enumOf[kmsmodel.CreateKeyRequestBodyKeySpec](t, spec)
		ku := enumOf[kmsmodel.CreateKeyRequestBodyKeyUsage](t, usage)
		r, err := c.CreateKey(&kmsmodel.CreateKeyRequest{Body: &kmsmodel.CreateKeyRequestBody{
			KeyAlias: fmt.Sprintf("sdk-%s-%s-%d", spec, usage, created), KeySpec: &ks, KeyUsage: &ku}})
		require.NoError(t, err)
		return *r.KeyInfo.KeyId
	}
	publicKey := func(t *testing.T, id string) any {
		t.Helper()
		r, err := c.ShowPublicKey(&kmsmodel.ShowPublicKeyRequest{Body: &kmsmodel.OperateKeyRequestBody{KeyId: id}})
		require.NoError(t, err)
		require.Equal(t, id, *r.KeyId)
		block, _ := pem.Decode([]byte(*r.PublicKey))
		require.NotNil(t, block, "PEM public key")
		if pub, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
			return pub
		}
		pub, err := tjx509.ParseSm2PublicKey(block.Bytes) // Go's x509 does not know the SM2 curve
		require.NoError(t, err)
		return pub
	}
	verify := func(t *testing.T, id, alg, msgType string, msg, sig []byte) string {
		t.Helper()
		mt := enumOf[kmsmodel.VerifyRequestBodyMessageType](t, msgType)
		r, err := c.ValidateSignature(&kmsmodel.ValidateSignatureRequest{Body: &kmsmodel.VerifyRequestBody{
			KeyId: id, Message: base64.StdEncoding.EncodeToString(msg), Signature: base64.StdEncoding.EncodeToString(sig),
			SigningAlgorithm: enumOf[kmsmodel.VerifyRequestBodySigningAlgorithm](t, alg), MessageType: &mt}})
		require.NoError(t, err)
		return *r.SignatureValid
	}
	message := []byte("signed by the mock, checked by the test")

	for _, tc := range []struct {
		spec, alg, msgType string
		hash               crypto.Hash
	}{
		{"RSA_2048", "RSASSA_PSS_SHA_256", "RAW", crypto.SHA256},
		{"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384", "DIGEST", crypto.SHA384},
		{"EC_P256", "ECDSA_SHA_256", "RAW", crypto.SHA256},
		{"EC_P384", "ECDSA_SHA_512", "DIGEST", crypto.SHA512},
		{"SM2", "SM2DSA_SM3", "DIGEST", 0},
	} {
		t.Run(tc.spec+"/"+tc.alg, func(t *testing.T) {
			id := create(t, tc.spec, "SIGN_VERIFY")
			pub := publicKey(t, id)
			sent := message
			if tc.msgType == "DIGEST" {
				if sm2pub, ok := pub.(*tjsm2.PublicKey); ok {
					sent = sm2Digest(t, sm2pub, message)
				} else {
					sent = digest(tc.hash, message)
				}
			}
			mt := enumOf[kmsmodel.SignRequestBodyMessageType](t, tc.msgType)
			r, err := c.Sign(&kmsmodel.SignRequest{Body: &kmsmodel.SignRequestBody{KeyId: id,
				Message: base64.StdEncoding.EncodeToString(sent), MessageType: &mt,
				SigningAlgorithm: enumOf[kmsmodel.SignRequestBodySigningAlgorithm](t, tc.alg)}})
			require.NoError(t, err)
			require.Equal(t, id, *r.KeyId)
			sig, err := base64.StdEncoding.DecodeString(*r.Signature)
			require.NoError(t, err)

			// Outside the mock, with the public key alone.
			switch p := pub.(type) {
			case *rsa.PublicKey:
				if strings.Contains(tc.alg, "PSS") {
					require.NoError(t, rsa.VerifyPSS(p, tc.hash, digest(tc.hash, message), sig, nil))
				} else {
					require.NoError(t, rsa.VerifyPKCS1v15(p, tc.hash, digest(tc.hash, message), sig))
				}
			case *ecdsa.PublicKey:
				require.True(t, ecdsa.VerifyASN1(p, digest(tc.hash, message), sig), "ECDSA signature verifies")
			case *tjsm2.PublicKey:
				require.True(t, p.Verify(message, sig), "SM2 signature verifies over Z_A‖M with the default user id")
			default:
				t.Fatalf("public key %T", pub)
			}

			// And through verify: the signature holds, a changed message does not.
			require.Equal(t, "true", verify(t, id, tc.alg, tc.msgType, sent, sig))
			changed := append([]byte{}, sent...)
			changed[0] ^= 1
			require.Equal(t, "false", verify(t, id, tc.alg, tc.msgType, changed, sig))
		})
	}

	t.Run("verify accepts signatures made outside with the private key", func(t *testing.T) {
		h := sha256.Sum256(message)
		pss, err := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, h[:], nil) // salt: as long as possible
		require.NoError(t, err)
		require.Equal(t, "true", verify(t, known["RSA_2048"], "RSASSA_PSS_SHA_256", "RAW", message, pss))
		ec, err := ecdsa.SignASN1(rand.Reader, ecKey, h[:])
		require.NoError(t, err)
		require.Equal(t, "true", verify(t, known["EC_P256"], "ECDSA_SHA_256", "DIGEST", h[:], ec))
		// tjfoc signs SM3(Z_A‖M) itself; the mock is given that digest.
		sm2Sig, err := sm2Key.Sign(rand.Reader, message, nil)
		require.NoError(t, err)
		za := sm2Digest(t, &sm2Key.PublicKey, message)
		require.Equal(t, "true", verify(t, known["SM2"], "SM2DSA_SM3", "DIGEST", za, sm2Sig))
		// The public key get-publickey gives is the loaded one.
		require.True(t, ecKey.PublicKey.Equal(publicKey(t, known["EC_P256"])))
		var rs struct{ R, S *big.Int }
		_, err = asn1.Unmarshal(sm2Sig, &rs)
		require.NoError(t, err, "tjfoc's SM2 signature is DER")
	})

	for alg, id := range macKeys {
		t.Run("mac/"+alg, func(t *testing.T) {
			msg := base64.StdEncoding.EncodeToString(message)
			r, err := c.GenerateMac(&kmsmodel.GenerateMacRequest{Body: &kmsmodel.GenerateMacRequestBody{
				KeyId: id, Message: msg, MacAlgorithm: enumOf[kmsmodel.GenerateMacRequestBodyMacAlgorithm](t, alg)}})
			require.NoError(t, err)
			got, err := base64.StdEncoding.DecodeString(*r.Mac)
			require.NoError(t, err)
			// Outside the mock: Go's crypto/hmac over SHA-256, or over tjfoc/gmsm's SM3.
			h := sha256.New
			if alg == "HMAC_SM3" {
				h = tjsm3.New
			}
			m := hmac.New(h, macSecret)
			m.Write(message)
			require.True(t, hmac.Equal(m.Sum(nil), got), "the MAC is the HMAC of the message under the key's secret")
			v, err := c.VerifyMac(&kmsmodel.VerifyMacRequest{Body: &kmsmodel.VerifyMacRequestBody{
				KeyId: id, Message: msg, Mac: *r.Mac, MacAlgorithm: enumOf[kmsmodel.VerifyMacRequestBodyMacAlgorithm](t, alg)}})
			require.NoError(t, err)
			require.True(t, *v.MacValid)
		})
	}

	t.Run("data key pairs", func(t *testing.T) {
		cmk := create(t, "AES_256", "ENCRYPT_DECRYPT")
		noPlain := false
		rsaPair, err := c.CreateRsaDatakeyPair(&kmsmodel.CreateRsaDatakeyPairRequest{Body: &kmsmodel.CreateRsaDatakeyPairRequestBody{
			KeyId: cmk, KeySpec: enumOf[kmsmodel.CreateRsaDatakeyPairRequestBodyKeySpec](t, "RSA_2048"), WithPlainText: &noPlain}})
		require.NoError(t, err)
		require.Nil(t, rsaPair.PrivateKeyPlainText, "with_plain_text false")
		ecPair, err := c.CreateEcDatakeyPair(&kmsmodel.CreateEcDatakeyPairRequest{Body: &kmsmodel.CreateEcDatakeyPairRequestBody{
			KeyId: cmk, KeySpec: enumOf[kmsmodel.CreateEcDatakeyPairRequestBodyKeySpec](t, "ECC_NIST_P521")}})
		require.NoError(t, err)
		// Outside the mock: the PKCS#8 private key's public half is the SPKI public key (Go's x509).
		privDER, err := base64.StdEncoding.DecodeString(*ecPair.PrivateKeyPlainText)
		require.NoError(t, err)
		pubDER, err := base64.StdEncoding.DecodeString(*ecPair.PublicKey)
		require.NoError(t, err)
		priv, err := x509.ParsePKCS8PrivateKey(privDER)
		require.NoError(t, err)
		pub, err := x509.ParsePKIXPublicKey(pubDER)
		require.NoError(t, err)
		require.True(t, priv.(*ecdsa.PrivateKey).PublicKey.Equal(pub), "one P-521 pair")
		// The wrapped private key opens under the CMK to the plaintext one.
		opened, err := c.DecryptData(&kmsmodel.DecryptDataRequest{Body: &kmsmodel.DecryptDataRequestBody{CipherText: *ecPair.PrivateKeyCipherText}})
		require.NoError(t, err)
		require.Equal(t, *ecPair.PrivateKeyPlainText, *opened.PlainTextBase64)
	})

	t.Run("derive shared secret", func(t *testing.T) {
		peer, err := ecdh.P256().GenerateKey(rand.Reader)
		require.NoError(t, err)
		der, err := x509.MarshalPKIXPublicKey(peer.PublicKey())
		require.NoError(t, err)
		r, err := c.DeriveSharedSecret(&kmsmodel.DeriveSharedSecretRequest{Body: &kmsmodel.DeriveSharedSecretRequestBody{KeyId: agreeID,
			KeyAgreementAlgorithm: enumOf[kmsmodel.DeriveSharedSecretRequestBodyKeyAgreementAlgorithm](t, "ECDH"),
			PublicKey:             base64.StdEncoding.EncodeToString(der)}})
		require.NoError(t, err)
		// Outside the mock, from the other side: the test's key's ECDH with the peer.
		mine, err := agreeKey.ECDH()
		require.NoError(t, err)
		want, err := mine.ECDH(peer.PublicKey())
		require.NoError(t, err)
		require.Equal(t, base64.StdEncoding.EncodeToString(want), *r.SharedSecret)
	})

	for _, tc := range []struct{ spec, alg string }{{"RSA_2048", "RSAES_OAEP_SHA_256"}, {"SM2", "SM2_ENCRYPT"}} {
		t.Run("encrypt/"+tc.spec, func(t *testing.T) {
			id := create(t, tc.spec, "ENCRYPT_DECRYPT")
			pub := publicKey(t, id)
			ea := enumOf[kmsmodel.EncryptDataRequestBodyEncryptionAlgorithm](t, tc.alg)
			enc, err := c.EncryptData(&kmsmodel.EncryptDataRequest{Body: &kmsmodel.EncryptDataRequestBody{KeyId: id, PlainText: "in the mock", EncryptionAlgorithm: &ea}})
			require.NoError(t, err)
			decrypt := func(ct string) string {
				da := enumOf[kmsmodel.DecryptDataRequestBodyEncryptionAlgorithm](t, tc.alg)
				r, err := c.DecryptData(&kmsmodel.DecryptDataRequest{Body: &kmsmodel.DecryptDataRequestBody{KeyId: &id, CipherText: ct, EncryptionAlgorithm: &da}})
				require.NoError(t, err)
				return *r.PlainText
			}
			require.Equal(t, "in the mock", decrypt(*enc.CipherText))

			// Encrypted here with the public key alone.
			var ct []byte
			switch p := pub.(type) {
			case *rsa.PublicKey:
				ct, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, p, []byte("outside"), nil)
			case *tjsm2.PublicKey:
				ct, err = tjsm2.EncryptAsn1(p, []byte("outside"), rand.Reader)
			}
			require.NoError(t, err)
			require.Equal(t, "outside", decrypt(base64.StdEncoding.EncodeToString(ct)))
		})
	}
}

func digest(h crypto.Hash, msg []byte) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384(msg)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(msg)
		return d[:]
	}
	d := sha256.Sum256(msg)
	return d[:]
}

// sm2Digest is SM3(Z_A‖M) with the default user id, by tjfoc/gmsm, padded to 32 bytes: tjfoc returns it as a
// big integer's bytes, which drops a leading zero byte one time in 256.
func sm2Digest(t *testing.T, pub *tjsm2.PublicKey, message []byte) []byte {
	t.Helper()
	d, err := pub.Sm3Digest(message, nil)
	require.NoError(t, err)
	require.LessOrEqual(t, len(d), 32)
	return append(make([]byte, 32-len(d)), d...)
}
