package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func throttleTests() []test {
	return []test{
		{"Sequences", testThrottleSequences},
		{"KeysAreIndependent", testThrottleKeys},
		{"ResetUnknownKey", func(t *testing.T, s gatehouse.Store) {
			if err := s.ResetLoginAttempts(t.Context(), "never-seen"); err != nil {
				t.Fatalf("ResetLoginAttempts of an unknown key: %v", err)
			}
		}},
		{"ConcurrentClaims", testThrottleConcurrent},
		{"Prune", testThrottlePrune},
	}
}

func testThrottlePrune(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := gatehouse.LoginThrottlePolicy{Free: 0, Base: time.Hour, Max: time.Hour, Forget: 24 * time.Hour}
	// "old" failed at base (blocked until base+1h); "recent" at base+2h (blocked until +3h).
	for key, at := range map[string]time.Time{"old": base, "recent": base.Add(2 * time.Hour)} {
		if wait, err := s.ClaimLoginAttempt(ctx, key, at, p); err != nil || wait != 0 {
			t.Fatalf("claim %s: %v %v", key, wait, err)
		}
	}
	cases := []struct {
		name   string
		cutoff time.Time
		want   int
	}{
		{"nothing ended before the first block", base.Add(30 * time.Minute), 0},
		{"the old key once its block ended", base.Add(90 * time.Minute), 1},
		{"again: already gone", base.Add(90 * time.Minute), 0},
		{"the recent key while blocked stays", base.Add(150 * time.Minute), 0},
	}
	for _, c := range cases {
		n, err := s.PruneLoginAttempts(ctx, c.cutoff)
		if err != nil || n != c.want {
			t.Fatalf("%s: pruned %d, %v; want %d", c.name, n, err, c.want)
		}
	}
	// The recent key's state survived: it is still blocked.
	if wait, err := s.ClaimLoginAttempt(ctx, "recent", base.Add(150*time.Minute), p); err != nil || wait != 30*time.Minute {
		t.Fatalf("the surviving key lost its block: %v %v", wait, err)
	}
	// The pruned key starts afresh.
	if wait, err := s.ClaimLoginAttempt(ctx, "old", base.Add(150*time.Minute), p); err != nil || wait != 0 {
		t.Fatalf("a pruned key: %v %v", wait, err)
	}
}

// claimStep is one call in a throttle sequence: a claim at base+at expecting wait, or a reset.
type claimStep struct {
	at    time.Duration
	wait  time.Duration
	reset bool
}

func testThrottleSequences(t *testing.T, s gatehouse.Store) {
	ms, sec := time.Millisecond, time.Second
	growing := gatehouse.LoginThrottlePolicy{Free: 2, Base: sec, Max: 4 * sec, Forget: time.Hour}
	forget := gatehouse.LoginThrottlePolicy{Free: 1, Base: sec, Max: sec, Forget: 10 * sec}
	cases := []struct {
		name  string
		p     gatehouse.LoginThrottlePolicy
		steps []claimStep
	}{
		{"free attempts then growing delay up to max", growing, []claimStep{
			{at: 0, wait: 0},               // failure 1, free
			{at: 0, wait: 0},               // failure 2, free
			{at: 0, wait: 0},               // failure 3: blocked until +1s
			{at: 500 * ms, wait: 500 * ms}, // blocked: remaining wait, nothing recorded
			{at: 999 * ms, wait: 1 * ms},   // still blocked
			{at: 1 * sec, wait: 0},         // failure 4: blocked until +3s
			{at: 2 * sec, wait: 1 * sec},   // blocked
			{at: 3 * sec, wait: 0},         // failure 5: blocked until +7s
			{at: 7 * sec, wait: 0},         // failure 6: 8s capped at 4s, until +11s
			{at: 11*sec - ms, wait: ms},    // blocked
			{at: 11 * sec, wait: 0},        // failure 7: still capped, until +15s
			{at: 15 * sec, wait: 0},        // failure 8, until +19s
			{at: 15 * sec, wait: 4 * sec},  // blocked
			{at: 15*sec + 1500*ms, wait: 2500 * ms},
		}},
		{"blocked claims record nothing", growing, []claimStep{
			{at: 0}, {at: 0}, {at: 0}, // failure 3: blocked until +1s
			{at: 100 * ms, wait: 900 * ms},
			{at: 200 * ms, wait: 800 * ms},
			{at: 300 * ms, wait: 700 * ms},
			{at: 1 * sec, wait: 0},       // failure 4 (not 7): 2s
			{at: 1 * sec, wait: 2 * sec}, // blocked until +3s
		}},
		{"reset forgets failures", growing, []claimStep{
			{at: 0}, {at: 0}, {at: 0}, // blocked until +1s
			{at: 10 * ms, wait: 990 * ms},
			{reset: true},
			{at: 20 * ms, wait: 0}, // not blocked any more: failure 1
			{at: 20 * ms, wait: 0}, // failure 2
			{at: 20 * ms, wait: 0}, // failure 3: blocked 1s
			{at: 20 * ms, wait: sec},
		}},
		{"failures kept just before forget", forget, []claimStep{
			{at: 0, wait: 0},             // failure 1, free
			{at: 10*sec - ms, wait: 0},   // failure 2: blocked 1s
			{at: 10*sec - ms, wait: sec}, // so failure 1 was still counted
		}},
		{"failures forgotten after forget", forget, []claimStep{
			{at: 0, wait: 0},        // failure 1, free
			{at: 10 * sec, wait: 0}, // forgotten: failure 1 again, free
			{at: 10 * sec, wait: 0}, // failure 2: blocked 1s
			{at: 10 * sec, wait: sec},
		}},
		{"forget counts from the last failure", forget, []claimStep{
			{at: 0, wait: 0},        // failure 1
			{at: 9 * sec, wait: 0},  // failure 2: blocked until +10s
			{at: 18 * sec, wait: 0}, // 9s after the last failure: failure 3, until +19s
			{at: 18 * sec, wait: sec},
			{at: 29 * sec, wait: 0}, // 11s after the last failure: forgotten, failure 1
			{at: 29 * sec, wait: 0}, // failure 2: blocked 1s
			{at: 29 * sec, wait: sec},
		}},
		{"forget zero never forgets", gatehouse.LoginThrottlePolicy{Free: 1, Base: sec, Max: sec}, []claimStep{
			{at: 0, wait: 0},
			{at: 1000 * time.Hour, wait: 0}, // failure 2: blocked 1s
			{at: 1000 * time.Hour, wait: sec},
		}},
		{"no free attempts", gatehouse.LoginThrottlePolicy{Free: 0, Base: 250 * ms, Max: time.Minute, Forget: time.Hour}, []claimStep{
			{at: 0, wait: 0}, // failure 1: blocked 250ms
			{at: 0, wait: 250 * ms},
			{at: 250 * ms, wait: 0}, // failure 2: 500ms
			{at: 250 * ms, wait: 500 * ms},
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := "user:" + string(rune('a'+i))
			for j, st := range c.steps {
				if st.reset {
					if err := s.ResetLoginAttempts(t.Context(), key); err != nil {
						t.Fatalf("step %d: ResetLoginAttempts: %v", j, err)
					}
					continue
				}
				wait, err := s.ClaimLoginAttempt(t.Context(), key, at(st.at), c.p)
				if err != nil {
					t.Fatalf("step %d: ClaimLoginAttempt: %v", j, err)
				}
				if wait != st.wait {
					t.Fatalf("step %d (at +%v): wait %v, want %v", j, st.at, wait, st.wait)
				}
			}
		})
	}
}

