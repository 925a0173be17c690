// Package clientip finds the address of the client behind a request, believing X-Forwarded-For
// only as far as the configured trusted proxies vouch for it (GATEHOUSE_TRUSTED_PROXIES). The
// result keys per-IP rate limits and is recorded on sessions and audit events.
//
// Contract of Resolver.ClientIP:
//   - The direct peer (Request.RemoteAddr) is the client unless it is inside a trusted prefix.
//     An untrusted peer's X-Forwarded-For is ignored entirely: anyone can send that header.
//   - From a trusted peer, X-Forwarded-For (all its header lines, in order, as one list) is walked
//     from right to left, skipping trusted addresses; the first untrusted address is the client
//     (the rightmost-untrusted rule). Entries left of it were written by the client or by
//     untrusted hops, so a client cannot choose its address by sending its own header.
//   - A malformed or empty entry stops the walk: the last good address (the last trusted hop, or
//     the peer itself) is the client. When every entry is trusted, the leftmost one is.
//   - Entries may carry a port ("203.0.113.7:4711", "[2001:db8::1]:443"). Zones are dropped and
//     IPv4-mapped IPv6 addresses are unmapped, in the peer, the header and the trusted prefixes
//     alike, so ::ffff:10.0.0.1 and 10.0.0.1 are the same address.
//   - When RemoteAddr is not an IP address (e.g. a Unix socket listener) the result is the zero
//     netip.Addr (IsValid false); callers treat all such requests as one client.
package clientip
