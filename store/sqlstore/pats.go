package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// patColumns is the column list of personal_access_tokens that patTargets reads, in order.
const patColumns = `id, user_id, name, token_hash, prefix, scopes, created_at, expires_at,
	last_used_at, last_used_ip, revoked_at, revoke_reason`

// patByHashSQL is a hot path (every request with a PAT): one lookup on the unique token_hash
// index joined to the user by primary key. The user's columns come first.
const patByHashSQL = `SELECT ` + userJoinColumns + `,
	t.id, t.user_id, t.name, t.token_hash, t.prefix, t.scopes, t.created_at, t.expires_at,
	t.last_used_at, t.last_used_ip, t.revoked_at, t.revoke_reason
	FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
	WHERE t.token_hash = $1`

func patTargets(t *gatehouse.PersonalAccessToken) []any {
	return []any{&t.ID, &t.UserID, &t.Name, &t.TokenHash, &t.Prefix, listCol{&t.Scopes}, timeCol{&t.CreatedAt},
		nullTimeCol{&t.ExpiresAt}, nullTimeCol{&t.LastUsedAt}, &t.LastUsedIP, nullTimeCol{&t.RevokedAt}, &t.RevokeReason}
}

// errTokenLimit is CreatePAT's answer when the user holds max active tokens already.
func errTokenLimit(max int) error {
	return gatehouse.Errorf(gatehouse.CodeTokenLimitReached,
		"You already have %d active personal access tokens; revoke one first.", max)
}

// CreatePAT inserts t unless its user already holds max (> 0; 0 or less: no limit) tokens
// active at now. It fills an empty ID, a zero CreatedAt (now) and nil Scopes (empty), and
// leaves t's times as stored. The count and the insert share one write transaction that first
// locks the user's row (PostgreSQL; SQLite's writer holds the file's write lock), so parallel
// creations (in any process) cannot both see room for one more.
func (s *Store) CreatePAT(ctx context.Context, t *gatehouse.PersonalAccessToken, max int, now time.Time) error {
	if err := record.CheckTokenHash(t.TokenHash, "personal access"); err != nil {
		return err
	}
	t.CreatedAt = norm(orNow(t.CreatedAt))
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = normPtr(t.ExpiresAt), normPtr(t.LastUsedAt), normPtr(t.RevokedAt)
	if t.ID == "" {
		t.ID = gatehouse.NewID(gatehouse.PrefixPAT, t.CreatedAt, nil)
	}
	if t.Scopes == nil {
		t.Scopes = []string{}
	}
	return s.inTx(ctx, func(tx conn) error {
		if max > 0 {
			if err := lockUser(ctx, tx, t.UserID, "User"); err != nil {
				return err
			}
			var n int
			err := tx.row(ctx, `SELECT count(*) FROM personal_access_tokens
				WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
				t.UserID, now).Scan(&n)
			if err != nil {
				return s.d.mapError(err, "Personal access token")
			}
			if n >= max {
				return errTokenLimit(max)
			}
		}
		_, err := tx.exec(ctx, `INSERT INTO personal_access_tokens (`+patColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			t.ID, t.UserID, t.Name, t.TokenHash, t.Prefix, t.Scopes, t.CreatedAt,
			t.ExpiresAt, t.LastUsedAt, t.LastUsedIP, t.RevokedAt, t.RevokeReason)
		return s.d.mapError(err, "User") // the one foreign key is the user
	})
}

// PATByTokenHash returns the token with that hash and its user, whatever the token's state.
func (s *Store) PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error) {
	if s.sqlite != nil {
		return s.sqlite.lookups.patByHash(ctx, hash)
	}
	var t gatehouse.PersonalAccessToken
	u, err := scanUser(s.read().row(ctx, patByHashSQL, hash), patTargets(&t)...)
	if err != nil {
		return nil, nil, s.d.mapError(err, "Personal access token")
	}
	return &t, u, nil
}

// ListPATs returns the user's tokens neither revoked nor expired at now, newest first.
func (s *Store) ListPATs(ctx context.Context, userID string, now time.Time) ([]gatehouse.PersonalAccessToken, error) {
	rows, err := s.read().query(ctx, `SELECT `+patColumns+` FROM personal_access_tokens
		WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
		ORDER BY created_at DESC, id DESC`, userID, now)
	return collect(s.d, rows, err, "Personal access token", func(r rowScanner) (gatehouse.PersonalAccessToken, error) {
		var t gatehouse.PersonalAccessToken
		return t, r.Scan(patTargets(&t)...)
	})
}

// RevokePAT revokes one not yet revoked token of userID.
func (s *Store) RevokePAT(ctx context.Context, userID, id string, at time.Time, reason string) error {
	return s.execOne(ctx, "Personal access token", `UPDATE personal_access_tokens SET revoked_at = $1, revoke_reason = $2
		WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL`, at, reason, id, userID)
}
