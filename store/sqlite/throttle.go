package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// attempts is the throttle state of one key.
type attempts struct {
	failures     int
	lastAttempt  time.Time // of the last counted failure
	blockedUntil time.Time
}

// claim decides a ClaimLoginAttempt on state a at now: the wait (> 0 when blocked, and then the
// state is unchanged) or the next state. Earlier failures are forgotten once now reaches
// lastAttempt+Forget (never when Forget <= 0).
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
// which case it returns the remaining wait. The read and the write share one BEGIN IMMEDIATE
// transaction, so parallel claims (in this process or another) are serialised.
func (s *Store) ClaimLoginAttempt(ctx context.Context, key string, now time.Time, p gatehouse.LoginThrottlePolicy) (time.Duration, error) {
	var wait time.Duration
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var a attempts
		var last, blocked int64
		err := tx.QueryRowContext(ctx, `SELECT failures, last_attempt_at, blocked_until
			FROM login_attempts WHERE key = ?`, key).Scan(&a.failures, &last, &blocked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return mapError(err, "Login attempts")
		default:
			a.lastAttempt, a.blockedUntil = fromMillis(last), fromMillis(blocked)
		}
		var next attempts
		if wait, next = claim(a, now, p); wait > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO login_attempts (key, failures, last_attempt_at, blocked_until)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
				last_attempt_at = excluded.last_attempt_at, blocked_until = excluded.blocked_until`,
			key, next.failures, millis(next.lastAttempt), millis(next.blockedUntil))
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