func testThrottleKeys(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	p := gatehouse.LoginThrottlePolicy{Free: 1, Base: time.Minute, Max: time.Hour, Forget: time.Hour}
	for i := 0; i < 2; i++ {
		if _, err := s.ClaimLoginAttempt(ctx, "alice", base, p); err != nil {
			t.Fatalf("ClaimLoginAttempt: %v", err)
		}
	}
	cases := []struct {
		key  string
		want time.Duration
	}{
		{"alice", time.Minute},
		{"bob", 0},
		{"ALICE", 0}, // keys are opaque: callers normalise them
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			wait, err := s.ClaimLoginAttempt(ctx, c.key, base, p)
			if err != nil || wait != c.want {
				t.Fatalf("ClaimLoginAttempt(%s) = %v, %v; want %v", c.key, wait, err, c.want)
			}
		})
	}
	if err := s.ResetLoginAttempts(ctx, "bob"); err != nil {
		t.Fatalf("ResetLoginAttempts: %v", err)
	}
	if wait, err := s.ClaimLoginAttempt(ctx, "alice", base, p); err != nil || wait != time.Minute {
		t.Fatalf("alice after resetting bob: %v, %v; want still blocked", wait, err)
	}
}

// ClaimConcurrently makes n claims on key at the same now in parallel goroutines, spread over
// stores, and returns how many were let through (wait 0) and the waits of the others.
func claimConcurrently(t *testing.T, stores []gatehouse.Store, n int, key string, p gatehouse.LoginThrottlePolicy) (int, []time.Duration) {
	t.Helper()
	var free atomic.Int32
	waits := make([]time.Duration, n)
	parallel(n, func(i int) {
		wait, err := stores[i%len(stores)].ClaimLoginAttempt(t.Context(), key, base, p)
		if err != nil {
			t.Errorf("ClaimLoginAttempt: %v", err)
			return
		}
		waits[i] = wait
		if wait == 0 {
			free.Add(1)
		}
	})
	var blocked []time.Duration
	for _, w := range waits {
		if w != 0 {
			blocked = append(blocked, w)
		}
	}
	return int(free.Load()), blocked
}

// checkConcurrentClaims runs 50 parallel claims with Free=3 and Base=1h at one instant: claims
// 1..3 are free, claim 4 is counted and blocks the key for an hour, claims 5..50 get that wait.
func checkConcurrentClaims(t *testing.T, stores ...gatehouse.Store) {
	t.Helper()
	const n = 50
	p := gatehouse.LoginThrottlePolicy{Free: 3, Base: time.Hour, Max: 24 * time.Hour, Forget: 24 * time.Hour}
	free, waits := claimConcurrently(t, stores, n, "user:contended", p)
	if free != 4 || len(waits) != n-4 {
		t.Fatalf("%d of %d parallel claims got through, want exactly 4 (3 free + the one that blocks)", free, n)
	}
	for _, w := range waits {
		if w != time.Hour {
			t.Fatalf("a blocked claim waits %v, want 1h", w)
		}
	}
	// The count is exactly 4: an hour later the next claim is failure 5 (2h block).
	wait, err := stores[0].ClaimLoginAttempt(t.Context(), "user:contended", base.Add(time.Hour), p)
	if err != nil || wait != 0 {
		t.Fatalf("claim after the block = %v, %v; want 0", wait, err)
	}
	wait, err = stores[0].ClaimLoginAttempt(t.Context(), "user:contended", base.Add(time.Hour), p)
	if err != nil || wait != 2*time.Hour {
		t.Fatalf("next claim waits %v, %v; want 2h (failure 5)", wait, err)
	}
}

func testThrottleConcurrent(t *testing.T, s gatehouse.Store) {
	checkConcurrentClaims(t, s)
}
