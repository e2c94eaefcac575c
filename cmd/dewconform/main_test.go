package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dewconform/dewconform/openapi"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runWithEnv(context.Background(), args, &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

func noEnv(string) string { return "" }

// runWithEnv is run with a fixed environment for the commands that read it.
func runWithEnv(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 && args[0] == "run" {
		return runWith(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) > 0 && args[0] == "cleanup" {
		return cleanupWith(ctx, args[1:], stdout, stderr, getenv)
	}
	return run(ctx, args, stdout, stderr)
}

func TestHelpEverywhere(t *testing.T) {
	code, out, _ := runCLI(t, "--help")
	assert.Equal(t, 0, code)
	for _, c := range commands() {
		assert.Contains(t, out, c.name)
		code, out, _ := runCLI(t, c.name, "--help")
		assert.Equal(t, 0, code, c.name)
		assert.Contains(t, out, "usage: dewconform "+c.name, c.name)
	}
	_, out, _ = runCLI(t, "run", "--help")
	for _, f := range []string{"endpoint", "kms-endpoint", "csms-endpoint", "project-id", "identities", "auth", "tags",
		"concurrency", "strict", "timeout", "rps", "format", "junit", "cucumber", "report", "summary", "baseline", "list"} {
		assert.Regexp(t, `(?m)^  -`+f+`( |$)`, out, f)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nope"},
		{"run", "--no-such-flag"},
		{"run", "--auth", "magic"},
		{"run", "--format", "fancy", "--endpoint", "http://127.0.0.1:1"},
		{"run", "--endpoint", "not a url"},
		{"run", "--concurrency", "x"},
		{"spec", "vault"},
		{"spec", "kms", "--format", "xml"},
		{"cleanup", "--endpoint", "http://127.0.0.1:1"},
		{"cleanup", "--endpoint", "http://127.0.0.1:1", "--run-id", "a", "--all-runs"},
		{"serve", "--addr", "not-an-address"},
	} {
		code, _, stderr := runCLI(t, args...)
		assert.Equal(t, 2, code, "%q", args)
		assert.NotEmpty(t, stderr, "%q", args)
	}
}

func TestEnvironmentCredentials(t *testing.T) {
	env := map[string]string{envAK: "REALAK", envSK: "real-secret-key-value", envProjectID: "0123456789abcdef0123456789abcdef"}
	var tf targetFlags
	set, project, err := tf.identitySet(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "0123456789abcdef0123456789abcdef", project)
	p, ok := set.Primary()
	require.True(t, ok)
	assert.Equal(t, "REALAK", p.AK)
	assert.Equal(t, 1, set.Len(), "without an identities file only the primary identity is known")

	delete(env, envProjectID)
	_, _, err = tf.identitySet(func(k string) string { return env[k] })
	assert.Error(t, err, "environment credentials need a project")
	_, _, err = tf.identitySet(func(k string) string { return map[string]string{envAK: "X"}[k] })
	assert.Error(t, err, "an AK without SK")
}

func TestSpec(t *testing.T) {
	code, out, _ := runCLI(t, "spec", "kms")
	require.Equal(t, 0, code)
	assert.Equal(t, string(openapi.KMS()), out)
	code, out, _ = runCLI(t, "spec", "csms")
	require.Equal(t, 0, code)
	assert.Equal(t, string(openapi.CSMS()), out)
	code, out, _ = runCLI(t, "spec", "csms", "--format", "json")
	require.Equal(t, 0, code)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, "3.0.3", doc["openapi"])
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "dewconform ")
	assert.Contains(t, out, "spec kms ")
	assert.Contains(t, out, "go1.")
}

func TestListCallsNothing(t *testing.T) {
	code, out, _ := runCLI(t, "run", "--list", "--tags", "@retire-grant")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "kms/retire_grant.feature:")
	assert.NotContains(t, out, "restore_secret")
}

// syncBuffer is written by the serve goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs "serve" in-process on a free port and returns its URL (the first line printed).
func startServe(t *testing.T, args ...string) (url string, out *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), out, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, "serve shuts down gracefully")
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if line, err := bufio.NewReader(strings.NewReader(out.String())).ReadString('\n'); err == nil {
			return strings.TrimSpace(line), out
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("serve printed no URL")
	return "", nil
}

func TestServePrintsURLFirst(t *testing.T) {
	url, out := startServe(t)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, url)
	resp, err := http.Get(url + "/v1.0/0123456789abcdef0123456789abcdef/kms/list-keys")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "GET is not an operation")
	time.Sleep(50 * time.Millisecond)
	text := out.String()
	assert.Contains(t, text, "alice-token", "the default identities are public test values")
	assert.NotContains(t, text, "secret-access-key", "SKs are never printed")
}

func TestRunAgainstServe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole suite")
	}
	url, _ := startServe(t, "--control")
	var out, errb bytes.Buffer
	code := runWith(context.Background(), []string{"run", "--endpoint", url, "--rps", "-1", "--concurrency", "4"}[1:], &out, &errb, noEnv)
	assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", tail(out.String(), 4000), errb.String())
	assert.Contains(t, out.String(), "PASS")
}

func TestRunEmbeddedAndUnreachable(t *testing.T) {
	code, out, _ := runCLI(t, "run", "--tags", "@restore-secret && ~@multi-user")
	assert.Equal(t, 0, code, tail(out, 4000))
	assert.Contains(t, out, "embedded mock")

	code, _, stderr := runCLI(t, "run", "--endpoint", "http://127.0.0.1:1", "--timeout", "2s")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "unreachable")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
