package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// ottColumns is the column list of one_time_tokens that ottDest reads, in order.
const ottColumns = `id, purpose, user_id, email, token_hash, created_at, expires_at, attempts, used_at`

// ottDest holds the scan targets of the ottColumns.
type ottDest struct {
	t                gatehouse.OneTimeToken
	created, expires int64
	used             sql.NullInt64
}

func (d *ottDest) targets() []any {
	return []any{&d.t.ID, &d.t.Purpose, &d.t.UserID, &d.t.Email, &d.t.TokenHash, &d.created,
		&d.expires, &d.t.Attempts, &d.used}
}

func (d *ottDest) token() *gatehouse.OneTimeToken {
	d.t.CreatedAt, d.t.ExpiresAt, d.t.UsedAt = fromMillis(d.created), fromMillis(d.expires), fromNullMillis(d.used)
	return &d.t
}

// scanOTT reads one row of ottColumns.
func scanOTT(row rowScanner) (*gatehouse.OneTimeToken, error) {
	var d ottDest
	if err := row.Scan(d.targets()...); err != nil {
		return nil, err
	}
	return d.token(), nil
}

// CreateOneTimeToken stores t and, in the same BEGIN IMMEDIATE transaction, marks used (at
// t.CreatedAt) every earlier unused token of the same user and purpose and enqueues mail (nil:
// none); on any error nothing is stored. It fills an empty ID and a zero CreatedAt (now) of t,
// fills mail as EnqueueMail does, and leaves their times as stored. An unknown user → not found;
// an unused token of the purpose with the same hash → CodeConflict.
func (s *Store) CreateOneTimeToken(ctx context.Context, t *gatehouse.OneTimeToken, mail *gatehouse.OutboundMail) error {
	if err := record.CheckOneTimeToken(t); err != nil {
		return err
	}
	t.CreatedAt = norm(orNow(t.CreatedAt))
	t.ExpiresAt, t.UsedAt = norm(t.ExpiresAt), normPtr(t.UsedAt)
	if t.ID == "" {
		t.ID = gatehouse.NewID(gatehouse.PrefixOneTimeToken, t.CreatedAt, nil)
	}
	if mail != nil {
		if err := record.FillMail(mail); err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE one_time_tokens SET used_at = ?
			WHERE user_id = ? AND purpose = ? AND used_at IS NULL`, millis(t.CreatedAt), t.UserID, t.Purpose)
		if err != nil {
			return mapError(err, "One-time token")
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO one_time_tokens (`+ottColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Purpose, t.UserID, t.Email, t.TokenHash, millis(t.CreatedAt), millis(t.ExpiresAt),
			t.Attempts, nullMillis(t.UsedAt))
		if err != nil {
			return mapError(err, "User") // the one foreign key is the user
		}
		if mail != nil {
			return insertMail(ctx, tx, mail)
		}
		return nil
	})
}

// ConsumeOneTimeToken marks the unused token of purpose with that hash, unexpired at now, used at
// now and returns it. It is one UPDATE ... RETURNING on the writer: of concurrent consumers (in
// any process) exactly one finds the token unused.
func (s *Store) ConsumeOneTimeToken(ctx context.Context, purpose string, hash []byte, now time.Time) (*gatehouse.OneTimeToken, error) {
	t, err := scanOTT(s.w.QueryRowContext(ctx, `UPDATE one_time_tokens SET used_at = ?
		WHERE purpose = ? AND token_hash = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+ottColumns, millis(now), purpose, hash, millis(now)))
	return t, mapError(err, "One-time token")
}

// ActiveOneTimeToken returns the user's newest token of purpose that is unused and unexpired at
// now.
func (s *Store) ActiveOneTimeToken(ctx context.Context, userID, purpose string, now time.Time) (*gatehouse.OneTimeToken, error) {
	t, err := scanOTT(s.r.QueryRowContext(ctx, `SELECT `+ottColumns+` FROM one_time_tokens
		WHERE user_id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID, purpose, millis(now)))
	return t, mapError(err, "One-time token")
}

// FailOneTimeToken adds one wrong guess to the token (used or not) and returns the new count, in
// one UPDATE ... RETURNING.
func (s *Store) FailOneTimeToken(ctx context.Context, id string) (int, error) {
	var n int
	err := s.w.QueryRowContext(ctx, `UPDATE one_time_tokens SET attempts = attempts + 1 WHERE id = ?
		RETURNING attempts`, id).Scan(&n)
	if err != nil {
		return 0, mapError(err, "One-time token")
	}
	return n, nil
}
