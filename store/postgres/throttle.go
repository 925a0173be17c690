package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/jackc/pgx/v5"
)

// attempts is the throttle state of one key.
type attempts struct {
	failures     int
	lastAttempt  time.Time // of the last counted failure
	blockedUntil time.Time
}

// claim decides a ClaimLoginAttempt on state a at now: the wait (> 0 when blocked, and then the
// state is unchanged) or the next state. Earlier failures are forgotten once now reaches
// lastAttempt+Forget (never when Forget <= 0). Same rule as store/sqlite.
func claim(a attempts, now time.Time, p gatehouse.LoginThrottlePolicy) (time.Duration, attempts) {
	if now.Before(a.blockedUntil) {
		return a.blockedUntil.Sub(now), a
	}
	if p.Forget > 0 && !now.Before(a.lastAttempt.Add(p.Forget)) {
		a.failures = 0
	}
	a.failures++
	a.lastAttempt = now
	a.blockedUntil = now.Add(p.Delay(a.failures))
	return 0, a
}

// ClaimLoginAttempt counts an attempt on key in advance unless the key is blocked at now, in
// which case it returns the remaining wait. In one transaction, an upsert that changes nothing
// creates the row if needed and locks it (ON CONFLICT DO UPDATE takes the row lock even for a
// row another transaction just inserted); the decision is made on the locked row and written
// back. Parallel claims on any number of instances therefore queue on the row lock.
func (s *Store) ClaimLoginAttempt(ctx context.Context, key string, now time.Time, p gatehouse.LoginThrottlePolicy) (time.Duration, error) {
	var wait time.Duration
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var a attempts
		_, _ = s.pool.Exec(ctx, `INSERT INTO login_attempts (key, failures, last_attempt_at, blocked_until) VALUES ($1, 0, 'epoch', 'epoch') ON CONFLICT DO NOTHING`, key)
		err := s.pool.QueryRow(ctx, `SELECT failures, last_attempt_at, blocked_until FROM login_attempts WHERE key = $1`, key).
			Scan(&a.failures, &a.lastAttempt, &a.blockedUntil)
		if err != nil {
			return mapError(err, "Login attempts")
		}
		var next attempts
		if wait, next = claim(a, now, p); wait > 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE login_attempts SET failures = $2, last_attempt_at = $3, blocked_until = $4
			WHERE key = $1`, key, next.failures, ts(next.lastAttempt), ts(next.blockedUntil))
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
