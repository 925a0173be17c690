package memory

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/ratelimit/ratelimittest"
)

// clock is a manual clock for deterministic tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestConformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) gatehouse.RateLimiter { return New(newClock().Now) })
}

func TestConformanceRealClock(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) gatehouse.RateLimiter { return New(nil) })
}

type step struct {
	advance   time.Duration // before the event
	allowed   bool
	remaining int
	retry     time.Duration
}

func TestRefill(t *testing.T) {
	tests := []struct {
		name  string
		rate  gatehouse.Rate
		steps []step
	}{
		{"burst, then one event per interval", gatehouse.Rate{Limit: 3, Period: 3 * time.Second}, []step{
			{0, true, 2, 0}, {0, true, 1, 0}, {0, true, 0, 0},
			{0, false, 0, time.Second},
			{999 * time.Millisecond, false, 0, time.Millisecond},
			{time.Millisecond, true, 0, 0},
			{0, false, 0, time.Second},
			{time.Second, true, 0, 0},
		}},
		{"a full period refills the whole burst", gatehouse.Rate{Limit: 3, Period: 3 * time.Second}, []step{
			{0, true, 2, 0}, {0, true, 1, 0}, {0, true, 0, 0},
			{3 * time.Second, true, 2, 0}, {0, true, 1, 0}, {0, true, 0, 0}, {0, false, 0, time.Second},
		}},
		{"idle time beyond the period does not bank events", gatehouse.Rate{Limit: 2, Period: time.Minute}, []step{
			{0, true, 1, 0},
			{time.Hour, true, 1, 0}, {0, true, 0, 0}, {0, false, 0, 30 * time.Second},
		}},
		{"partial refill", gatehouse.Rate{Limit: 10, Period: time.Minute}, []step{
			{0, true, 9, 0}, {0, true, 8, 0}, {0, true, 7, 0}, {0, true, 6, 0},
			{12 * time.Second, true, 7, 0}, // two intervals back, one spent
			{5 * time.Second, true, 6, 0},
		}},
		{"steady rate at the limit is always allowed", gatehouse.Rate{Limit: 1, Period: 10 * time.Second}, []step{
			{0, true, 0, 0}, {10 * time.Second, true, 0, 0}, {10 * time.Second, true, 0, 0},
			{9 * time.Second, false, 0, time.Second}, {time.Second, true, 0, 0},
		}},
		{"10/m: the 11th waits 6s", gatehouse.Rate{Limit: 10, Period: time.Minute}, []step{
			{0, true, 9, 0}, {0, true, 8, 0}, {0, true, 7, 0}, {0, true, 6, 0}, {0, true, 5, 0},
			{0, true, 4, 0}, {0, true, 3, 0}, {0, true, 2, 0}, {0, true, 1, 0}, {0, true, 0, 0},
			{0, false, 0, 6 * time.Second}, {4 * time.Second, false, 0, 2 * time.Second},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			l := New(c.Now)
			for i, s := range tt.steps {
				c.Advance(s.advance)
				d, err := l.Allow(context.Background(), "k", tt.rate)
				if err != nil {
					t.Fatal(err)
				}
				want := gatehouse.RateDecision{Allowed: s.allowed, Remaining: s.remaining, RetryAfter: s.retry}
				if d != want {
					t.Fatalf("step %d (after +%v): %+v, want %+v", i+1, s.advance, d, want)
				}
			}
		})
	}
}

func TestClockGoingBackwardsDoesNotAllowMore(t *testing.T) {
	c := newClock()
	l := New(c.Now)
	rate := gatehouse.Rate{Limit: 2, Period: time.Minute}
	for range 2 {
		if d, _ := l.Allow(context.Background(), "k", rate); !d.Allowed {
			t.Fatal("burst denied")
		}
	}
	c.Advance(-time.Hour)
	if d, _ := l.Allow(context.Background(), "k", rate); d.Allowed || d.RetryAfter != time.Hour+30*time.Second {
		t.Errorf("after the clock went back an hour: %+v, want denied for 1h30s", d)
	}
}

