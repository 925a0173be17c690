package memory

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/ratelimit"
)

const (
	shardCount = 64 // a power of two
	// sweepEvery is the clock time after which a shard drops its idle keys on its next Allow.
	sweepEvery = time.Minute
	// minSweepSize is the smallest shard size that triggers a sweep by growth.
	minSweepSize = 256
)

// Limiter is an in-memory GCRA rate limiter. Use New; the zero value is not usable.
type Limiter struct {
	now    func() time.Time
	origin time.Time // the clock's first reading; times are kept as durations since it
	seed   maphash.Seed
	shards [shardCount]shard
}

type shard struct {
	mu        sync.Mutex
	tat       map[string]time.Duration // theoretical arrival time per key, since origin
	nextSweep time.Duration            // sweep on the next Allow at or after this time
	sweepSize int                      // ... or when the map reaches this size
	_         [64]byte                 // keep hot shards on separate cache lines
}

var _ gatehouse.RateLimiter = (*Limiter)(nil)

// New returns a Limiter reading the time from now (nil: time.Now).
func New(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now, origin: now(), seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].tat = make(map[string]time.Duration)
		l.shards[i].nextSweep = sweepEvery
		l.shards[i].sweepSize = minSweepSize
	}
	return l
}

// Allow counts one event for key under rate. It returns an error only for an invalid rate
// (wrapping ratelimit.ErrInvalidRate); ctx is not used.
func (l *Limiter) Allow(_ context.Context, key string, rate gatehouse.Rate) (gatehouse.RateDecision, error) {
	interval, burst, err := ratelimit.Interval(rate, time.Nanosecond)
	if err != nil {
		return gatehouse.RateDecision{}, err
	}
	s := &l.shards[maphash.String(l.seed, key)&(shardCount-1)]
	s.mu.Lock()
	defer s.mu.Unlock()
	now := l.now().Sub(l.origin)
	if now >= s.nextSweep || len(s.tat) >= s.sweepSize {
		s.sweep(now)
	}
	tat, ok := s.tat[key]
	if !ok || tat < now {
		tat = now
	}
	next := tat + interval
	if allowAt := next - burst; allowAt > now {
		return gatehouse.RateDecision{Allowed: false, Remaining: 0, RetryAfter: allowAt - now}, nil
	}
	s.tat[key] = next
	return gatehouse.RateDecision{Allowed: true, Remaining: int((now + burst - next) / interval)}, nil
}

// sweep drops the keys whose bucket is full again at now (their state equals a fresh key's).
func (s *shard) sweep(now time.Duration) {
	for k, tat := range s.tat {
		if tat <= now {
			delete(s.tat, k)
		}
	}
	s.nextSweep = now + sweepEvery
	s.sweepSize = max(2*len(s.tat), minSweepSize)
}

// Len returns the number of keys the limiter holds state for (for metrics and tests).
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}
