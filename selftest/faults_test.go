package selftest_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/identity"
	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/openapi"
	"github.com/dewconform/dewconform/selftest"
)

// TestCatalogue checks the table itself: unique names, known classes and operation tags, strict-only
// exactly for the strict class, every class for each seed operation, at least 30 faults, and the
// declarations: a known proxy verdict, a reason for every one but fail (unconfirmed-differs never for an
// access or transport fault: a refusal and an answer are confirmed), at most 10% of the catalogue not gating
// through the proxy (unconfirmed-differs, mock-only and the current blind spots together).
func TestCatalogue(t *testing.T) {
	require.NotEmpty(t, selftest.SeedOperations(), "the registry marks no seed operation")
	faults := selftest.Faults()
	require.GreaterOrEqual(t, len(faults), 30)
	names := map[string]bool{}
	byOp := map[string]map[selftest.Class]int{}
	nonGating := 0
	for _, f := range faults {
		assert.False(t, names[f.Name], "duplicate fault %s", f.Name)
		names[f.Name] = true
		assert.Regexp(t, `^[a-z0-9-]+$`, f.Name)
		assert.Contains(t, selftest.Classes(), f.Class, f.Name)
		assert.Contains(t, openapi.Slugs(), f.Operation, f.Name)
		assert.NotEmpty(t, f.Description, f.Name)
		assert.NotNil(t, f.Wrap, f.Name)
		assert.Equal(t, f.Class == selftest.ClassStrict, f.StrictOnly, "%s: strict-only exactly for the strict class", f.Name)
		assert.Equal(t, selftest.VerdictFail, f.Want(selftest.ModeMock), "%s: against the mock every fault fails", f.Name)
		if f.Proxy != "" {
			assert.Contains(t, selftest.Verdicts(), f.Proxy, f.Name)
		}
		if f.Want(selftest.ModeProxy) == selftest.VerdictFail {
			assert.Empty(t, f.ProxyReason, "%s: a reason without a verdict to explain", f.Name)
		} else {
			assert.NotEmpty(t, f.ProxyReason, "%s: proxy verdict %s needs its reason", f.Name, f.Proxy)
		}
		if f.Proxy == selftest.VerdictUnconfirmedDiffers {
			assert.Contains(t, f.ProxyReason, "unconfirmed", "%s: the reason names the unconfirmed expectation that is all that differs", f.Name)
			assert.NotEqual(t, selftest.ClassTransport, f.Class, f.Name)
			assert.NotEqual(t, selftest.ClassAccess, f.Class, "%s: an access fault must gate: a refusal is confirmed", f.Name)
		}
		if f.Blind() || f.Want(selftest.ModeProxy) != selftest.VerdictFail {
			nonGating++
		}
		if byOp[f.Operation] == nil {
			byOp[f.Operation] = map[selftest.Class]int{}
		}
		byOp[f.Operation][f.Class]++
	}
	for _, op := range selftest.SeedOperations() {
		for _, c := range selftest.Classes() {
			assert.NotZero(t, byOp[op][c], "no %s fault for %s", c, op)
		}
	}
	assert.LessOrEqual(t, 10*nonGating, len(faults), "%d of %d faults do not gate through the proxy: at most 10%%", nonGating, len(faults))
}

// TestRules checks that every rule is broken by at least one fault and that every fault's rule exists.
func TestRules(t *testing.T) {
	rules := map[string]selftest.Rule{}
	for _, r := range selftest.Rules() {
		assert.NotContains(t, rules, r.ID, "duplicate rule")
		assert.Regexp(t, `^[A-Z][A-Z0-9-]+$`, r.ID)
		assert.Contains(t, openapi.Slugs(), r.Operation, r.ID)
		assert.NotEmpty(t, r.Text, r.ID)
		rules[r.ID] = r
	}
	require.NotEmpty(t, rules)
	broken := map[string]bool{}
	for _, f := range selftest.Faults() {
		if f.Rule == "" {
			continue
		}
		r, ok := rules[f.Rule]
		if assert.True(t, ok, "%s names rule %s, which Rules() does not list", f.Name, f.Rule) {
			assert.Equal(t, r.Operation, f.Operation, "%s breaks %s, a rule of another operation", f.Name, f.Rule)
		}
		broken[f.Rule] = true
	}
	for id := range rules {
		assert.True(t, broken[id], "rule %s has no fault: the self-test does not prove the suite enforces it", id)
	}
}

