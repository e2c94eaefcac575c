package mock_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/aksk"
)

func TestAKSKSignatures(t *testing.T) {
	e := newEnv(t)
	// The mock's clock is far from the wall clock on purpose: signatures use the wall clock.
	e.clock.now = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	alice := e.id("alice")
	path := "/v1.0/" + alice.ProjectID + "/kms/create-key"
	body := `{"key_alias":"signed"}` + "\n"

	signed := func(ak, sk string, at time.Time) *http.Request {
		r, b := request(http.MethodPost, path, body)
		r.Header.Set("X-Project-Id", alice.ProjectID)
		require.NoError(t, aksk.Sign(r, b, ak, sk, at))
		return r
	}

	r := e.serve(signed(alice.AK, alice.SK, time.Now()))
	require.Equal(t, 200, r.Status, "%s", r.Body)

	for name, req := range map[string]*http.Request{
		"wrong sk":          signed(alice.AK, "not-the-secret", time.Now()),
		"unknown ak":        signed("NOSUCHACCESSKEY00000", alice.SK, time.Now()),
		"date 16 min early": signed(alice.AK, alice.SK, time.Now().Add(-16*time.Minute)),
		"date 16 min late":  signed(alice.AK, alice.SK, time.Now().Add(16*time.Minute)),
	} {
		t.Run(name, func(t *testing.T) {
			r := e.serve(req)
			require.Equal(t, 401, r.Status)
			require.Equal(t, "APIGW.0301", r.code())
			require.NotContains(t, string(r.Body), alice.SK)
		})
	}

	t.Run("tampered body", func(t *testing.T) {
		req := signed(alice.AK, alice.SK, time.Now())
		tampered, _ := request(http.MethodPost, path, `{"key_alias":"evil"}`+"\n")
		tampered.Header = req.Header
		r := e.serve(tampered)
		require.Equal(t, 401, r.Status)
	})
	t.Run("tampered signed header", func(t *testing.T) {
		req := signed(alice.AK, alice.SK, time.Now())
		req.Header.Set("X-Project-Id", e.id("eve").ProjectID)
		require.Equal(t, 401, e.serve(req).Status)
	})
	t.Run("within skew", func(t *testing.T) {
		r := e.serve(signed(alice.AK, alice.SK, time.Now().Add(-14*time.Minute)))
		require.Equal(t, 400, r.Status, "authenticated; the alias now exists")
		require.Equal(t, "KMS.1104", r.code())
	})
	t.Run("unknown ak says so", func(t *testing.T) {
		r := e.serve(signed("NOSUCHACCESSKEY00000", alice.SK, time.Now()))
		require.Contains(t, r.json(t)["error_msg"], "ak not exist")
	})
	t.Run("signed by bob, acting as bob", func(t *testing.T) {
		bob := e.id("bob")
		r := e.serve(signed(bob.AK, bob.SK, time.Now()))
		require.Equal(t, 403, r.Status, "bob has no rights of his own")
		require.Equal(t, "KMS.0306", r.code())
	})
}
