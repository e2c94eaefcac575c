package mock_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConcurrentStateChanges races 64 goroutines on the same keys and secrets. Afterwards: exactly one
// of N concurrent cancels (restores) won per resource, nothing answered 5xx, and every final state is
// the one the successful operations give in some serial order (they must alternate, so the counts of
// successful cancels and schedules differ by at most one, in the right direction).
func TestConcurrentStateChanges(t *testing.T) {
	const workers = 64
	e := newEnv(t)
	keys := make([]string, 4)
	for i := range keys {
		keys[i] = e.createKey("alice", fmt.Sprintf("race-%d", i))
		r := e.kms("alice", "schedule-key-deletion", map[string]any{"key_id": keys[i], "pending_days": "7"})
		require.Equal(t, 200, r.Status)
	}
	secrets := []string{"race-a", "race-b", "race-c"}
	for _, s := range secrets {
		e.createSecret("alice", s)
		r := e.csms("alice", http.MethodPost, "/"+s+"/scheduled-deleted-tasks/create", map[string]any{"recovery_window_in_days": 7})
		require.Equal(t, 200, r.Status)
	}

	// Phase 1: everybody cancels / restores everything at once.
	var cancels, restores sync.Map // resource → *atomic.Int64
	count := func(m *sync.Map, k string) *atomic.Int64 {
		v, _ := m.LoadOrStore(k, new(atomic.Int64))
		return v.(*atomic.Int64)
	}
	var fiveXX atomic.Int64
	run := func(f func(w int)) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { f(w) })
		}
		wg.Wait()
	}
	run(func(int) {
		for _, k := range keys {
			r := e.kms("alice", "cancel-key-deletion", map[string]any{"key_id": k})
			if r.Status >= 500 {
				fiveXX.Add(1)
			}
			if r.Status == 200 {
				count(&cancels, k).Add(1)
			}
		}
		for _, s := range secrets {
			r := e.csms("alice", http.MethodPost, "/"+s+"/scheduled-deleted-tasks/cancel", nil)
			if r.Status >= 500 {
				fiveXX.Add(1)
			}
			if r.Status == 200 {
				count(&restores, s).Add(1)
			}
		}
	})
	for _, k := range keys {
		require.EqualValues(t, 1, count(&cancels, k).Load(), "exactly one cancel of %s won", k)
		require.Equal(t, "3", e.keyState(k))
	}
	for _, s := range secrets {
		require.EqualValues(t, 1, count(&restores, s).Load(), "exactly one restore of %s won", s)
		require.Equal(t, "ENABLED", e.secretState("alice", s))
	}

	// Phase 2: a random mix of schedule and cancel (restore) on the same resources.
	var keyOps, secretOps sync.Map // "resource op" → successes
	run(func(w int) {
		rng := rand.New(rand.NewPCG(uint64(w), 1))
		for range 20 {
			k := keys[rng.IntN(len(keys))]
			op := []string{"cancel-key-deletion", "schedule-key-deletion"}[rng.IntN(2)]
			r := e.kms("alice", op, map[string]any{"key_id": k, "pending_days": "7"})
			if r.Status >= 500 {
				fiveXX.Add(1)
			}
			if r.Status == 200 {
				count(&keyOps, k+" "+op).Add(1)
			}
			s := secrets[rng.IntN(len(secrets))]
			sop := []string{"cancel", "create"}[rng.IntN(2)]
			r = e.csms("alice", http.MethodPost, "/"+s+"/scheduled-deleted-tasks/"+sop, map[string]any{"recovery_window_in_days": 7})
			if r.Status >= 500 {
				fiveXX.Add(1)
			}
			if r.Status == 200 {
				count(&secretOps, s+" "+sop).Add(1)
			}
		}
	})
	require.Zero(t, fiveXX.Load(), "no 5xx under contention")
	for _, k := range keys {
		// From "3": schedule, cancel, schedule, ... so #schedule - #cancel is 0 (ends in "3") or 1 ("4").
		diff := count(&keyOps, k+" schedule-key-deletion").Load() - count(&keyOps, k+" cancel-key-deletion").Load()
		require.Contains(t, []int64{0, 1}, diff)
		require.Equal(t, map[int64]string{0: "3", 1: "4"}[diff], e.keyState(k))
	}
	for _, s := range secrets {
		diff := count(&secretOps, s+" create").Load() - count(&secretOps, s+" cancel").Load()
		require.Contains(t, []int64{0, 1}, diff)
		require.Equal(t, map[int64]string{0: "ENABLED", 1: "PENDING_DELETE"}[diff], e.secretState("alice", s))
	}
}
