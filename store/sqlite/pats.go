package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// patColumns is the column list of personal_access_tokens that patDest reads, in order.
const patColumns = `id, user_id, name, token_hash, prefix, scopes, created_at, expires_at,
	last_used_at, last_used_ip, revoked_at, revoke_reason`

// patByHashSQL is a hot path (every request with a PAT): one lookup on the unique token_hash
// index joined to the user by primary key, prepared once per lookup connection (lookup.go). The
// user's columns come first.
const patByHashSQL = `SELECT u.id, u.kind, u.username, u.email, u.email_verified,
	u.display_name, u.avatar_url, u.banner_url, u.description, u.theme, u.font, u.password_hash,
	u.is_admin, u.disabled_at, u.created_at, u.updated_at, u.credentials_changed_at,
	t.id, t.user_id, t.name, t.token_hash, t.prefix, t.scopes, t.created_at, t.expires_at,
	t.last_used_at, t.last_used_ip, t.revoked_at, t.revoke_reason
	FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
	WHERE t.token_hash = ?`

// patDest holds the scan targets of the patColumns.
type patDest struct {
	t                          gatehouse.PersonalAccessToken
	scopes                     string
	created                    int64
	expires, lastUsed, revoked sql.NullInt64
}

func (d *patDest) targets() []any {
	return []any{&d.t.ID, &d.t.UserID, &d.t.Name, &d.t.TokenHash, &d.t.Prefix, &d.scopes, &d.created,
		&d.expires, &d.lastUsed, &d.t.LastUsedIP, &d.revoked, &d.t.RevokeReason}
}

func (d *patDest) token() (*gatehouse.PersonalAccessToken, error) {
	var err error
	if d.t.Scopes, err = decodeList(d.scopes); err != nil {
		return nil, err
	}
	d.t.CreatedAt = fromMillis(d.created)
	d.t.ExpiresAt, d.t.LastUsedAt, d.t.RevokedAt = fromNullMillis(d.expires), fromNullMillis(d.lastUsed), fromNullMillis(d.revoked)
	return &d.t, nil
}

// encodeList stores a list of strings as a JSON array ("[]" for nil).
func encodeList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic("sqlite: encoding a []string cannot fail: " + err.Error())
	}
	return string(b)
}

// decodeList reads a list stored by encodeList; none is an empty, non-nil slice.
func decodeList(s string) ([]string, error) {
	if s == "" || s == "[]" {
		return []string{}, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("sqlite: stored list %.40q: %w", s, err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// errTokenLimit is CreatePAT's answer when the user holds max active tokens already.
func errTokenLimit(max int) error {
	return gatehouse.Errorf(gatehouse.CodeTokenLimitReached,
		"You already have %d active personal access tokens; revoke one first.", max)
}

// CreatePAT inserts t unless its user already holds max (> 0; 0 or less: no limit) tokens
// active at now. It fills an empty ID, a zero CreatedAt (now) and nil Scopes (empty), and
// leaves t's times as stored. The count and the insert share one BEGIN IMMEDIATE transaction:
// the write lock is held from the count on, so parallel creations (in any process) cannot both
// see room for one more.
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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if max > 0 {
			var n int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM personal_access_tokens
				WHERE user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)`,
				t.UserID, millis(now)).Scan(&n)
			if err != nil {
				return mapError(err, "Personal access token")
			}
			if n >= max {
				return errTokenLimit(max)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO personal_access_tokens (`+patColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.UserID, t.Name, t.TokenHash, t.Prefix, encodeList(t.Scopes), millis(t.CreatedAt),
			nullMillis(t.ExpiresAt), nullMillis(t.LastUsedAt), t.LastUsedIP, nullMillis(t.RevokedAt), t.RevokeReason)
		return mapError(err, "User") // the one foreign key is the user
	})
}

// PATByTokenHash returns the token with that hash and its user, whatever the token's state.
func (s *Store) PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error) {
	return s.lookups.patByHash(ctx, hash)
}

// ListPATs returns the user's tokens neither revoked nor expired at now, newest first.
func (s *Store) ListPATs(ctx context.Context, userID string, now time.Time) ([]gatehouse.PersonalAccessToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+patColumns+` FROM personal_access_tokens
		WHERE user_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
		ORDER BY created_at DESC, id DESC`, userID, millis(now))
	if err != nil {
		return nil, mapError(err, "Personal access token")
	}
	defer rows.Close()
	out := []gatehouse.PersonalAccessToken{}
	for rows.Next() {
		var d patDest
		if err := rows.Scan(d.targets()...); err != nil {
			return nil, mapError(err, "Personal access token")
		}
		t, err := d.token()
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Personal access token")
	}
	return out, nil
}

// RevokePAT revokes one not yet revoked token of userID.
func (s *Store) RevokePAT(ctx context.Context, userID, id string, at time.Time, reason string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE personal_access_tokens SET revoked_at = ?, revoke_reason = ?
		WHERE id = ? AND user_id = ? AND revoked_at IS NULL`, millis(at), reason, id, userID)
	return affectedOne(res, err, "Personal access token")
}
