package credcache

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// SetCredentialsChangedAt is the wrapped store's; it invalidates the cache (a cached user's
// CredentialsChangedAt decides its access tokens).
func (s *Store) SetCredentialsChangedAt(ctx context.Context, userID string, at time.Time) error {
	defer s.invalidate(ctx)
	return s.Store.SetCredentialsChangedAt(ctx, userID, at)
}

// ClaimAccount is the wrapped store's; it invalidates the cache (sessions, PATs, agents and the
// user change).
func (s *Store) ClaimAccount(ctx context.Context, c gatehouse.AccountClaim) (gatehouse.ClaimCounts, error) {
	defer s.invalidate(ctx)
	return s.Store.ClaimAccount(ctx, c)
}
