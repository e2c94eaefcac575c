package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

	"github.com/dewconform/dewconform/mock"
	"github.com/dewconform/dewconform/openapi"
)

// helperArgsEnv carries the arguments of a "dewconform" process played by this test binary: the tests
// below need a real process to SIGKILL, and re-running the test binary is faster than building one.
const helperArgsEnv = "DEWCONFORM_TEST_HELPER_ARGS"

// TestHelperProcess is not a test: it is main() for the processes the tests below start.
func TestHelperProcess(t *testing.T) {
	raw := os.Getenv(helperArgsEnv)
	if raw == "" {
		t.Skip("only a helper process for the serve tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		os.Exit(99)
	}
	ctx, stop := interruptible() // as main: a second signal ends the process at once
	code := run(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type serveProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	done   chan error
}

// startServeProc starts "dewconform serve --addr 127.0.0.1:0 args..." as its own process and waits for
// its URL. It is killed when the test ends if it still runs.
func startServeProc(t *testing.T, args ...string) *serveProc {
	t.Helper()
	all, err := json.Marshal(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperArgsEnv+"="+string(all))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	p := &serveProc{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	require.NoError(t, cmd.Start())
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	select {
	case line, ok := <-lines:
		require.True(t, ok, "serve printed no URL: %s", p.stderr.String())
		p.url = strings.TrimSpace(line)
	case <-time.After(20 * time.Second):
		t.Fatalf("serve printed no URL: %s", p.stderr.String())
	}
	return p
}

// signal sends sig and returns the exit code.
func (p *serveProc) signal(t *testing.T, sig os.Signal) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		require.NoError(t, err)
		return 0
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not end")
		return -1
	}
}

// callAPI calls the mock as alice and returns the decoded 200 answer.
func callAPI(t *testing.T, method, url, body string) map[string]any {
	t.Helper()
	var out map[string]any
	api(t, method, url, body, &out)
	return out
}

// TestServeStateSurvivesSIGKILLAndSIGTERM: a mock killed with SIGKILL comes back with the state of its
// last periodic write (key material included: an old ciphertext decrypts; a secret's value reads), the
// state file is whole at every moment it is read; SIGTERM writes the state on the way out, and a
// corrupt state file stops the start and is left as it is.
func TestServeStateSurvivesSIGKILLAndSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "mock-state.json")
	p := startServeProc(t, "--state", path, "--state-interval", "100ms", "--quiet")
	fi, err := os.Stat(path)
	require.NoError(t, err, "the state is written at once")
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	created := callAPI(t, http.MethodPost, p.url+"/v1.0/"+aliceProject+"/kms/create-key", `{"key_alias":"survivor"}`)
	keyID := created["key_info"].(map[string]any)["key_id"].(string)
	ct := callAPI(t, http.MethodPost, p.url+"/v1.0/"+aliceProject+"/kms/encrypt-data",
		`{"key_id":"`+keyID+`","plain_text":"across a crash"}`)["cipher_text"].(string)
	api(t, http.MethodPost, p.url+"/v1/"+aliceProject+"/secrets", `{"name":"kept","secret_string":"still-here"}`, nil)

	// Read the file as often as possible while the mock writes it: every read is a whole state, until
	// one holds the secret (it was created last).
	deadline := time.Now().Add(10 * time.Second)
	reads := 0
	for {
		st, err := mock.ReadStateFile(path)
		require.NoError(t, err, "read %d: the state file is never half-written", reads)
		reads++
		if hasSecret(st, "kept") {
			break
		}
		require.True(t, time.Now().Before(deadline), "the periodic write did not come")
	}
	assert.Equal(t, -1, p.signal(t, syscall.SIGKILL), "killed")
	_, err = mock.ReadStateFile(path)
	require.NoError(t, err)
	// A write cut by the kill leaves its temporary file; the next start removes it.
	stale := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-123")
	require.NoError(t, os.WriteFile(stale, []byte("half"), 0o600))

	// Restart on the same file with a long interval: only a graceful stop can write what happens now.
	p = startServeProc(t, "--state", path, "--state-interval", "1h", "--log-level", "warn")
	dec := callAPI(t, http.MethodPost, p.url+"/v1.0/"+aliceProject+"/kms/decrypt-data", `{"cipher_text":"`+ct+`"}`)
	assert.Equal(t, "across a crash", dec["plain_text"], "the key material came back")
	v := callAPI(t, http.MethodGet, p.url+"/v1/"+aliceProject+"/secrets/kept/versions/latest", "")
	assert.Equal(t, "still-here", v["version"].(map[string]any)["secret_string"])
	callAPI(t, http.MethodPost, p.url+"/v1.0/"+aliceProject+"/kms/create-key", `{"key_alias":"after-restart"}`)
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(before), "after-restart", "not written before the stop")
	assert.Equal(t, 0, p.signal(t, syscall.SIGTERM))
	assert.Contains(t, p.stderr.String(), "stopped")
	assert.NotContains(t, p.stderr.String(), "still-here", "secret values are never logged")
	st, err := mock.ReadStateFile(path)
	require.NoError(t, err)
	assert.True(t, hasKey(st, "after-restart"), "written on the graceful stop")
	assert.True(t, hasKey(st, "survivor"))
	_, err = os.Stat(stale)
	assert.ErrorIs(t, err, os.ErrNotExist, "the stale temporary file was removed")

	// A damaged file stops the start, with a message, and stays as it was.
	damaged := before[:len(before)/2]
	require.NoError(t, os.WriteFile(path, damaged, 0o600))
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--state", path}, &out, &errb)
	assert.Equal(t, exitNotJudge, code)
	assert.Contains(t, errb.String(), "corrupt or truncated")
	assert.Contains(t, errb.String(), "left as it is")
	assert.Empty(t, out.String(), "it did not start")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, damaged, after, "the refused file is untouched")
}

