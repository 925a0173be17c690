package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
)

// patColumns is the column list patTargets reads, in order.
const patColumns = `id, user_id, name, token_hash, prefix, scopes, created_at, expires_at,
	last_used_at, last_used_ip, revoked_at, revoke_reason`

// patByHashSQL is a hot path (every request with a PAT): one lookup on the unique token_hash
// index joined to the user by primary key, prepared once per connection by pgx's statement
// cache. The user's columns come first.
const patByHashSQL = `SELECT u.id, u.kind, u.username, u.email, u.email_verified,
	u.display_name, u.avatar_url, u.banner_url, u.description, u.theme, u.font, u.password_hash,
	u.is_admin, u.disabled_at, u.created_at, u.updated_at, u.credentials_changed_at,
	t.id, t.user_id, t.name, t.token_hash, t.prefix, t.scopes, t.created_at, t.expires_at,
	t.last_used_at, t.last_used_ip, t.revoked_at, t.revoke_reason
	FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
	WHERE t.token_hash = $1`

func patTargets(t *gatehouse.PersonalAccessToken) []any {
	return []any{&t.ID, &t.UserID, &t.Name, &t.TokenHash, &t.Prefix, &t.Scopes, &t.CreatedAt,
		&t.ExpiresAt, &t.LastUsedAt, &t.LastUsedIP, &t.RevokedAt, &t.RevokeReason}
}

// patUTC converts the times of a scanned token to UTC and nil Scopes to empty.
func patUTC(t *gatehouse.PersonalAccessToken) {
	t.Scopes = orEmpty(t.Scopes)
	t.CreatedAt = t.CreatedAt.UTC()
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = utcPtr(t.ExpiresAt), utcPtr(t.LastUsedAt), utcPtr(t.RevokedAt)
}

// orEmpty returns list, or an empty slice for nil.
func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// errTokenLimit is CreatePAT's answer when the user holds max active tokens already.
func errTokenLimit(max int) error {
	return gatehouse.Errorf(gatehouse.CodeTokenLimitReached,
		"You already have %d active personal access tokens; revoke one first.", max)
}

// CreatePAT inserts t unless its user already holds max (> 0; 0 or less: no limit) tokens
// active at now. It fills an empty ID, a zero CreatedAt (now) and nil Scopes (empty), and
// leaves t's times as stored. The transaction first locks the user's row (FOR NO KEY UPDATE,
// which other tables' foreign-key checks do not wait for), so parallel creations for one user,
// on any instance, count and insert one at a time.
func (s *Store) CreatePAT(ctx context.Context, t *gatehouse.PersonalAccessToken, max int, now time.Time) error {
	if err := record.CheckTokenHash(t.TokenHash, "personal access"); err != nil {
		return err
	}
	t.CreatedAt = ts(orNow(t.CreatedAt))
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = tsPtr(t.ExpiresAt), tsPtr(t.LastUsedAt), tsPtr(t.RevokedAt)
	if t.ID == "" {
		t.ID = gatehouse.NewID(gatehouse.PrefixPAT, t.CreatedAt, nil)
	}
	t.Scopes = orEmpty(t.Scopes)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE) u`,
			t.UserID).Scan(&n)
		if err != nil {
			return mapError(err, "User")
		}
		if n == 0 {
			return notFound("User")
		}
		if max > 0 {
			err := tx.QueryRow(ctx, `SELECT count(*) FROM personal_access_tokens
				WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
				t.UserID, now).Scan(&n)
			if err != nil {
				return mapError(err, "Personal access token")
			}
			if n >= max {
				return errTokenLimit(max)
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO personal_access_tokens (`+patColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			t.ID, t.UserID, t.Name, t.TokenHash, t.Prefix, t.Scopes, t.CreatedAt, t.ExpiresAt,
			t.LastUsedAt, t.LastUsedIP, t.RevokedAt, t.RevokeReason)
		return mapError(err, "User") // the one foreign key is the user
	})
}

// PATByTokenHash returns the token with that hash and its user, whatever the token's state.
func (s *Store) PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error) {
	var t gatehouse.PersonalAccessToken
	u, err := scanUser(s.pool.QueryRow(ctx, patByHashSQL, hash), patTargets(&t)...)
	if err != nil {
		return nil, nil, mapError(err, "Personal access token")
	}
	patUTC(&t)
	return &t, u, nil
}

// ListPATs returns the user's tokens neither revoked nor expired at now, newest first.
func (s *Store) ListPATs(ctx context.Context, userID string, now time.Time) ([]gatehouse.PersonalAccessToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+patColumns+` FROM personal_access_tokens
		WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
		ORDER BY created_at DESC, id DESC`, userID, now)
	if err != nil {
		return nil, mapError(err, "Personal access token")
	}
	defer rows.Close()
	out := []gatehouse.PersonalAccessToken{}
	for rows.Next() {
		var t gatehouse.PersonalAccessToken
		if err := rows.Scan(patTargets(&t)...); err != nil {
			return nil, mapError(err, "Personal access token")
		}
		patUTC(&t)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Personal access token")
	}
	return out, nil
}

// RevokePAT revokes one not yet revoked token of userID.
func (s *Store) RevokePAT(ctx context.Context, userID, id string, at time.Time, reason string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE personal_access_tokens SET revoked_at = $1, revoke_reason = $2
		WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL`, ts(at), reason, id, userID)
	if err != nil {
		return mapError(err, "Personal access token")
	}
	if tag.RowsAffected() == 0 {
		return notFound("Personal access token")
	}
	return nil
}
