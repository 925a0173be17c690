package credcache

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// The OAuth lookups an access token's check and an OAuth client's authentication read on every
// request: the client by ID (found clients only, like the credential lookups) and the access
// token denylist, whose answer is cached whether it is "denied" or "not denied" (see the package
// doc: a jti becomes denied only by an insertion, which every feed announces and which moves this
// cache's write epoch when it goes through this Store).

// OAuthClientByID is the wrapped store's, cached (found clients only).
func (s *Store) OAuthClientByID(ctx context.Context, id string) (*gatehouse.OAuthClient, error) {
	key := keyOAuthClient + id
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyOAuthClient(e.client), nil
	}
	c, err := s.Store.OAuthClientByID(ctx, id)
	if err == nil {
		s.remember(key, v, &entry{client: copyOAuthClient(c)})
	}
	return c, err
}

// AccessTokenDenied is the wrapped store's, cached: both answers, never an error.
func (s *Store) AccessTokenDenied(ctx context.Context, jti string) (bool, error) {
	key := keyDenied + jti
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return e.denied, nil
	}
	denied, err := s.Store.AccessTokenDenied(ctx, jti)
	if err == nil {
		s.remember(key, v, &entry{denied: denied})
	}
	return denied, err
}

// DeleteOAuthClient is the wrapped store's; it invalidates the cache.
func (s *Store) DeleteOAuthClient(ctx context.Context, orgID, id string) error {
	defer s.invalidate(ctx)
	return s.Store.DeleteOAuthClient(ctx, orgID, id)
}

// RotateOAuthClientSecret is the wrapped store's; it invalidates the cache.
func (s *Store) RotateOAuthClientSecret(ctx context.Context, orgID, id string, hash []byte, prefix string, at time.Time) error {
	defer s.invalidate(ctx)
	return s.Store.RotateOAuthClientSecret(ctx, orgID, id, hash, prefix, at)
}

// DenyAccessToken is the wrapped store's; it invalidates the cache. It is the one insertion that
// must: it turns a cached "not denied" into a wrong answer.
func (s *Store) DenyAccessToken(ctx context.Context, jti string, expiresAt time.Time) error {
	defer s.invalidate(ctx)
	return s.Store.DenyAccessToken(ctx, jti, expiresAt)
}

// PruneOAuthGrants is the wrapped store's; it invalidates the cache (expired denylist entries
// go, which turns a cached "denied" into "not denied" for tokens that have expired anyway).
func (s *Store) PruneOAuthGrants(ctx context.Context, cutoff time.Time) (int, error) {
	defer s.invalidate(ctx)
	return s.Store.PruneOAuthGrants(ctx, cutoff)
}