func TestIdleKeysAreDropped(t *testing.T) {
	c := newClock()
	l := New(c.Now)
	rate := gatehouse.Rate{Limit: 5, Period: 10 * time.Second}
	const keys = 1000
	for i := range keys {
		l.Allow(context.Background(), fmt.Sprintf("k%d", i), rate)
	}
	if n := l.Len(); n != keys {
		t.Fatalf("Len() = %d, want %d", n, keys)
	}
	// Before sweepEvery has passed, nothing is dropped even though every bucket is full again.
	c.Advance(sweepEvery / 2)
	l.Allow(context.Background(), "fresh-0", rate)
	if n := l.Len(); n != keys+1 {
		t.Fatalf("Len() before a sweep = %d, want %d", n, keys+1)
	}
	// After it, the next Allow sweeps its own shard, and only that one.
	c.Advance(sweepEvery / 2)
	inShard := 0
	target := maphash.String(l.seed, "fresh-1") & (shardCount - 1)
	for i := range keys {
		if maphash.String(l.seed, fmt.Sprintf("k%d", i))&(shardCount-1) == target {
			inShard++
		}
	}
	if maphash.String(l.seed, "fresh-0")&(shardCount-1) == target {
		inShard++
	}
	l.Allow(context.Background(), "fresh-1", rate)
	if n, want := l.Len(), keys+1-inShard+1; n != want {
		t.Errorf("Len() after one shard's sweep = %d, want %d (%d keys were in the swept shard)", n, want, inShard)
	}
}

func TestActiveKeysAreKept(t *testing.T) {
	c := newClock()
	l := New(c.Now)
	rate := gatehouse.Rate{Limit: 2, Period: 24 * time.Hour}
	l.Allow(context.Background(), "k", rate)
	l.Allow(context.Background(), "k", rate)
	// Many sweeps later (by time and by size) the key is still limited.
	for i := range 20 * minSweepSize * shardCount / 10 {
		if i%1000 == 0 {
			c.Advance(sweepEvery)
		}
		l.Allow(context.Background(), fmt.Sprintf("other-%d", i), gatehouse.Rate{Limit: 1, Period: time.Millisecond})
	}
	if d, _ := l.Allow(context.Background(), "k", rate); d.Allowed {
		t.Error("a limited key was forgotten by a sweep")
	}
}

func TestMemoryStaysBoundedUnderKeyChurn(t *testing.T) {
	c := newClock()
	l := New(c.Now)
	rate := gatehouse.Rate{Limit: 10, Period: time.Second}
	// 200,000 distinct keys (a spray of source addresses), 100 per 100 ms of clock time: at most
	// 1,000 are within their period at any moment.
	const total, perStep = 200_000, 100
	maxLen := 0
	for i := range total {
		if i%perStep == 0 {
			c.Advance(100 * time.Millisecond)
		}
		l.Allow(context.Background(), fmt.Sprintf("ip-%d", i), rate)
		if i%1000 == 0 {
			maxLen = max(maxLen, l.Len())
		}
	}
	// Bound: per shard, the growth trigger keeps it under 2×max(live, minSweepSize) plus what
	// arrives between sweeps; far below total.
	if limit := shardCount * 2 * minSweepSize * 2; maxLen > limit {
		t.Errorf("the limiter held up to %d keys, want at most %d of %d", maxLen, limit, total)
	}
}

func BenchmarkAllow(b *testing.B) {
	rate := gatehouse.Rate{Limit: 1_000_000, Period: time.Second}
	b.Run("one-key", func(b *testing.B) {
		l := New(nil)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := l.Allow(context.Background(), "203.0.113.7", rate); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("many-keys", func(b *testing.B) {
		l := New(nil)
		keys := make([]string, 4096)
		for i := range keys {
			keys[i] = fmt.Sprintf("login-ip:198.51.%d.%d", i/256, i%256)
		}
		var next sync.Mutex
		start := 0
		b.RunParallel(func(pb *testing.PB) {
			next.Lock()
			i := start
			start += 997
			next.Unlock()
			for pb.Next() {
				if _, err := l.Allow(context.Background(), keys[i%len(keys)], rate); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
}
