package mock_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// httpClient talks to a mock over real HTTP (keep-alive), from many goroutines at once. It never
// calls require from a goroutine: failures are collected and checked afterwards.
type httpClient struct {
	base   string
	client *http.Client
	mu     sync.Mutex
	errs   []string // transport errors and 5xx
}

func newHTTPClient(t *testing.T, e *env) *httpClient {
	t.Helper()
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 128}
	t.Cleanup(tr.CloseIdleConnections)
	return &httpClient{base: ts.URL, client: &http.Client{Transport: tr}}
}

func (c *httpClient) do(token, method, path string, body any) (int, map[string]any) {
	var r io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.fail("%s %s: %v", method, path, err)
		return 0, nil
	}
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		c.fail("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		c.fail("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m
}

func (c *httpClient) fail(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

const raceProject = "0123456789abcdef0123456789abcdef" // alice's, bob's

func (c *httpClient) kms(token, op string, body any) (int, map[string]any) {
	return c.do(token, http.MethodPost, "/v1.0/"+raceProject+"/kms/"+op, body)
}

func (c *httpClient) csms(method, suffix string, body any) (int, map[string]any) {
	return c.do("alice-token", method, "/v1/"+raceProject+"/secrets"+suffix, body)
}

// counter counts successes per "resource operation".
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[k]++
}

func (c *counter) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[k]
}

// TestRaceMixedOverHTTP extends TestConcurrentStateChanges to grants and key creation, over real HTTP:
// 64 goroutines race to revoke or retire the same grants (exactly one wins each), then mix
// create-key, schedule/cancel of shared keys, create/revoke/retire of grants on them and
// schedule/restore of shared secrets. Afterwards every resource is in the state the successful calls
// give in some serial order, and nothing answered 5xx.
func TestRaceMixedOverHTTP(t *testing.T) {
	const workers = 64
	e := newEnv(t)
	c := newHTTPClient(t, e)
	keys := make([]string, 3)
	for i := range keys {
		keys[i] = e.createKey("alice", fmt.Sprintf("mixed-%d", i))
	}
	secrets := []string{"mixed-a", "mixed-b"}
	for _, s := range secrets {
		e.createSecret("alice", s)
	}
	grantBody := func(key string) map[string]any {
		return map[string]any{"key_id": key, "grantee_principal": e.id("bob").UserID,
			"operations": []string{"describe-key", "retire-grant"}}
	}
	run := func(f func(w int)) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { f(w) })
		}
		wg.Wait()
	}

	// Phase 1: every worker revokes (alice, the key's creator) or retires (bob, the grantee holding
	// retire-grant) each of the same grants at once: exactly one call wins per grant.
	var first []string
	for i := range 6 {
		first = append(first, e.createGrant("alice", keys[i%len(keys)], grantBody(keys[i%len(keys)])))
	}
	var ends counter
	run(func(w int) {
		for i, g := range first {
			key := keys[i%len(keys)]
			op, token := "revoke-grant", "alice-token"
			if w%2 == 1 {
				op, token = "retire-grant", "bob-token"
			}
			if status, _ := c.kms(token, op, map[string]any{"key_id": key, "grant_id": g}); status == 200 {
				ends.add(g)
			}
		}
	})
	for _, g := range first {
		require.Equal(t, 1, ends.get(g), "exactly one revoke or retire of grant %s won", g)
	}

	// Phase 2: a random mix on the shared resources.
	var ops counter
	var mu sync.Mutex
	var created, grants []string
	grantKey := map[string]string{}
	run(func(w int) {
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		for i := range 12 {
			k := keys[rng.IntN(len(keys))]
			switch rng.IntN(6) {
			case 0:
				if status, m := c.kms("alice-token", "create-key", map[string]any{"key_alias": fmt.Sprintf("new-%d-%d", w, i)}); status == 200 {
					mu.Lock()
					created = append(created, m["key_info"].(map[string]any)["key_id"].(string))
					mu.Unlock()
				}
			case 1:
				op := []string{"schedule-key-deletion", "cancel-key-deletion"}[rng.IntN(2)]
				if status, _ := c.kms("alice-token", op, map[string]any{"key_id": k, "pending_days": "7"}); status == 200 {
					ops.add(k + " " + op)
				}
			case 2:
				if status, m := c.kms("alice-token", "create-grant", grantBody(k)); status == 200 {
					mu.Lock()
					g := m["grant_id"].(string)
					grants = append(grants, g)
					grantKey[g] = k
					mu.Unlock()
				}
			case 3:
				mu.Lock()
				var g string
				if len(grants) > 0 {
					g = grants[rng.IntN(len(grants))]
				}
				mu.Unlock()
				if g == "" {
					continue
				}
				op, token := "revoke-grant", "alice-token"
				if rng.IntN(2) == 1 {
					op, token = "retire-grant", "bob-token"
				}
				mu.Lock()
				key := grantKey[g]
				mu.Unlock()
				if status, _ := c.kms(token, op, map[string]any{"key_id": key, "grant_id": g}); status == 200 {
					ops.add(g + " end")
				}
			default:
				s := secrets[rng.IntN(len(secrets))]
				sop := []string{"cancel", "create"}[rng.IntN(2)]
				if status, _ := c.csms(http.MethodPost, "/"+s+"/scheduled-deleted-tasks/"+sop, map[string]any{"recovery_window_in_days": 7}); status == 200 {
					ops.add(s + " " + sop)
				}
			}
		}
	})
	require.Empty(t, c.errs, "no transport error and no 5xx under contention")

	for _, k := range keys {
		// From "2": schedule, cancel, schedule, ... alternate, so #schedule - #cancel is 0 or 1.
		s, cn := ops.get(k+" schedule-key-deletion"), ops.get(k+" cancel-key-deletion")
		require.Contains(t, []int{0, 1}, s-cn, "key %s: %d schedules, %d cancels", k, s, cn)
		want := "4"
		if s == cn {
			want = map[bool]string{true: "2", false: "3"}[s == 0]
		}
		require.Equal(t, want, e.keyState(k), "key %s", k)
	}
	for _, k := range created {
		require.Equal(t, "2", e.keyState(k), "every created key exists, enabled")
	}
	listed := map[string]bool{}
	for _, k := range keys {
		r := e.kms("alice", "list-grants", map[string]any{"key_id": k})
		require.Equal(t, 200, r.Status)
		for _, g := range r.json(t)["grants"].([]any) {
			listed[g.(map[string]any)["grant_id"].(string)] = true
		}
	}
	for _, g := range first {
		require.False(t, listed[g], "grant %s was revoked or retired", g)
	}
	for _, g := range grants {
		n := ops.get(g + " end")
		require.LessOrEqual(t, n, 1, "grant %s was revoked or retired at most once", g)
		require.Equal(t, n == 0, listed[g], "grant %s is listed exactly when it was not revoked or retired", g)
	}
	for _, s := range secrets {
		d := ops.get(s+" create") - ops.get(s+" cancel")
		require.Contains(t, []int{0, 1}, d, "secret %s", s)
		require.Equal(t, map[int]string{0: "ENABLED", 1: "PENDING_DELETE"}[d], e.secretState("alice", s))
	}
}
