// Package ratelimittest is the conformance suite of gatehouse.RateLimiter implementations, in the
// style of dex's storage tests: each implementation's tests call Run with a constructor.
//
// The suite checks only properties that do not depend on time passing (it uses rates of hours
// and days, so the few milliseconds a test takes cannot refill a bucket): the burst of Limit
// events, Remaining counting down, denial with 0 < RetryAfter <= the emission interval, denied
// events not extending the wait, independent keys, atomicity under concurrency, and the
// rejection of invalid rates. Refill over time is tested by each implementation (memory with an
// injected clock).
//
// newLimiter must return a limiter with no state shared with earlier calls (a fresh memory
// limiter, or a Redis limiter with a new key prefix) and register its own cleanup.
package ratelimittest
