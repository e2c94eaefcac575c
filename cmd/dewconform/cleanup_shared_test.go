package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mockTotals reads the served mock's counts (GET /_dewconform/stats): keys a run may create (the csms
// default key is made once and stays), keys pending deletion, secrets.
func mockTotals(t *testing.T, url string) (keys, pending, secrets int) {
	t.Helper()
	resp, err := http.Get(url + "/_dewconform/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	var s struct {
		Total struct {
			Keys                int `json:"keys"`
			DefaultKeys         int `json:"default_keys"`
			KeysPendingDeletion int `json:"keys_pending_deletion"`
			Secrets             int `json:"secrets"`
		} `json:"total"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&s))
	return s.Total.Keys - s.Total.DefaultKeys, s.Total.KeysPendingDeletion, s.Total.Secrets
}

// crowdedSeed writes a seed of 1,100 keys and 60 secrets of alice's whose names sort before the runs'
// prefix: every listing the run and the cleanup walk has pages of other people's resources first.
func crowdedSeed(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("keys:\n")
	for i := range 1100 {
		fmt.Fprintf(&b, "  - {owner: alice, alias: aaa-crowd-%04d}\n", i)
	}
	b.WriteString("secrets:\n")
	for i := range 60 {
		fmt.Fprintf(&b, "  - {owner: alice, name: aaa-crowd-%02d, value: not-a-run-s}\n", i)
	}
	path := filepath.Join(t.TempDir(), "crowd.yaml")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// TestRunAndCleanupAgainstACrowdedSharedMock: the suite passes against a shared `serve --control`
// preloaded with 1,100 keys and 60 secrets named before the prefix; the run leaves keys pending deletion
// (they count against the quota); `cleanup --run-id` purges them, so the mock's counts come back to
// what they were before the run, and the preloaded resources are untouched.
func TestRunAndCleanupAgainstACrowdedSharedMock(t *testing.T) {
	url, _ := startServe(t, "--control", "--key-quota", "5000", "--seed", crowdedSeed(t))
	keys0, pending0, secrets0 := mockTotals(t, url)
	require.Equal(t, 1100, keys0)
	require.Equal(t, 60, secrets0)

	const runID = "crowd1"
	var out, errb bytes.Buffer
	code := runWith(context.Background(), []string{"--endpoint", url, "--run-id", runID, "--rps", "-1"}, &out, &errb, noEnv)
	require.Equal(t, 0, code, "%s\n%s", tail(out.String(), 3000), errb.String())
	keys1, pending1, _ := mockTotals(t, url)
	require.Greater(t, keys1, keys0, "the run left keys pending deletion")
	require.Greater(t, pending1, pending0)

	started := time.Now()
	got := cleanupCLI(t, "--endpoint", url, "--run-id", runID)
	took := time.Since(started)
	assert.Contains(t, got, "purged by the mock: key dewconform-"+runID+"-")
	assert.Regexp(t, `\d+ resource\(s\) scheduled for deletion, \d+ purged by the mock\n$`, got)
	assert.NotContains(t, got, "not reached")
	keys2, pending2, secrets2 := mockTotals(t, url)
	assert.Equal(t, keys0, keys2, "the cleanup brought the key count back down")
	assert.Equal(t, pending0, pending2)
	assert.Equal(t, secrets0, secrets2)
	// Recognised as the mock, the cleanup is not held to the 5 requests per second of a real target: it
	// pages through 12 pages of keys and 1 of secrets in far less than the 2.6 s that rate would take.
	assert.Less(t, took, 2*time.Second, "cleanup took %s", took)

	keys, secrets := states(t, url)
	assert.Equal(t, "2", keys["aaa-crowd-0000"])
	assert.Equal(t, "ENABLED", secrets["aaa-crowd-00"])
}

// TestSecondInterruptLeavesTheRunID: a second Ctrl-C ends `run` at once, before its summary; the run id
// and the cleanup command are on the screen already.
func TestSecondInterruptLeavesTheRunID(t *testing.T) {
	url, _ := startServe(t)
	const runID = "ctrlc2"
	args, err := json.Marshal([]string{"run", "--endpoint", url, "--run-id", runID, "--rps", "-1", "--concurrency", "1"})
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperArgsEnv+"="+string(args))
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(stdout))
		done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	deadline := time.Now().Add(20 * time.Second)
	for countKeys(url, "dewconform-"+runID+"-") < 2 {
		require.True(t, time.Now().Before(deadline), "the run created no keys: %s", stderr.String())
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	time.Sleep(50 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("run did not end after two interrupts")
	}
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "the run was killed: %v", err)
	ws, ok := ee.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled(), "the second interrupt ended the process at once (exit %d): %s", ee.ExitCode(), stderr.String())
	assert.NotContains(t, stderr.String(), "NOT JUDGED", "the process died before its summary")
	assert.Contains(t, stderr.String(), "run id "+runID)
	assert.Contains(t, stderr.String(), "--run-id "+runID)
}
