package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// maxTokenHash is the longest token hash a lookup handles (record.MaxTokenHash).
const maxTokenHash = record.MaxTokenHash

// sessionColumns is the column list sessionTargets reads, in order.
const sessionColumns = `id, user_id, token_hash, token_prefix, created_at, expires_at, last_seen_at,
	ip, user_agent, revoked_at, revoke_reason, authenticated_at, amr`

// userJoinColumns are the userColumns of the users row u, first in the token lookups.
const userJoinColumns = `u.id, u.kind, u.username, u.email, u.email_verified,
	u.display_name, u.avatar_url, u.banner_url, u.description, u.theme, u.font, u.password_hash,
	u.is_admin, u.disabled_at, u.created_at, u.updated_at, u.credentials_changed_at`

// sessionByHashSQL is the hot path: one lookup on the unique token_hash index joined to the
// user by primary key. SQLite keeps it prepared in the lookup pool (sqlite_lookup.go), pgx in
// its per-connection statement cache. The user's columns come first.
const sessionByHashSQL = `SELECT ` + userJoinColumns + `,
	s.id, s.user_id, s.token_hash, s.token_prefix, s.created_at, s.expires_at, s.last_seen_at,
	s.ip, s.user_agent, s.revoked_at, s.revoke_reason, s.authenticated_at, s.amr
	FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE s.token_hash = $1`

// sessionTargets returns the scan targets of the sessionColumns of x.
func sessionTargets(x *gatehouse.Session) []any {
	return []any{&x.ID, &x.UserID, &x.TokenHash, &x.TokenPrefix, timeCol{&x.CreatedAt}, timeCol{&x.ExpiresAt},
		timeCol{&x.LastSeenAt}, &x.IP, &x.UserAgent, nullTimeCol{&x.RevokedAt}, &x.RevokeReason,
		timeCol{&x.AuthenticatedAt}, amrCol{&x.AMR}}
}

// CreateSession inserts x. It fills an empty ID, a zero CreatedAt (now) and LastSeenAt
// (CreatedAt), and leaves x's times as stored.
func (s *Store) CreateSession(ctx context.Context, x *gatehouse.Session) error {
	if err := record.CheckTokenHash(x.TokenHash, "session"); err != nil {
		return err
	}
	x.CreatedAt = norm(orNow(x.CreatedAt))
	if x.LastSeenAt.IsZero() {
		x.LastSeenAt = x.CreatedAt
	}
	if x.AuthenticatedAt.IsZero() {
		x.AuthenticatedAt = x.CreatedAt
	}
	x.ExpiresAt, x.LastSeenAt, x.RevokedAt = norm(x.ExpiresAt), norm(x.LastSeenAt), normPtr(x.RevokedAt)
	x.AuthenticatedAt = norm(x.AuthenticatedAt)
	if x.ID == "" {
		x.ID = gatehouse.NewID(gatehouse.PrefixSession, x.CreatedAt, nil)
	}
	_, err := s.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		x.ID, x.UserID, x.TokenHash, x.TokenPrefix, x.CreatedAt, x.ExpiresAt, x.LastSeenAt,
		x.IP, x.UserAgent, x.RevokedAt, x.RevokeReason, x.AuthenticatedAt, gatehouse.FormatAMR(x.AMR))
	return s.d.mapError(err, "User") // the one foreign key is the user
}

// SessionByTokenHash returns the session with that token hash and its user, whatever the
// session's state.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error) {
	if s.sqlite != nil {
		return s.sqlite.lookups.sessionByHash(ctx, hash)
	}
	return s.sessionByHash(ctx, hash)
}

// sessionByHash is SessionByTokenHash through database/sql (PostgreSQL's path; SQLite's too
// without the lookup pool, which BenchmarkSQLiteLookupPool compares it with).
func (s *Store) sessionByHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error) {
	var x gatehouse.Session
	u, err := scanUser(s.read().row(ctx, sessionByHashSQL, hash), sessionTargets(&x)...)
	if err != nil {
		return nil, nil, s.d.mapError(err, "Session")
	}
	return &x, u, nil
}

// ListSessions returns the user's sessions neither revoked nor expired at now, newest first.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]gatehouse.Session, error) {
	rows, err := s.read().query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
		ORDER BY created_at DESC, id DESC`, userID, now)
	return collect(s.d, rows, err, "Session", func(r rowScanner) (gatehouse.Session, error) {
		var x gatehouse.Session
		return x, r.Scan(sessionTargets(&x)...)
	})
}

// TouchSession records the last use of the session.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time, ip string) error {
	return s.execOne(ctx, "Session", `UPDATE sessions SET last_seen_at = $1, ip = $2 WHERE id = $3`, at, ip, id)
}

// ReauthenticateSession records that the person behind the session proved who they are again
// at at, by the methods amr.
func (s *Store) ReauthenticateSession(ctx context.Context, id string, at time.Time, amr []string) error {
	return s.execOne(ctx, "Session", `UPDATE sessions SET authenticated_at = $1, amr = $2 WHERE id = $3 AND revoked_at IS NULL`,
		at, gatehouse.FormatAMR(amr), id)
}

// RevokeSession revokes one not yet revoked session of userID.
func (s *Store) RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, reason string) error {
	return s.execOne(ctx, "Session", `UPDATE sessions SET revoked_at = $1, revoke_reason = $2
		WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL`, at, reason, sessionID, userID)
}

// RevokeUserSessions revokes the user's sessions active at at, but exceptID.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, reason string) (int, error) {
	var n int
	err := s.autocommit(func(w conn) error {
		var err error
		n, err = revokeActive(ctx, w, userID, exceptID, at, reason)
		return err
	})
	return n, err
}

// revokeActive revokes the sessions of userID that are active at at, but exceptID, and returns
// how many.
func revokeActive(ctx context.Context, tx conn, userID, exceptID string, at time.Time, reason string) (int, error) {
	res, err := tx.exec(ctx, `UPDATE sessions SET revoked_at = $1, revoke_reason = $2
		WHERE user_id = $3 AND id <> $4 AND revoked_at IS NULL AND expires_at > $1`,
		at, reason, userID, exceptID)
	if err != nil {
		return 0, tx.d.mapError(err, "Session")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, tx.d.mapError(err, "Session")
	}
	return int(n), nil
}
