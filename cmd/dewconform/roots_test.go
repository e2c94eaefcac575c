package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testdata/google-chain-2023.pem is a real public chain (www.google.com, issued by GTS CA 1C3 under GTS
// Root R1), the one Go's crypto/x509 tests use; it was valid in March 2023.
const chainTime = "2023-03-01T00:00:00Z"

const rootsHelperEnv = "DEWCONFORM_ROOTS_HELPER"

// TestRootsHelper runs only as the child of TestChainVerifiesWithoutSystemStore: it verifies the chain
// against the system roots, which the parent has pointed at SSL_CERT_FILE/SSL_CERT_DIR.
func TestRootsHelper(t *testing.T) {
	if os.Getenv(rootsHelperEnv) != "1" {
		t.Skip("run by TestChainVerifiesWithoutSystemStore")
	}
	pemBytes, err := os.ReadFile(filepath.Join("testdata", "google-chain-2023.pem"))
	require.NoError(t, err)
	var certs []*x509.Certificate
	for rest := pemBytes; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		require.NoError(t, err)
		certs = append(certs, c)
	}
	require.Len(t, certs, 2)
	inter := x509.NewCertPool()
	inter.AddCert(certs[1])
	at, err := time.Parse(time.RFC3339, chainTime)
	require.NoError(t, err)
	// Roots nil: the system store, or the fallback roots when it has none.
	_, err = certs[0].Verify(x509.VerifyOptions{DNSName: "www.google.com", Intermediates: inter, CurrentTime: at})
	require.NoError(t, err)
}

// TestChainVerifiesWithoutSystemStore proves that TLS still verifies in the image, which has no
// certificate files: with an empty system store, the embedded fallback roots verify a real chain.
func TestChainVerifiesWithoutSystemStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the test binary twice")
	}
	dir := t.TempDir()
	child := func(certFile string) ([]byte, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRootsHelper$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), rootsHelperEnv+"=1", "SSL_CERT_FILE="+certFile,
			"SSL_CERT_DIR="+filepath.Join(dir, "no-such-dir"))
		return cmd.CombinedOutput()
	}
	out, err := child(filepath.Join(dir, "no-such-file"))
	require.NoError(t, err, "no system store: the fallback roots must verify the chain:\n%s", out)
	assert.Contains(t, string(out), "--- PASS: TestRootsHelper")

	// Control: a system store without the chain's root is used instead of the fallback, and fails; so the
	// pass above came from the fallback roots.
	other := filepath.Join(dir, "other-root.pem")
	require.NoError(t, os.WriteFile(other, selfSignedPEM(t), 0o644))
	out, err = child(other)
	require.Error(t, err, "a store without GTS Root R1 must not verify:\n%s", out)
	assert.Contains(t, string(out), "certificate signed by unknown authority")
}

func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "unrelated root"},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
