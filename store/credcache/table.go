package credcache

import (
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// entry is one cached lookup result. It is never changed once stored: readers copy from it
// outside the lock.
type entry struct {
	gen    uint64    // the feed's generation read before the lookup
	writes uint64    // the source's write count read before the lookup
	stored time.Time // when the entry was stored (monotonic), for the TTL

	user    *gatehouse.User
	session *gatehouse.Session
	pat     *gatehouse.PersonalAccessToken
	apiKey  *gatehouse.APIKey
	agent   *gatehouse.Agent
	client  *gatehouse.OAuthClient
	denied  bool // AccessTokenDenied's answer
}

// table holds the entries by key (a lookup kind byte, then the token hash, user ID, client ID or
// jti). One mutex guards it: every operation is a map access, and copies happen outside the lock.
type table struct {
	mu      sync.Mutex
	entries map[string]*entry
	max     int
	ttl     time.Duration
}

func newTable(max int, ttl time.Duration) *table {
	return &table{entries: make(map[string]*entry), max: max, ttl: ttl}
}

// get returns the entry under key if it was stored under gen and writes less than ttl before
// now; a stale entry is removed.
func (t *table) get(key string, gen, writes uint64, now time.Time) *entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, found := t.entries[key]
	if !found {
		return nil
	}
	if e.gen != gen || e.writes != writes || now.Sub(e.stored) >= t.ttl {
		delete(t.entries, key)
		return nil
	}
	return e
}

// put stores e under key, evicting an arbitrary entry when the table is full.
func (t *table) put(key string, e *entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, key)
	for len(t.entries) >= t.max {
		for k := range t.entries { // Go's map order: an arbitrary victim
			delete(t.entries, k)
			break
		}
	}
	t.entries[key] = e
}

// len is the number of entries held (stale ones included until they are met).
func (t *table) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}
