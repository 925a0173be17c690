package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
)

// ottColumns is the column list of one_time_tokens that scanOTT reads, in order.
const ottColumns = `id, purpose, user_id, email, token_hash, created_at, expires_at, attempts, used_at`

// scanOTT reads one row of ottColumns.
func scanOTT(row pgx.Row) (*gatehouse.OneTimeToken, error) {
	var t gatehouse.OneTimeToken
	err := row.Scan(&t.ID, &t.Purpose, &t.UserID, &t.Email, &t.TokenHash, &t.CreatedAt, &t.ExpiresAt,
		&t.Attempts, &t.UsedAt)
	if err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), utcPtr(t.UsedAt)
	return &t, nil
}

// CreateOneTimeToken stores t and, in the same transaction, marks used (at t.CreatedAt) every
// earlier unused token of the same user and purpose and enqueues mail (nil: none); on any error
// nothing is stored. The transaction first locks the user's row (FOR NO KEY UPDATE), so parallel
// creations for one user, on any instance, run one after the other and leave one unused token.
// It fills an empty ID and a zero CreatedAt (now) of t, fills mail as EnqueueMail does, and
// leaves their times as stored. An unknown user → not found; an unused token of the purpose with
// the same hash → CodeConflict.
func (s *Store) CreateOneTimeToken(ctx context.Context, t *gatehouse.OneTimeToken, mail *gatehouse.OutboundMail) error {
	if err := record.CheckOneTimeToken(t); err != nil {
		return err
	}
	t.CreatedAt = ts(orNow(t.CreatedAt))
	t.ExpiresAt, t.UsedAt = ts(t.ExpiresAt), tsPtr(t.UsedAt)
	if t.ID == "" {
		t.ID = gatehouse.NewID(gatehouse.PrefixOneTimeToken, t.CreatedAt, nil)
	}
	if mail != nil {
		if err := record.FillMail(mail); err != nil {
			return err
		}
	}
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
		_, err = tx.Exec(ctx, `UPDATE one_time_tokens SET used_at = $3
			WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, t.UserID, t.Purpose, t.CreatedAt)
		if err != nil {
			return mapError(err, "One-time token")
		}
		_, err = tx.Exec(ctx, `INSERT INTO one_time_tokens (`+ottColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			t.ID, t.Purpose, t.UserID, t.Email, t.TokenHash, t.CreatedAt, t.ExpiresAt, t.Attempts, t.UsedAt)
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
// now and returns it. It is one UPDATE ... RETURNING: concurrent consumers, on any instance,
// queue on the row lock, and each after the first re-checks the row, finds it used and updates
// nothing.
func (s *Store) ConsumeOneTimeToken(ctx context.Context, purpose string, hash []byte, now time.Time) (*gatehouse.OneTimeToken, error) {
	t, err := scanOTT(s.pool.QueryRow(ctx, `UPDATE one_time_tokens SET used_at = $4
		WHERE purpose = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > $3
		RETURNING `+ottColumns, purpose, hash, now, ts(now)))
	return t, mapError(err, "One-time token")
}

// ActiveOneTimeToken returns the user's newest token of purpose that is unused and unexpired at
// now.
func (s *Store) ActiveOneTimeToken(ctx context.Context, userID, purpose string, now time.Time) (*gatehouse.OneTimeToken, error) {
	t, err := scanOTT(s.pool.QueryRow(ctx, `SELECT `+ottColumns+` FROM one_time_tokens
		WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID, purpose, now))
	return t, mapError(err, "One-time token")
}

// FailOneTimeToken adds one wrong guess to the token (used or not) and returns the new count, in
// one UPDATE ... RETURNING (concurrent calls queue on the row lock).
func (s *Store) FailOneTimeToken(ctx context.Context, id string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `UPDATE one_time_tokens SET attempts = attempts + 1 WHERE id = $1
		RETURNING attempts`, id).Scan(&n)
	if err != nil {
		return 0, mapError(err, "One-time token")
	}
	return n, nil
}
