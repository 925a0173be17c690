package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// ottColumns is the column list of one_time_tokens that ottDest reads, in order.
const ottColumns = `id, purpose, user_id, email, token_hash, created_at, expires_at, attempts, used_at`

// scanOTT reads one row of ottColumns.
func scanOTT(row rowScanner) (*gatehouse.OneTimeToken, error) {
	var t gatehouse.OneTimeToken
	if err := row.Scan(&t.ID, &t.Purpose, &t.UserID, &t.Email, &t.TokenHash, timeCol{&t.CreatedAt},
		timeCol{&t.ExpiresAt}, &t.Attempts, nullTimeCol{&t.UsedAt}); err != nil {
		return nil, err
	}
	return &t, nil
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
	return s.inTx(ctx, func(tx conn) error {
		if err := lockUser(ctx, tx, t.UserID, "User"); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE one_time_tokens SET used_at = $1
			WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL`, t.CreatedAt, t.UserID, t.Purpose)
		if err != nil {
			return tx.d.mapError(err, "One-time token")
		}
		_, err = tx.exec(ctx, `INSERT INTO one_time_tokens (`+ottColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			t.ID, t.Purpose, t.UserID, t.Email, t.TokenHash, t.CreatedAt, t.ExpiresAt,
			t.Attempts, t.UsedAt)
		if err != nil {
			return tx.d.mapError(err, "User") // the one foreign key is the user
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
	var t *gatehouse.OneTimeToken
	err := s.autocommit(func(w conn) error {
		var err error
		t, err = scanOTT(w.row(ctx, `UPDATE one_time_tokens SET used_at = $1
			WHERE purpose = $2 AND token_hash = $3 AND used_at IS NULL AND expires_at > $1
			RETURNING `+ottColumns, now, purpose, hash))
		return w.d.mapError(err, "One-time token")
	})
	return t, err
}

// ActiveOneTimeToken returns the user's newest token of purpose that is unused and unexpired at
// now.
func (s *Store) ActiveOneTimeToken(ctx context.Context, userID, purpose string, now time.Time) (*gatehouse.OneTimeToken, error) {
	t, err := scanOTT(s.read().row(ctx, `SELECT `+ottColumns+` FROM one_time_tokens
		WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC, id DESC LIMIT 1`, userID, purpose, now))
	return t, s.d.mapError(err, "One-time token")
}

// FailOneTimeToken adds one wrong guess to the token (used or not) and returns the new count, in
// one UPDATE ... RETURNING.
func (s *Store) FailOneTimeToken(ctx context.Context, id string) (int, error) {
	var n int
	err := s.autocommit(func(w conn) error {
		err := w.row(ctx, `UPDATE one_time_tokens SET attempts = attempts + 1 WHERE id = $1
			RETURNING attempts`, id).Scan(&n)
		return w.d.mapError(err, "One-time token")
	})
	return n, err
}
