package credcache

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// ChangeFeed tells whether the credential tables may have changed: its generation moves on
// every such change committed by anyone. ok false or an error means it cannot vouch for the
// generation now (its channel is down): the cache is bypassed until it can.
type ChangeFeed interface {
	Generation(ctx context.Context) (gen uint64, ok bool, err error)
}

// Fencer is a ChangeFeed whose notifications arrive asynchronously (PostgreSQL's). Fence
// returns once the feed has received every notification of the transactions committed before
// the call (best effort, bounded). The cache calls it after each write that invalidates, so a
// writer's answer follows the delivery of its change to the listeners.
type Fencer interface {
	Fence(ctx context.Context) error
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

// Store is a gatehouse.Store whose credential lookups are cached (see the package doc). Every
// other method is the wrapped store's.
type Store struct {
	gatehouse.Store
	feed  ChangeFeed
	table *table
	epoch atomic.Uint64 // moved after every write through this Store that changes a cached table

	hits, misses, bypasses atomic.Uint64
}

var _ gatehouse.Store = (*Store)(nil)

// New returns store with its credential lookups cached and invalidated through feed. The Store
// owns both: Close closes feed (when it is an io.Closer), then store.
func New(store gatehouse.Store, feed ChangeFeed, o Options) *Store {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	return &Store{Store: store, feed: feed, table: newTable(o.MaxEntries, o.TTL)}
}

// Stats returns the counters so far.
func (s *Store) Stats() Stats {
	return Stats{Hits: s.hits.Load(), Misses: s.misses.Load(), Bypasses: s.bypasses.Load(), Entries: s.table.len()}
}

// Close closes the feed, then the wrapped store.
func (s *Store) Close() error {
	var errs []error
	if c, ok := s.feed.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	errs = append(errs, s.Store.Close())
	return errors.Join(errs...)
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

// version is what an entry must have been stored under to be served now.
type version struct {
	gen, epoch uint64
	ok         bool // false: bypass the cache
}

// scopeKey is the key of this cache's generation in a request's gatehouse.RequestScope.
type scopeKey struct{ s *Store }

// current reads the write epoch and the feed's generation; it is called before the lookup.
// Within one request (a gatehouse.RequestScope in ctx) the feed is asked once, at the first
// lookup, and its generation reused by the request's other lookups: the request is then served
// as of its first lookup, which is exact for a request (it runs concurrently with whatever
// commits meanwhile). The write epoch is read afresh every time, so the request still sees its
// own writes at once. A failed or unavailable feed is never remembered.
func (s *Store) current(ctx context.Context) version {
	epoch := s.epoch.Load()
	scope := gatehouse.RequestScopeFrom(ctx)
	if scope != nil {
		if g, ok := scope.Value(scopeKey{s}); ok {
			return version{gen: g.(uint64), epoch: epoch, ok: true}
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
	return version{gen: gen, epoch: epoch, ok: true}
}

// cached returns the entry under key when v allows serving it.
func (s *Store) cached(key string, v version) *entry {
	if !v.ok {
		return nil
	}
	if e := s.table.get(key, v.gen, v.epoch, time.Now()); e != nil {
		s.hits.Add(1)
		return e
	}
	s.misses.Add(1)
	return nil
}

// remember stores e (holding private copies) under key with v.
func (s *Store) remember(key string, v version, e *entry) {
	if !v.ok {
		return
	}
	e.gen, e.epoch, e.stored = v.gen, v.epoch, time.Now()
	s.table.put(key, e)
}

// SessionByTokenHash is the wrapped store's, cached.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error) {
	key := keySession + string(hash)
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copySession(e.session), copyUser(e.user), nil
	}
	sess, u, err := s.Store.SessionByTokenHash(ctx, hash)
	if err == nil {
		s.remember(key, v, &entry{session: copySession(sess), user: copyUser(u)})
	}
	return sess, u, err
}

// PATByTokenHash is the wrapped store's, cached.
func (s *Store) PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error) {
	key := keyPAT + string(hash)
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyPAT(e.pat), copyUser(e.user), nil
	}
	pat, u, err := s.Store.PATByTokenHash(ctx, hash)
	if err == nil {
		s.remember(key, v, &entry{pat: copyPAT(pat), user: copyUser(u)})
	}
	return pat, u, err
}

// APIKeyByTokenHash is the wrapped store's, cached.
func (s *Store) APIKeyByTokenHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error) {
	key := keyAPIKey + string(hash)
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyAPIKey(e.apiKey), nil
	}
	k, err := s.Store.APIKeyByTokenHash(ctx, hash)
	if err == nil {
		s.remember(key, v, &entry{apiKey: copyAPIKey(k)})
	}
	return k, err
}

// AgentByTokenHash is the wrapped store's, cached.
func (s *Store) AgentByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Agent, *gatehouse.User, error) {
	key := keyAgentToken + string(hash)
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyAgent(e.agent), copyUser(e.user), nil
	}
	a, u, err := s.Store.AgentByTokenHash(ctx, hash)
	if err == nil {
		s.remember(key, v, &entry{agent: copyAgent(a), user: copyUser(u)})
	}
	return a, u, err
}

// UserByID is the wrapped store's, cached: an OAuth access token names its user by ID, so every
// JWT bearer check, introspection and refresh reads the account this way.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	key := keyUser + id
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyUser(e.user), nil
	}
	u, err := s.Store.UserByID(ctx, id)
	if err == nil {
		s.remember(key, v, &entry{user: copyUser(u)})
	}
	return u, err
}

// AgentByUserID is the wrapped store's, cached (an agent session's check reads it).
func (s *Store) AgentByUserID(ctx context.Context, userID string) (*gatehouse.Agent, error) {
	key := keyAgentByUser + userID
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyAgent(e.agent), nil
	}
	a, err := s.Store.AgentByUserID(ctx, userID)
	if err == nil {
		s.remember(key, v, &entry{agent: copyAgent(a)})
	}
	return a, err
}
