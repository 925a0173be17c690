// Package redis is the gatehouse.RateLimiter shared by every Gatehouse instance that uses the same
// Redis: the GCRA of package ratelimit run by one Lua script per event, so each decision is
// atomic on the Redis server and the clock is the server's (TIME), not the instances'.
//
// Contract:
//   - One string key per limited key, prefix+key, holding the theoretical arrival time in
//     microseconds of Redis server time, with a TTL that ends when the bucket is full again: idle
//     keys vanish by themselves, exactly when forgetting them changes nothing.
//   - Allow answers like package memory (same algorithm, microsecond resolution) and passes the
//     ratelimittest suite.
//   - When Redis cannot be reached, Allow returns an error that is a *gatehouse.Error with
//     CodeUnavailable (the HTTP layer answers 503 with Retry-After) and that also wraps the driver
//     error for the logs; a cancelled context gives the context's error instead. The decision to
//     fail open or closed is the caller's.
//   - Open parses a redis:// or rediss:// URL and pings the server; its errors never contain the
//     URL's password.
package redis
