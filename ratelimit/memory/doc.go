// Package memory is the in-process gatehouse.RateLimiter: GCRA (see package ratelimit) with one
// timestamp per key in a sharded map. Limits hold within one process only; several instances need
// package ratelimit/redis.
//
// Contract:
//   - New's clock is the only time source (nil means time.Now), so tests that advance an injected
//     clock are deterministic. Elapsed time is measured from the first reading, so a real clock's
//     monotonic reading makes the limiter immune to wall-clock jumps.
//   - Allow is safe for concurrent use and atomic per key; it never blocks on I/O and never fails
//     except for an invalid rate.
//   - Memory is bounded without a background goroutine: a key whose bucket is full again is
//     dropped (exactly: its state then equals a fresh key's). Each shard sweeps its idle keys
//     during an Allow once a minute of clock time has passed since its last sweep, or once it has
//     doubled in size since then, so sweeping costs amortised O(1) per call and nothing needs to
//     be closed.
package memory
