package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// ClaimLoginAttempt counts an attempt on key in advance unless the key is blocked at now, in
// which case it returns the remaining wait. The read and the write share one BEGIN IMMEDIATE
// transaction, so parallel claims (in this process or another) are serialised.
func (s *Store) ClaimLoginAttempt(ctx context.Context, key string, now time.Time, p gatehouse.LoginThrottlePolicy) (time.Duration, error) {
	var wait time.Duration
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var a gatehouse.LoginAttempts
		var last, blocked int64
		err := tx.QueryRowContext(ctx, `SELECT failures, last_attempt_at, blocked_until
			FROM login_attempts WHERE key = ?`, key).Scan(&a.Failures, &last, &blocked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return mapError(err, "Login attempts")
		default:
			a.LastAttempt, a.BlockedUntil = fromMillis(last), fromMillis(blocked)
		}
		var next gatehouse.LoginAttempts
		if wait, next = p.Claim(a, now); wait > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO login_attempts (key, failures, last_attempt_at, blocked_until)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
				last_attempt_at = excluded.last_attempt_at, blocked_until = excluded.blocked_until`,
			key, next.Failures, millis(next.LastAttempt), millis(next.BlockedUntil))
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
	_, err := s.w.ExecContext(ctx, `DELETE FROM login_attempts WHERE key = ?`, key)
	return mapError(err, "Login attempts")
}

// PruneLoginAttempts deletes keys whose last failure and block ended before cutoff.
func (s *Store) PruneLoginAttempts(ctx context.Context, cutoff time.Time) (int, error) {
	c := millis(cutoff)
	res, err := s.w.ExecContext(ctx, `DELETE FROM login_attempts WHERE last_attempt_at < ? AND blocked_until < ?`, c, c)
	if err != nil {
		return 0, mapError(err, "Login attempts")
	}
	n, err := res.RowsAffected()
	return int(n), mapError(err, "Login attempts")
}
