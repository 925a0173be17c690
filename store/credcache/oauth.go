package credcache

import (
	"context"

	"github.com/gatehouse-auth/gatehouse"
)

// The OAuth lookups an access token's check and an OAuth client's authentication read on every
// request: the client by ID (found clients only, like the credential lookups) and the access
// token denylist, whose answer is cached whether it is "denied" or "not denied" (see the package
// doc: a jti becomes denied only by an insertion, which every feed announces and which moves the
// source's write count when it is the source's own).

// OAuthClientByID is the source's, cached (found clients only).
func (s *Cache) OAuthClientByID(ctx context.Context, id string) (*gatehouse.OAuthClient, error) {
	key := keyOAuthClient + id
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return copyOAuthClient(e.client), nil
	}
	c, err := s.src.OAuthClientByID(ctx, id)
	if err == nil {
		s.remember(key, v, &entry{client: copyOAuthClient(c)})
	}
	return c, err
}

// AccessTokenDenied is the source's, cached: both answers, never an error.
func (s *Cache) AccessTokenDenied(ctx context.Context, jti string) (bool, error) {
	key := keyDenied + jti
	v := s.current(ctx)
	if e := s.cached(key, v); e != nil {
		return e.denied, nil
	}
	denied, err := s.src.AccessTokenDenied(ctx, jti)
	if err == nil {
		s.remember(key, v, &entry{denied: denied})
	}
	return denied, err
}