func hasKey(st *mock.State, alias string) bool {
	for _, k := range st.Keys {
		if k.Alias == alias {
			return true
		}
	}
	return false
}

func hasSecret(st *mock.State, name string) bool {
	for _, s := range st.Secrets {
		if s.Name == name {
			return true
		}
	}
	return false
}

// TestServeSeedOnlyOnFirstStart: with --state, --seed applies when the file does not exist yet; at the
// next start the state (which holds the seeded key, now disabled) wins: the key is neither re-created
// nor reset to the seed's state.
func TestServeSeedOnlyOnFirstStart(t *testing.T) {
	dir := t.TempDir()
	path, seed := filepath.Join(dir, "state.json"), filepath.Join(dir, "seed.yaml")
	require.NoError(t, os.WriteFile(seed, []byte("keys:\n  - owner: alice\n    alias: seeded\n"), 0o600))
	url, stop := startServeCtxErr(t, io.Discard, "--state", path, "--seed", seed)
	keys, _ := states(t, url)
	require.Equal(t, "2", keys["seeded"])
	var id string
	for _, k := range callAPI(t, http.MethodPost, url+"/v1.0/"+aliceProject+"/kms/list-keys", `{}`)["keys"].([]any) {
		id = k.(string)
	}
	api(t, http.MethodPost, url+"/v1.0/"+aliceProject+"/kms/disable-key", `{"key_id":"`+id+`"}`, nil)
	stop()

	url, _ = startServeCtxErr(t, io.Discard, "--state", path, "--seed", seed)
	keys, _ = states(t, url)
	assert.Equal(t, map[string]string{"seeded": "3"}, keys)
}

// TestServeLogLevelAndQuotas: request lines are info; --log-level warn and --quiet drop them; quotas are
// flags, and a bad level or interval is a usage error.
func TestServeLogLevelAndQuotas(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		lines bool
	}{{nil, true}, {[]string{"--log-level", "warn"}, false}, {[]string{"--quiet"}, false}, {[]string{"--log-level", "debug"}, true}} {
		var errb syncBuffer
		url, stop := startServeCtxErr(t, &errb, tc.args...)
		api(t, http.MethodPost, url+"/v1.0/"+aliceProject+"/kms/list-keys", `{}`, nil)
		stop()
		assert.Equal(t, tc.lines, strings.Contains(errb.String(), "msg=request"), "%q: %s", tc.args, errb.String())
	}

	url, _ := startServe(t, "--key-quota", "2", "--secret-quota", "1")
	api(t, http.MethodPost, url+"/v1.0/"+aliceProject+"/kms/create-key", `{"key_alias":"q1"}`, nil)
	api(t, http.MethodPost, url+"/v1/"+aliceProject+"/secrets", `{"name":"s1","secret_string":"v"}`, nil) // + csms/default
	assert.Equal(t, "KMS.1105", apiCode(t, url+"/v1.0/"+aliceProject+"/kms/create-key", `{"key_alias":"q3"}`))
	assert.Equal(t, "CSMS.0202", apiCode(t, url+"/v1/"+aliceProject+"/secrets", `{"name":"s2","secret_string":"v"}`))

	for _, args := range [][]string{
		{"--log-level", "loud"},
		{"--state-interval", "0s", "--state", filepath.Join(t.TempDir(), "s.json")},
		{"--key-quota", "-1"},
		{"--state", filepath.Join(t.TempDir(), "no-such-dir", "s.json")},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &out, &errb)
		assert.Equal(t, exitNotJudge, code, "%q", args)
		assert.NotEmpty(t, errb.String(), "%q", args)
	}
}

// apiCode posts body as alice and returns the error code of the refusal.
func apiCode(t *testing.T, url, body string) string {
	t.Helper()
	_, data := aliceCall(t, http.MethodPost, url, body)
	return openapi.ErrorCode(data)
}

// startServeCtxErr runs serve in-process with stderr to errw; stop ends it (also at the test's end).
func startServeCtxErr(t *testing.T, errw io.Writer, args ...string) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), out, errw) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code, "serve shuts down gracefully")
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if line, err := bufio.NewReader(strings.NewReader(out.String())).ReadString('\n'); err == nil {
			return strings.TrimSpace(line), stop
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("serve printed no URL")
	return "", stop
}
