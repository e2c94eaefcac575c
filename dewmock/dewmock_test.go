package dewmock_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/dewmock"
	"github.com/dewconform/dewconform/mock"
)

func post(t *testing.T, url, token, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestStartStopsWithTheTest: the server answers during the test and is gone after its cleanup.
func TestStartStopsWithTheTest(t *testing.T) {
	var url string
	t.Run("inner", func(t *testing.T) {
		srv := dewmock.Start(t)
		url = srv.URL
		alice := srv.Default()
		assert.Equal(t, "alice", alice.Name)
		assert.Equal(t, 200, post(t, url+"/v1.0/"+alice.ProjectID+"/kms/create-key", alice.Token, `{"key_alias":"k"}`))
		assert.Equal(t, 401, post(t, url+"/v1.0/"+alice.ProjectID+"/kms/create-key", "", `{"key_alias":"k2"}`))
		assert.Equal(t, 1, srv.Mock().Stats().Total.Keys)
		assert.Len(t, srv.Identities(), 5)
		bob, err := srv.Identity("bob")
		require.NoError(t, err)
		assert.Equal(t, "bob-token", bob.Token)
		_, err = srv.Identity("mallory")
		assert.ErrorContains(t, err, "no identity mallory")
		assert.Equal(t, 404, post(t, url+"/_dewconform/purge", "", `{"prefix":"dewconform-"}`), "no control API by default")
	})
	_, err := http.Post(url+"/_dewconform/health", "application/json", nil)
	assert.Error(t, err, "the server stopped with the test")
}

func TestOptions(t *testing.T) {
	seed, err := mock.ParseSeed([]byte("keys:\n  - owner: alice\n    alias: seeded\n    state: \"3\"\n"))
	require.NoError(t, err)
	srv := dewmock.Start(t, dewmock.WithControl(), dewmock.WithSeed(seed),
		dewmock.WithOptions(func(o *mock.Options) { o.Limits.KeysPerProject = 1 }))
	alice := srv.Default()
	assert.Equal(t, 200, post(t, srv.URL+"/_dewconform/purge", "", `{"prefix":"dewconform-"}`))
	assert.Equal(t, 400, post(t, srv.URL+"/v1.0/"+alice.ProjectID+"/kms/create-key", alice.Token, `{"key_alias":"over"}`),
		"the seeded key fills the quota of one")

	_, err = dewmock.New(dewmock.WithOptions(func(o *mock.Options) { o.Choices.KeyNotFoundStatus = 418 }))
	assert.ErrorContains(t, err, "dewmock:")
}
