package credcache

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// The writes below change rows the cached lookups return. Each moves the write epoch once the
// wrapped store has returned — whatever it returned: a failed commit may still have committed —
// so that no entry stored before is served again by this instance, without waiting for the
// feed. Inserts need nothing, since only found rows are cached — except the one insertion that
// turns a cached answer false: DenyAccessToken (oauth.go), whose "not denied" is cached. Usage
// batches (RecordCredentialUses) change nothing a decision reads. The OAuth writes are in oauth.go.

// invalidate moves the write epoch, then waits for the feed to observe the write (Fencer).
// Errors of the fence are ignored: the write is done, and this instance is already exact.
func (s *Store) invalidate(ctx context.Context) {
	s.epoch.Add(1)
	if f, ok := s.feed.(Fencer); ok {
		_ = f.Fence(ctx)
	}
}

// UpdateUser is the wrapped store's; it invalidates the cache.
func (s *Store) UpdateUser(ctx context.Context, id string, upd gatehouse.UserUpdate) (*gatehouse.User, error) {
	defer s.invalidate(ctx)
	return s.Store.UpdateUser(ctx, id, upd)
}

// SetPassword is the wrapped store's; it invalidates the cache.
func (s *Store) SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error {
	defer s.invalidate(ctx)
	return s.Store.SetPassword(ctx, id, hash, at, revokeSessions)
}

// DeleteUser is the wrapped store's; it invalidates the cache.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	defer s.invalidate(ctx)
	return s.Store.DeleteUser(ctx, id)
}

// TouchSession is the wrapped store's; it drops the session's cached entry (its last-seen time
// changed, which the PostgreSQL feed does not announce).
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time, ip string) error {
	defer s.table.dropSession(id)
	return s.Store.TouchSession(ctx, id, at, ip)
}

// ReauthenticateSession is the wrapped store's; it invalidates the cache (the session's
// authentication time decides sensitive actions).
func (s *Store) ReauthenticateSession(ctx context.Context, id string, at time.Time, amr []string) error {
	defer s.invalidate(ctx)
	return s.Store.ReauthenticateSession(ctx, id, at, amr)
}

// RevokeSession is the wrapped store's; it invalidates the cache.
func (s *Store) RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, reason string) error {
	defer s.invalidate(ctx)
	return s.Store.RevokeSession(ctx, userID, sessionID, at, reason)
}

// RevokeUserSessions is the wrapped store's; it invalidates the cache.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, reason string) (int, error) {
	defer s.invalidate(ctx)
	return s.Store.RevokeUserSessions(ctx, userID, exceptID, at, reason)
}

// RevokePAT is the wrapped store's; it invalidates the cache.
func (s *Store) RevokePAT(ctx context.Context, userID, id string, at time.Time, reason string) error {
	defer s.invalidate(ctx)
	return s.Store.RevokePAT(ctx, userID, id, at, reason)
}

// RevokeAPIKey is the wrapped store's; it invalidates the cache.
func (s *Store) RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time, reason string) error {
	defer s.invalidate(ctx)
	return s.Store.RevokeAPIKey(ctx, orgID, id, at, reason)
}

// RotateAPIKey is the wrapped store's; it invalidates the cache (the old key's expiry changes).
func (s *Store) RotateAPIKey(ctx context.Context, orgID, oldID string, next *gatehouse.APIKey, oldExpiresAt time.Time) error {
	defer s.invalidate(ctx)
	return s.Store.RotateAPIKey(ctx, orgID, oldID, next, oldExpiresAt)
}

// VerifyAgent is the wrapped store's; it invalidates the cache.
func (s *Store) VerifyAgent(ctx context.Context, id, ownerID string, at time.Time) error {
	defer s.invalidate(ctx)
	return s.Store.VerifyAgent(ctx, id, ownerID, at)
}

// RotateAgentToken is the wrapped store's; it invalidates the cache.
func (s *Store) RotateAgentToken(ctx context.Context, id, ownerID string, hash []byte, prefix string, at time.Time) error {
	defer s.invalidate(ctx)
	return s.Store.RotateAgentToken(ctx, id, ownerID, hash, prefix, at)
}

// TransferAgent is the wrapped store's; it invalidates the cache (the old token's entry and the
// agent's sessions must not be served again).
func (s *Store) TransferAgent(ctx context.Context, id, ownerID, newOwnerID string, hash []byte, prefix string, at time.Time) error {
	defer s.invalidate(ctx)
	return s.Store.TransferAgent(ctx, id, ownerID, newOwnerID, hash, prefix, at)
}

// DeleteAgent is the wrapped store's; it invalidates the cache.
func (s *Store) DeleteAgent(ctx context.Context, id, ownerID string) error {
	defer s.invalidate(ctx)
	return s.Store.DeleteAgent(ctx, id, ownerID)
}
