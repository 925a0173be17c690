package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// userColumns is the column list scanUser reads, in order.
const userColumns = `id, kind, username, email, email_verified, display_name, avatar_url, banner_url,
	description, theme, font, password_hash, is_admin, disabled_at, created_at, updated_at, credentials_changed_at`

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanUser reads the userColumns of one row, with dest appended after them.
func scanUser(row rowScanner, dest ...any) (*gatehouse.User, error) {
	var u gatehouse.User
	var disabled, changed sql.NullInt64
	var created, updated int64
	err := row.Scan(append([]any{&u.ID, &u.Kind, &u.Username, &u.Email, &u.EmailVerified, &u.DisplayName,
		&u.AvatarURL, &u.BannerURL, &u.Description, &u.Theme, &u.Font, &u.PasswordHash, &u.IsAdmin,
		&disabled, &created, &updated, &changed}, dest...)...)
	if err != nil {
		return nil, err
	}
	u.DisabledAt = fromNullMillis(disabled)
	u.CredentialsChangedAt = timeOrZero(fromNullMillis(changed))
	u.CreatedAt, u.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &u, nil
}

// CreateUser inserts u and its memberships in one transaction. It fills an empty ID, a zero
// CreatedAt (now), UpdatedAt (CreatedAt) and Kind (KindUser), and leaves u's times as stored.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User, memberships ...gatehouse.Membership) error {
	record.FillUser(u, gatehouse.KindUser)
	ms := make([]gatehouse.Membership, len(memberships))
	for i, m := range memberships {
		if m.UserID == "" {
			m.UserID = u.ID
		}
		if m.CreatedAt.IsZero() {
			m.CreatedAt = u.CreatedAt
		}
		if err := record.CheckMembership(m); err != nil {
			return err
		}
		if m.UserID != u.ID {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A membership of a new user must name that user.")
		}
		ms[i] = m
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		for _, m := range ms {
			if err := insertMembership(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertUser inserts the filled user u.
func insertUser(ctx context.Context, db execer, u *gatehouse.User) error {
	_, err := db.ExecContext(ctx, `INSERT INTO users (`+userColumns+`, username_lower, email_lower)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Kind, u.Username, u.Email, u.EmailVerified, u.DisplayName, u.AvatarURL, u.BannerURL,
		u.Description, u.Theme, u.Font, u.PasswordHash, u.IsAdmin, nullMillis(u.DisabledAt),
		millis(u.CreatedAt), millis(u.UpdatedAt), nullMillis(zeroAsNil(u.CredentialsChangedAt)),
		strings.ToLower(u.Username), strings.ToLower(u.Email))
	return mapError(err, "User")
}

// UserByID returns the user with that ID.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	return u, mapError(err, "User")
}

// UserByUsername returns the user with that username, compared case-insensitively.
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username_lower = ?`,
		strings.ToLower(username)))
	return u, mapError(err, "User")
}

// UserByEmail returns the user with that email, compared case-insensitively; "" finds no one.
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE email_lower = ? AND email_lower <> ''`, strings.ToLower(email)))
	return u, mapError(err, "User")
}

// UpdateUser applies the set fields of upd (setting Email clears EmailVerified unless upd sets
// EmailVerified too, which wins) and the update time (now when zero) and returns the updated user.
func (s *Store) UpdateUser(ctx context.Context, id string, upd gatehouse.UserUpdate) (*gatehouse.User, error) {
	sets := []string{"updated_at = ?"}
	args := []any{millis(orNow(upd.UpdatedAt))}
	set := func(column string, v *string) {
		if v != nil {
			sets = append(sets, column+" = ?")
			args = append(args, *v)
		}
	}
	if upd.Email != nil {
		sets = append(sets, "email = ?", "email_lower = ?")
		args = append(args, *upd.Email, strings.ToLower(*upd.Email))
		if upd.EmailVerified == nil {
			sets = append(sets, "email_verified = 0")
		}
	}
	if upd.EmailVerified != nil { // after Email: both set changes the address and marks it verified
		sets = append(sets, "email_verified = ?")
		args = append(args, *upd.EmailVerified)
	}
	set("display_name", upd.DisplayName)
	set("avatar_url", upd.AvatarURL)
	set("banner_url", upd.BannerURL)
	set("description", upd.Description)
	set("theme", upd.Theme)
	set("font", upd.Font)
	if upd.IsAdmin != nil {
		sets = append(sets, "is_admin = ?")
		args = append(args, *upd.IsAdmin)
	}
	args = append(args, id)
	u, err := scanUser(s.w.QueryRowContext(ctx, `UPDATE users SET `+strings.Join(sets, ", ")+
		` WHERE id = ? RETURNING `+userColumns, args...))
	return u, mapError(err, "User")
}

// SetPassword stores a new password hash and, with revokeSessions, revokes the user's active
// sessions (reason "password_changed") in the same transaction.
func (s *Store) SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`,
			hash, millis(at), id)
		if err := affectedOne(res, err, "User"); err != nil {
			return err
		}
		if revokeSessions {
			_, err := revokeActive(ctx, tx, id, "", at, "password_changed")
			return err
		}
		return nil
	})
}

// DeleteUser removes the user and the accounts of the agents it owns (and of theirs, and so on);
// sessions, memberships, PATs and agent rows go with the accounts (ON DELETE CASCADE). In the
// same transaction the organizations they own are settled first (settleOwnedOrgs): one that would
// keep members but no owner refuses the deletion (CodeConflict, nothing deleted); one that would
// keep no member is deleted with its keys and clients. Audit events are not linked and stay.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := settleOwnedOrgs(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, deleteAccountsSQL(`SELECT ?`), id)
		return affectedOne(res, err, "User")
	})
}

// deleteAccountsSQL returns a statement that deletes the account root selects (a query of one
// row and column; no account when it selects none or NULL) with the accounts of the agents it
// owns, recursively. The agent rows cascade from the owner's deletion, so the agents' accounts
// must be found in the same statement, before it.
func deleteAccountsSQL(root string) string {
	return `WITH RECURSIVE doomed(id) AS (
		` + root + `
		UNION
		SELECT a.user_id FROM agents a JOIN doomed d ON a.owner_id = d.id
	)
	DELETE FROM users WHERE id IN (SELECT id FROM doomed)`
}

// affectedOne maps the result of a single-row statement: no row affected is not found.
func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return mapError(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapError(err, what)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}
