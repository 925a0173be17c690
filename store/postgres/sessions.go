package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// sessionColumns is the column list scanSession reads, in order.
const sessionColumns = `id, user_id, token_hash, token_prefix, created_at, expires_at, last_seen_at,
	ip, user_agent, revoked_at, revoke_reason, authenticated_at, amr`

// sessionByHashSQL is the hot path: one lookup on the unique token_hash index joined to the
// user by primary key. pgx prepares it once per connection (its statement cache). The user's
// columns come first.
const sessionByHashSQL = `SELECT u.id, u.kind, u.username, u.email, u.email_verified,
	u.display_name, u.avatar_url, u.banner_url, u.description, u.theme, u.font, u.password_hash,
	u.is_admin, u.disabled_at, u.created_at, u.updated_at, u.credentials_changed_at,
	s.id, s.user_id, s.token_hash, s.token_prefix, s.created_at, s.expires_at, s.last_seen_at,
	s.ip, s.user_agent, s.revoked_at, s.revoke_reason, s.authenticated_at, s.amr
	FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE s.token_hash = $1`

// sessionTargets returns the scan targets of the sessionColumns of x.
func sessionTargets(x *gatehouse.Session) []any {
	return []any{&x.ID, &x.UserID, &x.TokenHash, &x.TokenPrefix, &x.CreatedAt, &x.ExpiresAt,
		&x.LastSeenAt, &x.IP, &x.UserAgent, &x.RevokedAt, &x.RevokeReason, &x.AuthenticatedAt, (*amrColumn)(&x.AMR)}
}

// sessionUTC converts the times of a scanned session to UTC.
func sessionUTC(x *gatehouse.Session) {
	x.CreatedAt, x.ExpiresAt, x.LastSeenAt = x.CreatedAt.UTC(), x.ExpiresAt.UTC(), x.LastSeenAt.UTC()
	x.RevokedAt = utcPtr(x.RevokedAt)
	x.AuthenticatedAt = x.AuthenticatedAt.UTC()
}

// amrColumn scans the space-separated amr column into a list.
type amrColumn []string

// Scan implements sql.Scanner (pgx scans a text column into it).
func (a *amrColumn) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*a = gatehouse.ParseAMR(v)
	case []byte:
		*a = gatehouse.ParseAMR(string(v))
	case nil:
		*a = nil
	default:
		return fmt.Errorf("amr: cannot scan %T", src)
	}
	return nil
}

// CreateSession inserts x. It fills an empty ID, a zero CreatedAt (now) and LastSeenAt
// (CreatedAt), and leaves x's times as stored.
func (s *Store) CreateSession(ctx context.Context, x *gatehouse.Session) error {
	if err := record.CheckTokenHash(x.TokenHash, "session"); err != nil {
		return err
	}
	x.CreatedAt = ts(orNow(x.CreatedAt))
	if x.LastSeenAt.IsZero() {
		x.LastSeenAt = x.CreatedAt
	}
	if x.AuthenticatedAt.IsZero() {
		x.AuthenticatedAt = x.CreatedAt
	}
	x.ExpiresAt, x.LastSeenAt, x.RevokedAt = ts(x.ExpiresAt), ts(x.LastSeenAt), tsPtr(x.RevokedAt)
	x.AuthenticatedAt = ts(x.AuthenticatedAt)
	if x.ID == "" {
		x.ID = gatehouse.NewID(gatehouse.PrefixSession, x.CreatedAt, nil)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		x.ID, x.UserID, x.TokenHash, x.TokenPrefix, x.CreatedAt, x.ExpiresAt, x.LastSeenAt,
		x.IP, x.UserAgent, x.RevokedAt, x.RevokeReason, x.AuthenticatedAt, gatehouse.FormatAMR(x.AMR))
	return mapError(err, "User") // the one foreign key is the user
}

// SessionByTokenHash returns the session with that token hash and its user, whatever the
// session's state.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Session, *gatehouse.User, error) {
	var x gatehouse.Session
	u, err := scanUser(s.pool.QueryRow(ctx, sessionByHashSQL, hash), sessionTargets(&x)...)
	if err != nil {
		return nil, nil, mapError(err, "Session")
	}
	sessionUTC(&x)
	return &x, u, nil
}

// ListSessions returns the user's sessions neither revoked nor expired at now, newest first.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]gatehouse.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
		ORDER BY created_at DESC, id DESC`, userID, now)
	if err != nil {
		return nil, mapError(err, "Session")
	}
	defer rows.Close()
	out := []gatehouse.Session{}
	for rows.Next() {
		var x gatehouse.Session
		if err := rows.Scan(sessionTargets(&x)...); err != nil {
			return nil, mapError(err, "Session")
		}
		sessionUTC(&x)
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Session")
	}
	return out, nil
}

// TouchSession records the last use of the session.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time, ip string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $1, ip = $2 WHERE id = $3`, ts(at), ip, id)
	if err != nil {
		return mapError(err, "Session")
	}
	if tag.RowsAffected() == 0 {
		return notFound("Session")
	}
	return nil
}

// ReauthenticateSession records that the person behind the session proved who they are again
// at at, by the methods amr.
func (s *Store) ReauthenticateSession(ctx context.Context, id string, at time.Time, amr []string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET authenticated_at = $1, amr = $2 WHERE id = $3 AND revoked_at IS NULL`,
		ts(at), gatehouse.FormatAMR(amr), id)
	if err != nil {
		return mapError(err, "Session")
	}
	if tag.RowsAffected() == 0 {
		return notFound("Session")
	}
	return nil
}

// RevokeSession revokes one not yet revoked session of userID.
func (s *Store) RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, reason string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET revoked_at = $1, revoke_reason = $2
		WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL`, ts(at), reason, sessionID, userID)
	if err != nil {
		return mapError(err, "Session")
	}
	if tag.RowsAffected() == 0 {
		return notFound("Session")
	}
	return nil
}

// RevokeUserSessions revokes the user's sessions active at at, but exceptID.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, reason string) (int, error) {
	return revokeActive(ctx, s.pool, userID, exceptID, at, reason)
}

// revokeActive revokes the sessions of userID that are active at at, but exceptID, and returns
// how many.
func revokeActive(ctx context.Context, db querier, userID, exceptID string, at time.Time, reason string) (int, error) {
	tag, err := db.Exec(ctx, `UPDATE sessions SET revoked_at = $1, revoke_reason = $2
		WHERE user_id = $3 AND id <> $4 AND revoked_at IS NULL AND expires_at > $5`,
		ts(at), reason, userID, exceptID, at)
	if err != nil {
		return 0, mapError(err, "Session")
	}
	return int(tag.RowsAffected()), nil
}
