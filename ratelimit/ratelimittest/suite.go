package ratelimittest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/ratelimit"
)

// Run runs the conformance suite, one subtest per property, each on a new limiter.
func Run(t *testing.T, newLimiter func(t *testing.T) gatehouse.RateLimiter) {
	tests := []struct {
		name string
		run  func(t *testing.T, l gatehouse.RateLimiter)
	}{
		{"BurstThenDenied", testBurstThenDenied},
		{"LimitOfOne", testLimitOfOne},
		{"LargeBurst", testLargeBurst},
		{"DeniedEventsDoNotExtendTheWait", testDeniedEventsDoNotExtendTheWait},
		{"KeysAreIndependent", testKeysAreIndependent},
		{"ConcurrentEventsOnOneKey", testConcurrentEventsOnOneKey},
		{"ConcurrentEventsOnManyKeys", testConcurrentEventsOnManyKeys},
		{"InvalidRates", testInvalidRates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newLimiter(t))
		})
	}
}

func allow(t *testing.T, l gatehouse.RateLimiter, key string, rate gatehouse.Rate) gatehouse.RateDecision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, rate)
	if err != nil {
		t.Fatalf("Allow(%q, %v): %v", key, rate, err)
	}
	return d
}

// checkDenied checks a denial: Remaining 0 and 0 < RetryAfter <= the emission interval, and more
// than half of it (the test runs in far less than Period/Limit/2).
func checkDenied(t *testing.T, d gatehouse.RateDecision, rate gatehouse.Rate, what string) {
	t.Helper()
	interval := rate.Period / time.Duration(rate.Limit)
	if d.Allowed {
		t.Fatalf("%s: allowed (%+v), want denied", what, d)
	}
	if d.Remaining != 0 {
		t.Errorf("%s: Remaining = %d, want 0", what, d.Remaining)
	}
	if d.RetryAfter <= interval/2 || d.RetryAfter > interval || d.RetryAfter > rate.Period {
		t.Errorf("%s: RetryAfter = %v, want in (%v, %v]", what, d.RetryAfter, interval/2, interval)
	}
}

func testBurstThenDenied(t *testing.T, l gatehouse.RateLimiter) {
	rate := gatehouse.Rate{Limit: 5, Period: time.Hour}
	for i := range rate.Limit {
		d := allow(t, l, "203.0.113.7", rate)
		if !d.Allowed || d.Remaining != rate.Limit-1-i || d.RetryAfter != 0 {
			t.Fatalf("event %d: %+v, want allowed with Remaining %d and no RetryAfter", i+1, d, rate.Limit-1-i)
		}
	}
	checkDenied(t, allow(t, l, "203.0.113.7", rate), rate, "event 6")
}

func testLimitOfOne(t *testing.T, l gatehouse.RateLimiter) {
	rate := gatehouse.Rate{Limit: 1, Period: 24 * time.Hour}
	if d := allow(t, l, "k", rate); !d.Allowed || d.Remaining != 0 {
		t.Fatalf("first event: %+v, want allowed with Remaining 0", d)
	}
	checkDenied(t, allow(t, l, "k", rate), rate, "second event")
}

func testLargeBurst(t *testing.T, l gatehouse.RateLimiter) {
	rate := gatehouse.Rate{Limit: 500, Period: 24 * time.Hour}
	for i := range rate.Limit {
		if d := allow(t, l, "k", rate); !d.Allowed || d.Remaining != rate.Limit-1-i {
			t.Fatalf("event %d: %+v, want allowed with Remaining %d", i+1, d, rate.Limit-1-i)
		}
	}
	checkDenied(t, allow(t, l, "k", rate), rate, "event 501")
}

