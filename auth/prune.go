package auth

import (
	"context"
	"errors"
)

// PruneExpired deletes state that can no longer matter: login-throttle keys past the policy's
// forget window and the challenges of abandoned ceremonies. The server calls it periodically and
// gets how many rows went.
func (s *Service) PruneExpired(ctx context.Context) (int, error) {
	attempts, errA := s.PruneLoginAttempts(ctx)
	challenges, errC := s.store.PruneChallenges(ctx, s.now())
	return attempts + challenges, errors.Join(errA, errC)
}
