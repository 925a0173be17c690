package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// ClaimLoginAttempt counts an attempt on key in advance unless the key is blocked at now, in
// which case it returns the remaining wait. The read and the write share one BEGIN IMMEDIATE
// transaction, so parallel claims (in this process or another) are serialised.
func (s *Store) ClaimLoginAttempt(ctx context.Context, key string, now time.Time, p gatehouse.LoginThrottlePolicy) (time.Duration, error) {
	var wait time.Duration
	err := s.inTx(ctx, func(tx conn) error {
		// An upsert that changes nothing creates the row if needed (never attempted: the epoch)
		// and locks it (PostgreSQL), so concurrent claims of one key, on any instance, queue.
		var a gatehouse.LoginAttempts
		err := tx.row(ctx, `INSERT INTO login_attempts AS a (key, failures, last_attempt_at, blocked_until)
			VALUES ($1, 0, $2, $2)
			ON CONFLICT (key) DO UPDATE SET failures = a.failures
			RETURNING failures, last_attempt_at, blocked_until`, key, time.Unix(0, 0)).
			Scan(&a.Failures, timeCol{&a.LastAttempt}, timeCol{&a.BlockedUntil})
		if err != nil {
			return tx.d.mapError(err, "Login attempts")
		}
		var next gatehouse.LoginAttempts
		if wait, next = p.Claim(a, now); wait > 0 {
			return nil
		}
		_, err = tx.exec(ctx, `UPDATE login_attempts SET failures = $2, last_attempt_at = $3, blocked_until = $4
			WHERE key = $1`, key, next.Failures, next.LastAttempt, next.BlockedUntil)
		return tx.d.mapError(err, "Login attempts")
	})
	if err != nil {
		return 0, err
	}
	return wait, nil
}

// ResetLoginAttempts forgets the failures of key (after a successful login). An unknown key is
// no error.
func (s *Store) ResetLoginAttempts(ctx context.Context, key string) error {
	_, err := s.exec(ctx, `DELETE FROM login_attempts WHERE key = $1`, key)
	return s.d.mapError(err, "Login attempts")
}

// PruneLoginAttempts deletes keys whose last failure and block ended before cutoff.
func (s *Store) PruneLoginAttempts(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM login_attempts WHERE last_attempt_at < $1 AND blocked_until < $1`, cutoff)
	return rowsAffected(s.d, res, err, "Login attempts")
}