func testDeniedEventsDoNotExtendTheWait(t *testing.T, l gatehouse.RateLimiter) {
	rate := gatehouse.Rate{Limit: 2, Period: time.Hour}
	allow(t, l, "k", rate)
	allow(t, l, "k", rate)
	first := allow(t, l, "k", rate)
	checkDenied(t, first, rate, "first denial")
	for i := range 20 {
		d := allow(t, l, "k", rate)
		checkDenied(t, d, rate, fmt.Sprintf("denial %d", i+2))
		if d.RetryAfter > first.RetryAfter {
			t.Fatalf("denial %d: RetryAfter %v grew beyond the first denial's %v", i+2, d.RetryAfter, first.RetryAfter)
		}
	}
}

func testKeysAreIndependent(t *testing.T, l gatehouse.RateLimiter) {
	rate := gatehouse.Rate{Limit: 3, Period: time.Hour}
	keys := []string{"login-ip:203.0.113.7", "login-ip:203.0.113.8", "login-ip:2001:db8::1", "", "Ünïcødé key", strings.Repeat("long", 256)}
	for _, key := range keys {
		for i := range rate.Limit {
			if d := allow(t, l, key, rate); !d.Allowed || d.Remaining != rate.Limit-1-i {
				t.Fatalf("key %.20q event %d: %+v, want allowed with Remaining %d", key, i+1, d, rate.Limit-1-i)
			}
		}
		checkDenied(t, allow(t, l, key, rate), rate, fmt.Sprintf("key %.20q event 4", key))
	}
	// The first key is still limited after the others were used.
	checkDenied(t, allow(t, l, keys[0], rate), rate, "first key again")
}

func testConcurrentEventsOnOneKey(t *testing.T, l gatehouse.RateLimiter) {
	rate := gatehouse.Rate{Limit: 10, Period: time.Hour}
	decisions := concurrently(t, l, 100, func(int) string { return "hot" }, rate)
	var remaining []int
	for _, d := range decisions {
		if d.Allowed {
			remaining = append(remaining, d.Remaining)
		} else {
			checkDenied(t, d, rate, "concurrent denial")
		}
	}
	slices.Sort(remaining)
	want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	if !slices.Equal(remaining, want) {
		t.Errorf("%d of 100 concurrent events allowed with Remaining %v, want exactly 10 with %v", len(remaining), remaining, want)
	}
}

func testConcurrentEventsOnManyKeys(t *testing.T, l gatehouse.RateLimiter) {
	rate := gatehouse.Rate{Limit: 4, Period: time.Hour}
	const keys, perKey = 16, 10
	decisions := concurrently(t, l, keys*perKey, func(i int) string { return fmt.Sprintf("key-%d", i%keys) }, rate)
	allowed := map[string]int{}
	for i, d := range decisions {
		if d.Allowed {
			allowed[fmt.Sprintf("key-%d", i%keys)]++
		}
	}
	for k := range keys {
		key := fmt.Sprintf("key-%d", k)
		if allowed[key] != rate.Limit {
			t.Errorf("%s: %d of %d concurrent events allowed, want %d", key, allowed[key], perKey, rate.Limit)
		}
	}
}

// concurrently runs n Allow calls at once, released together, and returns their decisions.
func concurrently(t *testing.T, l gatehouse.RateLimiter, n int, key func(i int) string, rate gatehouse.Rate) []gatehouse.RateDecision {
	t.Helper()
	decisions := make([]gatehouse.RateDecision, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			decisions[i], errs[i] = l.Allow(context.Background(), key(i), rate)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Allow: %v", err)
	}
	return decisions
}

func testInvalidRates(t *testing.T, l gatehouse.RateLimiter) {
	for _, rate := range []gatehouse.Rate{{}, {Limit: 0, Period: time.Minute}, {Limit: -3, Period: time.Minute}, {Limit: 5}, {Limit: 5, Period: -time.Second}} {
		d, err := l.Allow(context.Background(), "k", rate)
		if !errors.Is(err, ratelimit.ErrInvalidRate) {
			t.Errorf("Allow with %+v = %+v, %v; want an error wrapping ratelimit.ErrInvalidRate", rate, d, err)
		}
		if d.Allowed {
			t.Errorf("Allow with %+v allowed the event", rate)
		}
	}
}
