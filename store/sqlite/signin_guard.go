package sqlite

import (
	"context"
	"database/sql"

	"github.com/gatehouse-auth/gatehouse"
)

// deleteGuarded runs the DELETE del (one row of what) and, with a guard, checks in the same
// writer transaction that the user keeps a way to sign in (gatehouse.SignInGuard); the single
// writer serialises concurrent removals, so the check sees every earlier one.
func (s *Store) deleteGuarded(ctx context.Context, userID string, guard *gatehouse.SignInGuard, what, del string, args ...any) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, del, args...)
		if err := affectedOne(res, err, what); err != nil {
			return err
		}
		if guard == nil {
			return nil
		}
		var left bool
		err = tx.QueryRowContext(ctx, `SELECT password_hash <> ''
			OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = u.id)
			OR EXISTS (SELECT 1 FROM identities WHERE user_id = u.id)
			OR (? AND email_verified = 1 AND email <> '')
			FROM users u WHERE id = ?`, guard.MagicLinks, userID).Scan(&left)
		if err != nil {
			return mapError(err, "User")
		}
		if !left {
			return errLastWayIn
		}
		return nil
	})
}

var errLastWayIn = gatehouse.Errorf(gatehouse.CodeConflict, "This is the last way to sign in to the account.")
