package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/credcache"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

// CachedStore is the store auth and oauth get when the credential cache is on: the lookups
// store/credcache holds go through the cache, everything else, every write included, straight
// to the SQL store. The cache never sees a write: it keys its entries with the SQL store's
// write count (sqlstore.Store.Writes, moved by the store's one write path) and its change feed,
// so no write, present or future, can bypass its invalidation.
type CachedStore struct {
	*sqlstore.Store
	Cache *credcache.Cache
}

// NewCachedStore opens s's change feed and caches s's lookups. Closing the CachedStore closes
// the cache (and its feed), then s.
func NewCachedStore(ctx context.Context, s *sqlstore.Store) (*CachedStore, error) {
	feed, err := s.ChangeFeed(ctx)
	if err != nil {
		return nil, fmt.Errorf("open the %s change feed: %w", s.Dialect(), err)
	}
	return &CachedStore{Store: s, Cache: credcache.New(s, feed, credcache.Options{})}, nil
}

var _ gatehouse.Store = (*CachedStore)(nil)

// Close closes the cache, then the store.
func (c *CachedStore) Close() error { return errors.Join(c.Cache.Close(), c.Store.Close()) }

// SessionByTokenHash is the cache's.
func (c *CachedStore) SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error) {
	return c.Cache.SessionByTokenHash(ctx, hash)
}

// PATByTokenHash is the cache's.
func (c *CachedStore) PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error) {
	return c.Cache.PATByTokenHash(ctx, hash)
}

// APIKeyByTokenHash is the cache's.
func (c *CachedStore) APIKeyByTokenHash(ctx context.Context, hash []byte) (*gatehouse.APIKey, error) {
	return c.Cache.APIKeyByTokenHash(ctx, hash)
}

// AgentByTokenHash is the cache's.
func (c *CachedStore) AgentByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Agent, *gatehouse.User, error) {
	return c.Cache.AgentByTokenHash(ctx, hash)
}

// AgentByUserID is the cache's.
func (c *CachedStore) AgentByUserID(ctx context.Context, userID string) (*gatehouse.Agent, error) {
	return c.Cache.AgentByUserID(ctx, userID)
}

// UserByID is the cache's.
func (c *CachedStore) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	return c.Cache.UserByID(ctx, id)
}

// OAuthClientByID is the cache's.
func (c *CachedStore) OAuthClientByID(ctx context.Context, id string) (*gatehouse.OAuthClient, error) {
	return c.Cache.OAuthClientByID(ctx, id)
}

// AccessTokenDenied is the cache's.
func (c *CachedStore) AccessTokenDenied(ctx context.Context, jti string) (bool, error) {
	return c.Cache.AccessTokenDenied(ctx, jti)
}