// TestREADMEStatesTheCatalogue keeps the README's numbers those of the catalogue.
func TestREADMEStatesTheCatalogue(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	want := selftest.CatalogueSummary(selftest.Faults())
	assert.True(t, strings.Contains(string(readme), want),
		"README.md must quote the catalogue's summary (dewconform selftest --list prints it):\n%s", want)
}

// ---- each wrapper really changes what a client sees ---------------------------------------------------

const (
	aliceProject = "0123456789abcdef0123456789abcdef"
	eveProject   = "fedcba9876543210fedcba9876543210"
	unknownGrant = "7c9a3286af4fcca5f0a385ad13e1d21a50e27b6dbcab50f37f30f93b8939827d"
)

var requestID = regexp.MustCompile(`"request_id":"[^"]*"`)

// prober drives one situation against one mock and writes down everything a client could observe.
type prober struct {
	t      *testing.T
	base   string
	client *http.Client
	ids    identity.Set
	seen   []string
	keys   int // keys created so far (their aliases must differ)
}

// call sends one request as who ("" for no credentials) and notes the status, the content type and, when
// full, the body. It returns the decoded JSON answer (nil when none).
func (p *prober) call(who, method, path string, body any, full bool) map[string]any {
	p.t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(p.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	require.NoError(p.t, err)
	req.Header.Set("Content-Type", "application/json")
	if who != "" {
		id, ok := p.ids.ByName(who)
		require.True(p.t, ok, who)
		req.Header.Set("X-Auth-Token", id.Token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.seen = append(p.seen, fmt.Sprintf("%s %s %s: no answer", who, method, path))
		return nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	line := fmt.Sprintf("%s %s %s: %d %s", who, method, path, resp.StatusCode, resp.Header.Get("Content-Type"))
	if full {
		// The gateway's request ids are random per mock; everything else is fixed by the clock and ids.
		line += " " + requestID.ReplaceAllString(canonical(data), `"request_id":"-"`)
	}
	p.seen = append(p.seen, line)
	var doc map[string]any
	_ = json.Unmarshal(data, &doc)
	return doc
}

// canonical re-encodes a JSON body with sorted members, so that a wrapper that decodes and re-encodes an
// answer without changing it is not mistaken for a change; anything else is kept as it is.
func canonical(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return string(b)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return string(b)
	}
	return string(out)
}

func (p *prober) kms(who, op string, body any, full bool) map[string]any {
	project := aliceProject
	if who == "eve" {
		project = eveProject
	}
	return p.call(who, http.MethodPost, "/v1.0/"+project+"/kms/"+op, body, full)
}

func (p *prober) key(pending bool) string {
	p.keys++
	k := p.kms("alice", "create-key", map[string]any{"key_alias": fmt.Sprintf("selftest-key-%d", p.keys)}, false)
	id, _ := k["key_info"].(map[string]any)["key_id"].(string)
	require.NotEmpty(p.t, id)
	if pending {
		p.kms("alice", "schedule-key-deletion", map[string]any{"key_id": id, "pending_days": "7"}, false)
	}
	return id
}

// asymKey creates an asymmetric key of alice's.
func (p *prober) asymKey(spec, usage string) string {
	p.keys++
	k := p.kms("alice", "create-key", map[string]any{"key_alias": fmt.Sprintf("selftest-key-%d", p.keys), "key_spec": spec, "key_usage": usage}, false)
	id, _ := k["key_info"].(map[string]any)["key_id"].(string)
	require.NotEmpty(p.t, id)
	return id
}

// macKey seeds a MAC key of alice's with a fixed secret (no API creates one).
func (p *prober) macKey(id string) {
	p.call("", http.MethodPost, "/_dewconform/seed", map[string]any{"keys": []map[string]any{{"owner": "alice", "alias": "selftest-mac-" + id[:1],
		"id": id, "spec": "HMAC_256", "usage": "GENERATE_VERIFY_MAC", "material": strings.Repeat("ab", 32)}}}, false)
}

// signThenVerify signs with key (the signature is random, so not noted) and notes what verify says of
// the signature over verifyMsg; signatures and digests are base64.
func (p *prober) signThenVerify(key, alg, msgType, msg, verifyMsg string) {
	body := map[string]any{"key_id": key, "message": msg, "message_type": msgType, "signing_algorithm": alg}
	sig, _ := p.kms("alice", "sign", body, false)["signature"].(string)
	body["signature"], body["message"] = sig, verifyMsg
	if sig != "" {
		p.kms("alice", "verify", body, true)
	}
}

func (p *prober) grant(key string) string {
	bob, _ := p.ids.ByName("bob")
	carol, _ := p.ids.ByName("carol")
	g := p.kms("alice", "create-grant", map[string]any{"key_id": key, "grantee_principal": bob.UserID,
		"operations": []string{"create-datakey", "describe-key"}, "retiring_principal": carol.UserID}, true)
	id, _ := g["grant_id"].(string)
	return id
}

func (p *prober) secretPath(who string) string {
	project := aliceProject
	if who == "eve" {
		project = eveProject
	}
	return "/v1/" + project + "/secrets/selftest-secret"
}

func (p *prober) secret(pending bool) {
	p.call("alice", http.MethodPost, "/v1/"+aliceProject+"/secrets", map[string]any{"name": "selftest-secret", "secret_string": "v"}, false)
	if pending {
		p.call("alice", http.MethodPost, p.secretPath("alice")+"/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 7}, false)
	}
}

// situations lists, per operation, short request sequences that reach the cases the faults break: the
// documented success, a refused state, another caller, no credentials.
func situations() map[string][]func(p *prober) {
	seeAfterGrantRemoval := func(p *prober, key string) {
		p.kms("alice", "list-grants", map[string]any{"key_id": key}, true)
		p.kms("bob", "create-datakey", map[string]any{"key_id": key}, false)
	}
	removal := func(op, who string) func(p *prober) {
		return func(p *prober) {
			key := p.key(false)
			g := p.grant(key)
			p.kms(who, op, map[string]any{"key_id": key, "grant_id": g}, true)
			seeAfterGrantRemoval(p, key)
		}
	}
	cancel := func(who string, pending bool) func(p *prober) {
		return func(p *prober) {
			key := p.key(pending)
			p.kms(who, "cancel-key-deletion", map[string]any{"key_id": key}, true)
			p.kms("alice", "describe-key", map[string]any{"key_id": key}, true)
		}
	}
	restore := func(who string, pending bool) func(p *prober) {
		return func(p *prober) {
			p.secret(pending)
			p.call(who, http.MethodPost, p.secretPath(who)+"/scheduled-deleted-tasks/cancel", nil, true)
			p.call("alice", http.MethodGet, p.secretPath("alice"), nil, true)
		}
	}
	hello, digest := base64.StdEncoding.EncodeToString([]byte("hello")), base64.StdEncoding.EncodeToString(make([]byte, 32))
	all := map[string][]func(p *prober){
		"sign": {
			func(p *prober) {
				p.signThenVerify(p.asymKey("EC_P256", "SIGN_VERIFY"), "ECDSA_SHA_256", "RAW", hello, hello)
			},
			func(p *prober) {
				p.signThenVerify(p.asymKey("SM2", "SIGN_VERIFY"), "SM2DSA_SM3", "DIGEST", digest, digest)
			},
			func(p *prober) {
				key := p.asymKey("EC_P256", "SIGN_VERIFY")
				p.kms("alice", "sign", map[string]any{"key_id": key, "message": base64.StdEncoding.EncodeToString(make([]byte, 20)), "signing_algorithm": "ECDSA_SHA_256"}, true)
				p.kms("alice", "sign", map[string]any{"key_id": p.asymKey("SM2", "SIGN_VERIFY"), "message": hello, "message_type": "RAW", "signing_algorithm": "SM2DSA_SM3"}, true)
				p.kms("alice", "sign", map[string]any{"key_id": p.asymKey("RSA_2048", "ENCRYPT_DECRYPT"), "message": digest, "signing_algorithm": "RSASSA_PSS_SHA_256"}, true)
				p.macKey("8d0466b0-e727-4d9c-b35d-f84bb474a37f")
				p.kms("alice", "sign", map[string]any{"key_id": "8d0466b0-e727-4d9c-b35d-f84bb474a37f", "message": digest, "signing_algorithm": "ECDSA_SHA_256"}, true)
				p.kms("alice", "disable-key", map[string]any{"key_id": key}, false)
				p.kms("alice", "sign", map[string]any{"key_id": key, "message": digest, "signing_algorithm": "ECDSA_SHA_256"}, true)
			},
		},
		"generate-mac": {func(p *prober) {
			p.macKey("6d0466b0-e727-4d9c-b35d-f84bb474a37f")
			p.kms("alice", "generate-mac", map[string]any{"key_id": "6d0466b0-e727-4d9c-b35d-f84bb474a37f", "mac_algorithm": "HMAC_SHA_256", "message": hello}, true)
			p.kms("alice", "generate-mac", map[string]any{"key_id": p.asymKey("EC_P256", "SIGN_VERIFY"), "mac_algorithm": "HMAC_SHA_256", "message": hello}, true)
		}},
		"verify-mac": {func(p *prober) {
			id := "7d0466b0-e727-4d9c-b35d-f84bb474a37f"
			p.macKey(id)
			mac, _ := p.kms("alice", "generate-mac", map[string]any{"key_id": id, "mac_algorithm": "HMAC_SHA_256", "message": hello}, false)["mac"].(string)
			p.kms("alice", "verify-mac", map[string]any{"key_id": id, "mac_algorithm": "HMAC_SHA_256", "message": digest, "mac": mac}, true)
		}},
		"create-rsa-datakey-pair": {func(p *prober) {
			key := p.key(false)
			pair := p.kms("alice", "create-rsa-datakey-pair", map[string]any{"key_id": key, "key_spec": "RSA_2048"}, false)
			p.seen = append(p.seen, fmt.Sprintf("has a plaintext private key: %v", pair["private_key_plain_text"] != nil))
			ct, _ := pair["private_key_cipher_text"].(string)
			opened, _ := p.kms("alice", "decrypt-data", map[string]any{"cipher_text": ct}, false)["plain_text_base64"].(string)
			p.seen = append(p.seen, fmt.Sprintf("the wrapped private key opens to the plaintext one: %v", opened != "" && opened == pair["private_key_plain_text"]))
			none := p.kms("alice", "create-rsa-datakey-pair", map[string]any{"key_id": key, "key_spec": "RSA_2048", "with_plain_text": false}, false)
			p.seen = append(p.seen, fmt.Sprintf("without plaintext, has a plaintext private key: %v", none["private_key_plain_text"] != nil))
		}},
		"create-ec-datakey-pair": {func(p *prober) {
			pair := p.kms("alice", "create-ec-datakey-pair", map[string]any{"key_id": p.key(false), "key_spec": "ECC_NIST_P256"}, false)
			pub, _ := base64.StdEncoding.DecodeString(str(pair["public_key"]))
			priv, _ := base64.StdEncoding.DecodeString(str(pair["private_key_plain_text"]))
			p.seen = append(p.seen, fmt.Sprintf("the pair matches: %v", ecPairMatches(pub, priv)))
		}},
		"derive-shared-secret": {func(p *prober) {
			id := "9d0466b0-e727-4d9c-b35d-f84bb474a37f"
			p.call("", http.MethodPost, "/_dewconform/seed", map[string]any{"keys": []map[string]any{{"owner": "alice", "alias": "selftest-agree",
				"id": id, "spec": "EC_P256", "usage": "KEY_AGREEMENT"}}}, false)
			peer, err := ecdh.P256().GenerateKey(crand.Reader)
			require.NoError(p.t, err)
			der, err := x509.MarshalPKIXPublicKey(peer.PublicKey())
			require.NoError(p.t, err)
			got, _ := p.kms("alice", "derive-shared-secret", map[string]any{"key_id": id, "key_agreement_algorithm": "ECDH",
				"public_key": base64.StdEncoding.EncodeToString(der)}, false)["shared_secret"].(string)
			pemKey, _ := p.kms("alice", "get-publickey", map[string]any{"key_id": id}, false)["public_key"].(string)
			p.seen = append(p.seen, fmt.Sprintf("the shared secret is the ECDH: %v", ecdhMatches(pemKey, peer, got)))
		}},
		"verify": {func(p *prober) {
			p.signThenVerify(p.asymKey("EC_P256", "SIGN_VERIFY"), "ECDSA_SHA_256", "RAW", hello, base64.StdEncoding.EncodeToString([]byte("hellO")))
		}},
		"get-publickey": {func(p *prober) {
			key := p.asymKey("EC_P256", "SIGN_VERIFY")
			sig, _ := p.kms("alice", "sign", map[string]any{"key_id": key, "message": hello, "message_type": "RAW", "signing_algorithm": "ECDSA_SHA_256"}, false)["signature"].(string)
			pemKey, _ := p.kms("alice", "get-publickey", map[string]any{"key_id": key}, false)["public_key"].(string)
			p.seen = append(p.seen, fmt.Sprintf("the signature verifies with the public key: %v", ecdsaVerifies(pemKey, []byte("hello"), sig)))
		}},
		"encrypt-data": {func(p *prober) {
			p.kms("alice", "encrypt-data", map[string]any{"key_id": p.asymKey("RSA_2048", "SIGN_VERIFY"), "plain_text": "hello", "encryption_algorithm": "RSAES_OAEP_SHA_256"}, true)
			p.kms("alice", "encrypt-data", map[string]any{"key_id": p.asymKey("RSA_2048", "ENCRYPT_DECRYPT"), "plain_text": strings.Repeat("a", 191), "encryption_algorithm": "RSAES_OAEP_SHA_256"}, true)
		}},
		"decrypt-data": {func(p *prober) {
			key := p.asymKey("SM2", "ENCRYPT_DECRYPT")
			ct, _ := p.kms("alice", "encrypt-data", map[string]any{"key_id": key, "plain_text": "hello", "encryption_algorithm": "SM2_ENCRYPT"}, false)["cipher_text"].(string)
			p.kms("alice", "decrypt-data", map[string]any{"key_id": key, "cipher_text": ct, "encryption_algorithm": "SM2_ENCRYPT"}, true)
		}},
		"cancel-key-deletion": {cancel("alice", true), cancel("alice", false), cancel("eve", true), cancel("", true), cancel("bob", true)},
		"revoke-grant": {removal("revoke-grant", "alice"), removal("revoke-grant", "dave"), removal("revoke-grant", "bob"), func(p *prober) {
			p.kms("alice", "revoke-grant", map[string]any{"key_id": p.key(false), "grant_id": unknownGrant}, true)
		}},
		"retire-grant": {removal("retire-grant", "carol"), removal("retire-grant", "dave"), func(p *prober) {
			p.kms("alice", "retire-grant", map[string]any{"key_id": p.key(false), "grant_id": unknownGrant}, true)
		}},
		"restore-secret": {restore("alice", true), restore("alice", false), restore("eve", true), restore("", true)},
		"schedule-key-deletion": {func(p *prober) {
			key := p.key(false)
			p.kms("alice", "schedule-key-deletion", map[string]any{"key_id": key, "pending_days": "7"}, true)
			p.kms("alice", "describe-key", map[string]any{"key_id": key}, true)
		}},
		"create-grant": {func(p *prober) { p.grant(p.key(false)) }, func(p *prober) {
			key := p.key(false)
			bob, _ := p.ids.ByName("bob")
			p.kms("alice", "create-grant", map[string]any{"key_id": key, "grantee_principal": bob.UserID, "operations": []string{"describe-key"}}, true)
			p.kms("bob", "create-datakey", map[string]any{"key_id": key}, false)
		}},
		"list-keys": {func(p *prober) {
			p.key(false)
			p.key(false)
			p.key(false)
			page := p.kms("alice", "list-keys", map[string]any{"limit": "1", "key_spec": "ALL"}, true)
			marker, _ := page["next_marker"].(string)
			p.kms("alice", "list-keys", map[string]any{"limit": "1", "key_spec": "ALL", "marker": marker}, true)
		}},
		"delete-secret": {func(p *prober) {
			p.secret(false)
			p.call("alice", http.MethodDelete, p.secretPath("alice"), nil, true)
			p.call("alice", http.MethodGet, p.secretPath("alice"), nil, true)
		}},
		"show-secret": {func(p *prober) {
			p.secret(false)
			p.call("alice", http.MethodGet, p.secretPath("alice"), nil, true)
		}},
		"schedule-secret-deletion": {func(p *prober) {
			p.secret(false)
			p.call("alice", http.MethodPost, p.secretPath("alice")+"/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 7}, true)
			p.call("alice", http.MethodGet, p.secretPath("alice"), nil, true)
		}},
	}
	for op, more := range versionSituations() {
		all[op] = append(all[op], more...)
	}
	return all
}

func str(v any) string { s, _ := v.(string); return s }

// ecdhMatches says whether secret (base64) is the ECDH of the PEM public key and priv.
func ecdhMatches(pemKey string, priv *ecdh.PrivateKey, secret string) bool {
	block, _ := pem.Decode([]byte(pemKey))
	if block == nil {
		return false
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	k, ok := pub.(*ecdsa.PublicKey)
	if err != nil || !ok {
		return false
	}
	peer, err := k.ECDH()
	if err != nil {
		return false
	}
	want, err := priv.ECDH(peer)
	got, decErr := base64.StdEncoding.DecodeString(secret)
	return err == nil && decErr == nil && bytes.Equal(want, got)
}

// ecPairMatches says whether a PKCS#8 ECDSA private key's public half is the SPKI public key.
func ecPairMatches(pubDER, privDER []byte) bool {
	pub, err := x509.ParsePKIXPublicKey(pubDER)
	if err != nil {
		return false
	}
	priv, err := x509.ParsePKCS8PrivateKey(privDER)
	k, ok := priv.(*ecdsa.PrivateKey)
	return err == nil && ok && k.PublicKey.Equal(pub)
}

// ecdsaVerifies checks an ECDSA P-256 SHA-256 signature (base64) over msg with a PEM public key.
func ecdsaVerifies(pemKey string, msg []byte, sig string) bool {
	block, _ := pem.Decode([]byte(pemKey))
	if block == nil {
		return false
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	k, ok := pub.(*ecdsa.PublicKey)
	raw, decErr := base64.StdEncoding.DecodeString(sig)
	if err != nil || !ok || decErr != nil {
		return false
	}
	d := sha256.Sum256(msg)
	return ecdsa.VerifyASN1(k, d[:], raw)
}

// Client timeouts of the observations. A call that times out is observed as "no answer", which is what a
// fault that never answers must show (quickly: hangTimeout); anything else waits long enough that a
// loaded machine under -race never turns a slow answer into "no answer" (that made the clean
// observations differ between two runs and the test flaky with a 500 ms timeout).
const (
	answerTimeout = 30 * time.Second
	hangTimeout   = 2 * time.Second
)

// observe runs a situation against a fresh deterministic mock (fixed clock and ids), wrapped by wrap,
// with the client timeout timeout.
func observe(t *testing.T, wrap func(http.Handler) http.Handler, situation func(p *prober), timeout time.Duration) []string {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m, err := mock.New(mock.Options{Control: true, Rand: rand.NewChaCha8([32]byte{1}),
		Clock: mock.ClockFunc(func() time.Time { return now })})
	require.NoError(t, err)
	var h http.Handler = m
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	p := &prober{t: t, base: srv.URL, client: &http.Client{Timeout: timeout}, ids: identity.Defaults()}
	situation(p)
	return p.seen
}

// TestWrappersChangeTheAnswers runs, for every fault (grouped by class), its operation's situations
// against a clean and a faulty mock: at least one must look different to a client, so that a fault that
// silently does nothing is caught here rather than as a mysterious "missed". The clean observations are
// checked to be deterministic, and equal through a wrapper that changes nothing (the check of the check).
func TestWrappersChangeTheAnswers(t *testing.T) {
	t.Parallel()
	sits := situations()
	maps.Copy(sits, envelopeSituations())
	clean := map[string][][]string{}
	var mu sync.Mutex
	t.Run("clean", func(t *testing.T) {
		for op, list := range sits {
			mu.Lock()
			clean[op] = make([][]string, len(list))
			mu.Unlock()
			for i, s := range list {
				t.Run(fmt.Sprintf("%s/%d", op, i), func(t *testing.T) {
					t.Parallel()
					seen := observe(t, nil, s, answerTimeout)
					require.Equal(t, seen, observe(t, func(h http.Handler) http.Handler { return h }, s, answerTimeout),
						"situation %d of %s is not deterministic (or an identity wrapper changes it)", i, op)
					mu.Lock()
					clean[op][i] = seen
					mu.Unlock()
				})
			}
		}
	})
	require.False(t, t.Failed())
	for _, class := range selftest.Classes() {
		t.Run(string(class), func(t *testing.T) {
			for _, f := range selftest.Faults() {
				if f.Class != class {
					continue
				}
				t.Run(f.Name, func(t *testing.T) {
					t.Parallel()
					list := sits[f.Operation]
					require.NotEmpty(t, list, "no situation for %s", f.Operation)
					timeout := answerTimeout
					if f.Class == selftest.ClassTransport {
						timeout = hangTimeout
					}
					changed := false
					for i := 0; i < len(list) && !changed; i++ {
						changed = !slices.Equal(clean[f.Operation][i], observe(t, f.Wrap, list[i], timeout))
					}
					assert.True(t, changed, "%s changes nothing a client of %s can see", f.Name, f.Operation)
				})
			}
		})
	}
}
