package sqlstore

import (
	"context"

	"github.com/gatehouse-auth/gatehouse"
)

// deleteGuarded runs the DELETE del (one row of what) and, with a guard, checks in the same
// writer transaction that the user keeps a way to sign in (gatehouse.SignInGuard); the single
// writer serialises concurrent removals, so the check sees every earlier one.
func (s *Store) deleteGuarded(ctx context.Context, userID string, guard *gatehouse.SignInGuard, what, del string, args ...any) error {
	return s.inTx(ctx, func(tx conn) error {
		if guard != nil {
			if err := lockUser(ctx, tx, userID, what); err != nil {
				return err
			}
		}
		res, err := tx.exec(ctx, del, args...)
		if err := tx.affectedOne(res, err, what); err != nil {
			return err
		}
		if guard == nil {
			return nil
		}
		var left bool
		err = tx.row(ctx, `SELECT password_hash <> ''
			OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = u.id)
			OR EXISTS (SELECT 1 FROM identities WHERE user_id = u.id)
			OR ($1 AND email_verified = $2 AND email <> '')
			FROM users u WHERE id = $3`, guard.MagicLinks, true, userID).Scan(&left)
		if err != nil {
			return tx.d.mapError(err, "User")
		}
		if !left {
			return errLastWayIn
		}
		return nil
	})
}

var errLastWayIn = gatehouse.Errorf(gatehouse.CodeConflict, "This is the last way to sign in to the account.")
