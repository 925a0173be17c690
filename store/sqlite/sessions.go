package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// maxTokenHash is the longest token hash a lookup handles (record.MaxTokenHash).
const maxTokenHash = record.MaxTokenHash

// sessionColumns is the column list scanSession reads, in order.
const sessionColumns = `id, user_id, token_hash, token_prefix, created_at, expires_at, last_seen_at,
	ip, user_agent, revoked_at, revoke_reason, authenticated_at, amr`

// sessionByHashSQL is the hot path: one lookup on the unique token_hash index joined to the
// user by primary key, prepared once per connection of the lookup pool (lookup.go). The
// user's columns come first.
const sessionByHashSQL = `SELECT u.id, u.kind, u.username, u.email, u.email_verified,
	u.display_name, u.avatar_url, u.banner_url, u.description, u.theme, u.font, u.password_hash,
	u.is_admin, u.disabled_at, u.created_at, u.updated_at, u.credentials_changed_at,
	s.id, s.user_id, s.token_hash, s.token_prefix, s.created_at, s.expires_at, s.last_seen_at,
	s.ip, s.user_agent, s.revoked_at, s.revoke_reason, s.authenticated_at, s.amr
	FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE s.token_hash = ?`

// sessionDest holds the scan targets of the sessionColumns.
type sessionDest struct {
	s                          gatehouse.Session
	created, expires, lastSeen int64
	revoked                    sql.NullInt64
	authAt                     int64
	amr                        string
}

func (d *sessionDest) targets() []any {
	return []any{&d.s.ID, &d.s.UserID, &d.s.TokenHash, &d.s.TokenPrefix, &d.created, &d.expires,
		&d.lastSeen, &d.s.IP, &d.s.UserAgent, &d.revoked, &d.s.RevokeReason, &d.authAt, &d.amr}
}

func (d *sessionDest) session() *gatehouse.Session {
	d.s.CreatedAt, d.s.ExpiresAt, d.s.LastSeenAt = fromMillis(d.created), fromMillis(d.expires), fromMillis(d.lastSeen)
	d.s.RevokedAt = fromNullMillis(d.revoked)
	d.s.AuthenticatedAt, d.s.AMR = fromMillis(d.authAt), gatehouse.ParseAMR(d.amr)
	return &d.s
}

// CreateSession inserts s. It fills an empty ID, a zero CreatedAt (now) and LastSeenAt
// (CreatedAt), and leaves s's times as stored.
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
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.UserID, x.TokenHash, x.TokenPrefix, millis(x.CreatedAt), millis(x.ExpiresAt),
		millis(x.LastSeenAt), x.IP, x.UserAgent, nullMillis(x.RevokedAt), x.RevokeReason,
		millis(x.AuthenticatedAt), gatehouse.FormatAMR(x.AMR))
	return mapError(err, "User")
}

// SessionByTokenHash returns the session with that token hash and its user, whatever the
// session's state.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error) {
	return s.lookups.sessionByHash(ctx, hash)
}

// ListSessions returns the user's sessions neither revoked nor expired at now, newest first.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]gatehouse.Session, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC`, userID, millis(now))
	if err != nil {
		return nil, mapError(err, "Session")
	}
	defer rows.Close()
	out := []gatehouse.Session{}
	for rows.Next() {
		var d sessionDest
		if err := rows.Scan(d.targets()...); err != nil {
			return nil, mapError(err, "Session")
		}
		out = append(out, *d.session())
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Session")
	}
	return out, nil
}

// TouchSession records the last use of the session.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time, ip string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, ip = ? WHERE id = ?`, millis(at), ip, id)
	return affectedOne(res, err, "Session")
}

// ReauthenticateSession records that the person behind the session proved who they are again
// at at, by the methods amr.
func (s *Store) ReauthenticateSession(ctx context.Context, id string, at time.Time, amr []string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET authenticated_at = ?, amr = ? WHERE id = ? AND revoked_at IS NULL`,
		millis(norm(at)), gatehouse.FormatAMR(amr), id)
	return affectedOne(res, err, "Session")
}

// RevokeSession revokes one not yet revoked session of userID.
func (s *Store) RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, reason string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoke_reason = ?
		WHERE id = ? AND user_id = ? AND revoked_at IS NULL`, millis(at), reason, sessionID, userID)
	return affectedOne(res, err, "Session")
}

// RevokeUserSessions revokes the user's sessions active at at, but exceptID.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, reason string) (int, error) {
	return revokeActive(ctx, s.w, userID, exceptID, at, reason)
}

// execer is a *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// revokeActive revokes the sessions of userID that are active at at, but exceptID, and returns
// how many.
func revokeActive(ctx context.Context, db execer, userID, exceptID string, at time.Time, reason string) (int, error) {
	res, err := db.ExecContext(ctx, `UPDATE sessions SET revoked_at = ?, revoke_reason = ?
		WHERE user_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ?`,
		millis(at), reason, userID, exceptID, millis(at))
	if err != nil {
		return 0, mapError(err, "Session")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapError(err, "Session")
	}
	return int(n), nil
}
