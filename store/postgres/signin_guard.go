package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-auth/gatehouse"
)

// deleteGuarded runs the DELETE del (one row of what) and, with a guard, checks in the same
// transaction that the user keeps a way to sign in (gatehouse.SignInGuard). The transaction first
// locks the user's row, so concurrent removals for one user, on any instance, run one after the
// other and each check sees the ones committed before it.
func (s *Store) deleteGuarded(ctx context.Context, userID string, guard *gatehouse.SignInGuard, what, del string, args ...any) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if guard != nil {
			var id string
			if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&id); err != nil {
				return mapError(err, what)
			}
		}
		tag, err := tx.Exec(ctx, del, args...)
		if err := affected(tag.RowsAffected(), err, what); err != nil {
			return err
		}
		if guard == nil {
			return nil
		}
		var left bool
		err = tx.QueryRow(ctx, `SELECT password_hash <> ''
			OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = u.id)
			OR EXISTS (SELECT 1 FROM identities WHERE user_id = u.id)
			OR ($1 AND email_verified AND email <> '')
			FROM users u WHERE id = $2`, guard.MagicLinks, userID).Scan(&left)
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
