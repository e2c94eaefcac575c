package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const aliceProject = "0123456789abcdef0123456789abcdef"

// aliceCall calls the served mock as alice and returns the status and body of its answer.
func aliceCall(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", "alice-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// api calls the served mock as alice and decodes the 200 answer into out.
func api(t *testing.T, method, url, body string, out any) {
	t.Helper()
	status, data := aliceCall(t, method, url, body)
	require.Equal(t, http.StatusOK, status, "%s %s: %s", method, url, data)
	if out != nil {
		require.NoError(t, json.Unmarshal(data, out))
	}
}

// leave creates a key with the alias and a secret with the name, as a run killed before its cleanup
// leaves them.
func leave(t *testing.T, url, name string) {
	t.Helper()
	api(t, http.MethodPost, url+"/v1.0/"+aliceProject+"/kms/create-key", `{"key_alias":"`+name+`"}`, nil)
	api(t, http.MethodPost, url+"/v1/"+aliceProject+"/secrets", `{"name":"`+name+`","secret_string":"left behind"}`, nil)
}

// states lists alice's keys (alias -> state) and secrets (name -> state); the mock's pages hold them all.
func states(t *testing.T, url string) (keys, secrets map[string]string) {
	t.Helper()
	var kl struct {
		KeyDetails []struct {
			Alias string `json:"key_alias"`
			State string `json:"key_state"`
		} `json:"key_details"`
	}
	api(t, http.MethodPost, url+"/v1.0/"+aliceProject+"/kms/list-keys", `{"limit":"1000","key_spec":"ALL"}`, &kl)
	var sl struct {
		Secrets []struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"secrets"`
	}
	api(t, http.MethodGet, url+"/v1/"+aliceProject+"/secrets?limit=200", "", &sl)
	keys, secrets = map[string]string{}, map[string]string{}
	for _, k := range kl.KeyDetails {
		keys[k.Alias] = k.State
	}
	for _, s := range sl.Secrets {
		secrets[s.Name] = s.State
	}
	return keys, secrets
}

// countKeys counts alice's keys whose alias has the prefix; it runs beside the test, so it reports
// problems as 0 instead of failing.
func countKeys(url, prefix string) int {
	req, err := http.NewRequest(http.MethodPost, url+"/v1.0/"+aliceProject+"/kms/list-keys", strings.NewReader(`{"limit":"1000","key_spec":"ALL"}`))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", "alice-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var page struct {
		KeyDetails []struct {
			Alias string `json:"key_alias"`
		} `json:"key_details"`
	}
	if json.NewDecoder(resp.Body).Decode(&page) != nil {
		return 0
	}
	n := 0
	for _, k := range page.KeyDetails {
		if strings.HasPrefix(k.Alias, prefix) {
			n++
		}
	}
	return n
}

// cleanupCLI runs "cleanup" with args, requires exit code 0 and returns its stdout.
func cleanupCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := cleanupWith(context.Background(), args, &out, &errb, noEnv)
	require.Equal(t, 0, code, "cleanup %q: %s%s", args, out.String(), errb.String())
	return out.String()
}

// TestCleanupAfterAnInterruptedRun interrupts "run" against "serve" once it has created resources, then
// removes what a run killed before its own cleanup would leave behind with "cleanup --run-id", and what
// other runs left with "cleanup --all-runs". Nothing without the prefix is touched.
func TestCleanupAfterAnInterruptedRun(t *testing.T) {
	url, _ := startServe(t)
	leave(t, url, "precious")
	const runID = "clitest"
	prefix := "dewconform-" + runID + "-"

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		// Interrupt once the run has created a few keys: it is then well under way.
		for ctx.Err() == nil {
			if countKeys(url, prefix) >= 3 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var out, errb bytes.Buffer
	code := runWith(ctx, []string{"--endpoint", url, "--run-id", runID, "--rps", "-1", "--concurrency", "4", "--tags", "~@mock-only"},
		&out, &errb, noEnv)
	cancel()
	<-watched
	require.Contains(t, errb.String(), "interrupted", "the run ended before it was interrupted:\n%s", tail(out.String(), 2000))
	assert.Equal(t, 2, code, "an interrupted run is never judged: %s", errb.String())

	// A run killed before its cleanup (SIGKILL, a crash) leaves its resources behind; so did another run.
	leave(t, url, prefix+"leftover")
	leave(t, url, "dewconform-otherrun-leftover")

	first := cleanupCLI(t, "--endpoint", url, "--run-id", runID, "--rps", "-1")
	assert.Contains(t, first, "scheduled for deletion: key "+prefix+"leftover (")
	assert.Contains(t, first, "scheduled for deletion: secret "+prefix+"leftover\n")
	assert.Contains(t, first, "2 resource(s) scheduled for deletion", "what the interrupted run created was scheduled by the run itself")
	assert.NotContains(t, first, "otherrun", "--run-id removes only that run's resources")

	second := cleanupCLI(t, "--endpoint", url, "--run-id", runID, "--rps", "-1")
	assert.Equal(t, "0 resource(s) scheduled for deletion\n", second)

	all := cleanupCLI(t, "--endpoint", url, "--all-runs", "--rps", "-1")
	assert.Contains(t, all, "scheduled for deletion: key dewconform-otherrun-leftover (")
	assert.Contains(t, all, "scheduled for deletion: secret dewconform-otherrun-leftover\n")
	assert.Contains(t, all, "2 resource(s) scheduled for deletion")
	again := cleanupCLI(t, "--endpoint", url, "--all-runs", "--rps", "-1")
	assert.Equal(t, "0 resource(s) scheduled for deletion\n", again)

	keys, secrets := states(t, url)
	var mine int
	for alias, state := range keys {
		if strings.HasPrefix(alias, "dewconform-") {
			mine++
			assert.Equal(t, "4", state, "key %s is scheduled for deletion", alias)
		}
	}
	assert.Greater(t, mine, 3)
	for name, state := range secrets {
		if strings.HasPrefix(name, "dewconform-") {
			assert.Equal(t, "PENDING_DELETE", state, "secret %s", name)
		}
	}
	assert.Equal(t, "2", keys["precious"], "a key without the prefix is untouched")
	assert.Equal(t, "ENABLED", secrets["precious"], "a secret without the prefix is untouched")
}
