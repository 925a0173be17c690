package auth

import (
	"context"
	"errors"
)

// PruneExpired deletes state that can no longer matter: login-throttle keys past the policy's
// forget window, the challenges of abandoned ceremonies, and OAuth grants that can no longer be
// used (expired codes, device flows, denylisted access tokens past their expiry, expired refresh
// tokens). The server calls it periodically and gets how many rows went.
func (s *Service) PruneExpired(ctx context.Context) (int, error) {
	now := s.now()
	attempts, errA := s.PruneLoginAttempts(ctx)
	challenges, errC := s.store.PruneChallenges(ctx, now)
	grants, errG := s.store.PruneOAuthGrants(ctx, now)
	return attempts + challenges + grants, errors.Join(errA, errC, errG)
}
