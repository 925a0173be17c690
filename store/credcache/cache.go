package credcache

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/requestscope"
)

// ChangeFeed tells whether the credential tables may have changed: its generation moves on
// every such change committed by anyone. ok false or an error means it cannot vouch for the
// generation now (its channel is down): the cache is bypassed until it can.
type ChangeFeed interface {
	Generation(ctx context.Context) (gen uint64, ok bool, err error)
}

// Lookups are the lookups the cache holds: what a Cache answers, and what it reads through.
type Lookups interface {
	SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error)
	PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error)
	APIKeyByTokenHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error)
	AgentByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Agent, *gatehouse.User, error)
	AgentByUserID(ctx context.Context, userID string) (*gatehouse.Agent, error)
	UserByID(ctx context.Context, id string) (*gatehouse.User, error)
	OAuthClientByID(ctx context.Context, id string) (*gatehouse.OAuthClient, error)
	AccessTokenDenied(ctx context.Context, jti string) (bool, error)
}

// Source is what the cache reads through: the Lookups, and Writes, the number of writes the
// source has finished so far (store/sqlstore's Store counts every write statement and
// transaction in its one write path, before it answers the write's caller). It is the read side
// only: the cache never sees a write, so no write can bypass it.
type Source interface {
	Lookups
	Writes() uint64
}

// Options bound the cache.
type Options struct {
	MaxEntries int           // at most this many entries; default 100,000
	TTL        time.Duration // an entry older than this is not served; default 30s
}

// Defaults of Options.
const (
	DefaultMaxEntries = 100_000
	DefaultTTL        = 30 * time.Second
)

// Stats counts what the lookups did.
type Stats struct {
	Hits     uint64 // answered from the cache
	Misses   uint64 // went to the store with the feed available (and stored a success)
	Bypasses uint64 // went to the store because the feed was unavailable
	Entries  int    // entries held now
}

// Cache answers the Lookups from memory while they are exact (see the package doc).
type Cache struct {
	src   Source
	feed  ChangeFeed
	table *table

	hits, misses, bypasses atomic.Uint64
}

var _ Lookups = (*Cache)(nil)

// New returns a cache of src's lookups, invalidated through feed and src's Writes. The Cache
// owns feed: Close closes it (when it is an io.Closer); src stays its owner's.
func New(src Source, feed ChangeFeed, o Options) *Cache {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	return &Cache{src: src, feed: feed, table: newTable(o.MaxEntries, o.TTL)}
}

// Stats returns the counters so far.
func (s *Cache) Stats() Stats {
	return Stats{Hits: s.hits.Load(), Misses: s.misses.Load(), Bypasses: s.bypasses.Load(), Entries: s.table.len()}
}

// Close closes the feed.
func (s *Cache) Close() error {
	if c, ok := s.feed.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Keys of the table: one byte naming the lookup, then its argument.
const (
	keySession     = "s"
	keyPAT         = "p"
	keyAPIKey      = "k"
	keyAgentToken  = "a"
	keyAgentByUser = "u"
	keyUser        = "i" // an account by its ID
	keyOAuthClient = "c"
	keyDenied      = "d" // the access token denylist: the argument is a jti
)

// version is what an entry must have been stored under to be served now: the feed's
// generation and the source's write count.
type version struct {
	gen, writes uint64
	ok          bool // false: bypass the cache
}

// scopeKey is the key of this cache's generation in a request's requestscope.Scope.
type scopeKey struct{ s *Cache }

// current reads the source's write count and the feed's generation; it is called before the
// lookup.
// Within one request (a requestscope.Scope in ctx) the feed is asked once, at the first
// lookup, and its generation reused by the request's other lookups: the request is then served
// as of its first lookup, which is exact for a request (it runs concurrently with whatever
// commits meanwhile). The write count is read afresh every time, so the request still sees its
// own writes at once. A failed or unavailable feed is never remembered.
func (s *Cache) current(ctx context.Context) version {
	writes := s.src.Writes()
	scope := requestscope.From(ctx)
	if scope != nil {
		if g, ok := scope.Value(scopeKey{s}); ok {
			return version{gen: g.(uint64), writes: writes, ok: true}
		}
	}
	gen, ok, err := s.feed.Generation(ctx)
	if err != nil || !ok {
		s.bypasses.Add(1)
		return version{}
	}
	if scope != nil {
		scope.SetValue(scopeKey{s}, gen)
	}
	return version{gen: gen, writes: writes, ok: true}
}

// cached returns the entry under key when v allows serving it.
func (s *Cache) cached(key string, v version) *entry {
	if !v.ok {
		return nil
	}
	if e := s.table.get(key, v.gen, v.writes, time.Now()); e != nil {
		s.hits.Add(1)
		return e
	}
	s.misses.Add(1)
	return nil
}

// remember stores e (holding private copies) under key with v.
func (s *Cache) remember(key string, v version, e *entry) {
	if !v.ok {
		return
	}
	e.gen, e.writes, e.stored = v.gen, v.writes, time.Now()
	s.table.put(key, e)
}

// SessionByTokenHash is the source's, cached.
func (s *Cache) SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error) {
	key := keySession + string(hash)
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copySession(e.session), copyUser(e.user), nil
	}
	sess, u, err := s.src.SessionByTokenHash(ctx, hash)
	if err == nil {
		s.remember(key, v, &entry{session: copySession(sess), user: copyUser(u)})
	}
	return sess, u, err
}

// PATByTokenHash is the source's, cached.
func (s *Cache) PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error) {
	key := keyPAT + string(hash)
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyPAT(e.pat), copyUser(e.user), nil
	}
	pat, u, err := s.src.PATByTokenHash(ctx, hash)
	if err == nil {
		s.remember(key, v, &entry{pat: copyPAT(pat), user: copyUser(u)})
	}
	return pat, u, err
}

// APIKeyByTokenHash is the source's, cached.
func (s *Cache) APIKeyByTokenHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error) {
	key := keyAPIKey + string(hash)
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyAPIKey(e.apiKey), nil
	}
	k, err := s.src.APIKeyByTokenHash(ctx, hash)
	if err == nil {
		s.remember(key, v, &entry{apiKey: copyAPIKey(k)})
	}
	return k, err
}

// AgentByTokenHash is the source's, cached.
func (s *Cache) AgentByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Agent, *gatehouse.User, error) {
	key := keyAgentToken + string(hash)
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyAgent(e.agent), copyUser(e.user), nil
	}
	a, u, err := s.src.AgentByTokenHash(ctx, hash)
	if err == nil {
		s.remember(key, v, &entry{agent: copyAgent(a), user: copyUser(u)})
	}
	return a, u, err
}

// UserByID is the source's, cached: an OAuth access token names its user by ID, so every
// JWT bearer check, introspection and refresh reads the account this way.
func (s *Cache) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	key := keyUser + id
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyUser(e.user), nil
	}
	u, err := s.src.UserByID(ctx, id)
	if err == nil {
		s.remember(key, v, &entry{user: copyUser(u)})
	}
	return u, err
}

// AgentByUserID is the source's, cached (an agent session's check reads it).
func (s *Cache) AgentByUserID(ctx context.Context, userID string) (*gatehouse.Agent, error) {
	key := keyAgentByUser + userID
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyAgent(e.agent), nil
	}
	a, err := s.src.AgentByUserID(ctx, userID)
	if err == nil {
		s.remember(key, v, &entry{agent: copyAgent(a)})
	}
	return a, err
}
