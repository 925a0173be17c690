package gatehouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a number of events allowed per period.
type Rate struct {
	Limit  int
	Period time.Duration
}

// ParseRate parses "N/s", "N/m", "N/h" or "N/d" (e.g. "10/m").
func ParseRate(s string) (Rate, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/s, N/m, N/h or N/d", s)
	}
	limit, err := strconv.Atoi(n)
	if err != nil || limit <= 0 {
		return Rate{}, fmt.Errorf("rate %q: the count must be a positive whole number", s)
	}
	periods := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	p, ok := periods[unit]
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: the unit must be s, m, h or d", s)
	}
	return Rate{Limit: limit, Period: p}, nil
}

func (r Rate) String() string {
	units := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h", 24 * time.Hour: "d"}
	if u, ok := units[r.Period]; ok {
		return fmt.Sprintf("%d/%s", r.Limit, u)
	}
	return fmt.Sprintf("%d/%s", r.Limit, r.Period)
}

// RateDecision is the answer of a RateLimiter.
type RateDecision struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration // when !Allowed: how long until the next event would be allowed
}

// RateLimiter counts events per key. Implementations: in-memory (one instance) and Redis (shared
// across instances). Allow must be safe for concurrent use and atomic per key.
type RateLimiter interface {
	Allow(ctx context.Context, key string, rate Rate) (RateDecision, error)
}

// LoginThrottlePolicy is the per-account throttle of failed logins: after Free failures each
// further attempt must wait Base, doubling per failure up to Max. Failures are forgotten after
// Forget without attempts. It never locks an account permanently.
type LoginThrottlePolicy struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// DefaultLoginThrottle allows 5 free failures, then 1s, 2s, 4s ... up to 15 minutes.
var DefaultLoginThrottle = LoginThrottlePolicy{Free: 5, Base: time.Second, Max: 15 * time.Minute, Forget: 24 * time.Hour}

// Delay is how long the next attempt must wait after failures counted failures.
func (p LoginThrottlePolicy) Delay(failures int) time.Duration {
	if failures <= p.Free {
		return 0
	}
	d := p.Base
	for i := p.Free + 1; i < failures; i++ {
		d *= 2
		if d >= p.Max {
			return p.Max
		}
	}
	return min(d, p.Max)
}

// LoginAttempts is the throttle state of one key, as stores keep it.
type LoginAttempts struct {
	Failures     int
	LastAttempt  time.Time // of the last counted failure
	BlockedUntil time.Time
}

// Claim decides one attempt on state a at now, for every store alike: when the key is blocked it
// returns the remaining wait (> 0) and a unchanged; otherwise it counts the attempt as a failure
// (forgetting earlier ones once now reaches LastAttempt+Forget; never when Forget <= 0) and
// returns 0 and the next state. A free attempt never moves BlockedUntil, so claims that reach
// the store slightly out of clock order (parallel requests) are not blocked by each other.
func (p LoginThrottlePolicy) Claim(a LoginAttempts, now time.Time) (time.Duration, LoginAttempts) {
	if now.Before(a.BlockedUntil) {
		return a.BlockedUntil.Sub(now), a
	}
	if p.Forget > 0 && !now.Before(a.LastAttempt.Add(p.Forget)) {
		a.Failures = 0
	}
	a.Failures++
	if now.After(a.LastAttempt) {
		a.LastAttempt = now
	}
	if d := p.Delay(a.Failures); d > 0 {
		a.BlockedUntil = now.Add(d)
	}
	return 0, a
}
