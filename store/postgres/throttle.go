package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/jackc/pgx/v5"
)

// ClaimLoginAttempt counts an attempt on key in advance unless the key is blocked at now, in
// which case it returns the remaining wait. In one transaction, an upsert that changes nothing
// creates the row if needed and locks it (ON CONFLICT DO UPDATE takes the row lock even for a
// row another transaction just inserted); the decision is made on the locked row and written
// back. Parallel claims on any number of instances therefore queue on the row lock.
func (s *Store) ClaimLoginAttempt(ctx context.Context, key string, now time.Time, p gatehouse.LoginThrottlePolicy) (time.Duration, error) {
	var wait time.Duration
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var a gatehouse.LoginAttempts
		err := tx.QueryRow(ctx, `INSERT INTO login_attempts AS a (key, failures, last_attempt_at, blocked_until)
			VALUES ($1, 0, 'epoch', 'epoch')
			ON CONFLICT (key) DO UPDATE SET failures = a.Failures
			RETURNING failures, last_attempt_at, blocked_until`, key).
			Scan(&a.Failures, &a.LastAttempt, &a.BlockedUntil)
		if err != nil {
			return mapError(err, "Login attempts")
		}
		var next gatehouse.LoginAttempts
		if wait, next = p.Claim(a, now); wait > 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE login_attempts SET failures = $2, last_attempt_at = $3, blocked_until = $4
			WHERE key = $1`, key, next.Failures, ts(next.LastAttempt), ts(next.BlockedUntil))
		return mapError(err, "Login attempts")
	})
	if err != nil {
		return 0, err
	}
	return wait, nil
}

// ResetLoginAttempts forgets the failures of key (after a successful login). An unknown key is
// no error.
func (s *Store) ResetLoginAttempts(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_attempts WHERE key = $1`, key)
	return mapError(err, "Login attempts")
}

// PruneLoginAttempts deletes keys whose last failure and block ended before cutoff.
func (s *Store) PruneLoginAttempts(ctx context.Context, cutoff time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM login_attempts WHERE last_attempt_at < $1 AND blocked_until < $1`, ts(cutoff))
	if err != nil {
		return 0, mapError(err, "Login attempts")
	}
	return int(tag.RowsAffected()), nil
}
