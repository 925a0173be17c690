package oauth

import (
	"crypto/sha256"
	"sync"
)

// An ES256 signature check costs about 0.1 ms of CPU on the project's machine — more than the
// rest of an introspection together — and resource servers present the same access token again
// and again for its lifetime. So the verifier remembers, per token, that its signature checked
// out: verifiedTokens maps the SHA-256 of the whole compact JWS (header, claims and signature:
// another byte anywhere is another key) to the kid that signed it and its decoded claims.
//
// Only the signature check (with the alg binding of the kid's key) and the decoding are skipped
// on a hit. Everything that can change is checked on every call, as for a fresh token: the kid
// must still be published (a retired key's tokens fail at once), the claims' issuer, audience,
// not-before, issued-at and expiry against the clock, and the denylist in the store. A token
// that failed verification is never remembered.
//
// The map is bounded (maxVerifiedTokens entries); when full, an arbitrary entry (Go's map
// order) is dropped per insertion, so a workload of more distinct tokens only loses speed.

// maxVerifiedTokens bounds verifiedTokens (an entry is about 0.3 KB).
const maxVerifiedTokens = 16384

// verifiedToken is what a successful signature check established.
type verifiedToken struct {
	kid    string
	claims accessClaims
}

// verifiedTokens is the cache described above; the zero value is ready to use.
type verifiedTokens struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]verifiedToken
}

func (c *verifiedTokens) get(sum [sha256.Size]byte) (verifiedToken, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[sum]
	return v, ok
}

func (c *verifiedTokens) put(sum [sha256.Size]byte, v verifiedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[[sha256.Size]byte]verifiedToken)
	}
	if _, ok := c.m[sum]; !ok && len(c.m) >= maxVerifiedTokens {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[sum] = v
}

func (c *verifiedTokens) drop(sum [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, sum)
}
