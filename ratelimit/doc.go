// Package ratelimit holds what the implementations of gatehouse.RateLimiter share: the checks on
// a gatehouse.Rate and the algorithm they all run. The implementations are in the subpackages:
// memory (one instance) and redis (shared by every instance that uses the same Redis), and
// ratelimittest is the conformance suite both pass.
//
// The algorithm is GCRA (the generic cell rate algorithm, a token bucket kept as one timestamp
// per key): a key may spend Rate.Limit events at once (the burst), and regains one event every
// Rate.Period/Rate.Limit (the emission interval). Per key the only state is the theoretical
// arrival time (TAT): the time at which the bucket will be full again. An event at now is allowed
// when TAT + interval - burst <= now, where burst = Limit × interval; TAT then becomes
// max(TAT, now) + interval. A denied event changes nothing, so hammering a limited key does not
// extend its wait. A key whose TAT has passed is indistinguishable from a key never seen, so
// state can be dropped exactly when it goes idle: memory and Redis use stay bounded by the keys
// active within one period.
//
// Contract of every implementation:
//   - Allow is safe for concurrent use and atomic per key: of N concurrent events on a fresh key
//     with Limit L exactly min(N, L) are allowed.
//   - Allowed decisions report Remaining, the events still allowed right now (Limit-1 after the
//     first event on a fresh key, 0 after the last); denied decisions report Remaining 0 and the
//     exact RetryAfter, 0 < RetryAfter <= Period, until the next event would be allowed
//     (rounding up to whole seconds for the Retry-After header is the HTTP layer's job).
//   - A Rate with Limit <= 0 or Period <= 0 is an error wrapping ErrInvalidRate.
//   - The same key used with different rates shares one TAT; callers put the purpose in the key
//     ("login-ip:203.0.113.7") so that one key has one rate.
package ratelimit
