package e2e

import (
	"strings"
	"testing"
	"time"
)

// crossInstanceWindow is how long, by design, a credential change committed through one
// instance may still be served from another instance's credential cache (store/credcache,
// "Between instances"):
//   - SQLite: none. The other instance's change feed reads the file's WAL-index header, which
//     every commit rewrites before it returns, so the very next lookup after the writer's answer
//     misses the cache.
//   - PostgreSQL: the delivery of one notification. The writer's commit makes PostgreSQL notify
//     every listener; the other instance serves its cached entries until its listener has read
//     that notification (asynchronous, typically well under a millisecond on one host). A
//     listener whose connection is lost without an error is found dead, and the cache bypassed,
//     within the feed's heartbeat and ping timeout: 2 s, the bound these tests allow.
//
// The writing instance itself is exact on both: its own writes move the write count its cache
// keys with, before the write's answer.
func crossInstanceWindow(dbURL string) time.Duration {
	if strings.HasPrefix(dbURL, "postgres") {
		return 2 * time.Second
	}
	return 0
}

// seenWithin checks cond (a change made through another instance is visible) until it holds,
// and fails the test when it does not hold within the design's window for dbURL: on SQLite the
// first check must see it. It logs how long it took.
func seenWithin(t *testing.T, dbURL, what string, cond func() bool) {
	t.Helper()
	window := crossInstanceWindow(dbURL)
	start := time.Now()
	for tries := 1; ; tries++ {
		if cond() {
			t.Logf("%s: seen after %v (%d checks; the design's window is %v)", what, time.Since(start), tries, window)
			return
		}
		if time.Since(start) >= window {
			t.Fatalf("%s: not seen after %v (%d checks), beyond the design's window of %v", what, time.Since(start), tries, window)
		}
		time.Sleep(time.Millisecond)
	}
}
