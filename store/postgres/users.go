package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
)

// userColumns is the column list scanUser reads, in order.
const userColumns = `id, kind, username, email, email_verified, display_name, avatar_url, banner_url,
	description, theme, font, password_hash, is_admin, disabled_at, created_at, updated_at, credentials_changed_at`

// scanUser reads the userColumns of one row, with dest appended after them.
func scanUser(row pgx.Row, dest ...any) (*gatehouse.User, error) {
	var u gatehouse.User
	var changed *time.Time
	err := row.Scan(append([]any{&u.ID, &u.Kind, &u.Username, &u.Email, &u.EmailVerified, &u.DisplayName,
		&u.AvatarURL, &u.BannerURL, &u.Description, &u.Theme, &u.Font, &u.PasswordHash, &u.IsAdmin,
		&u.DisabledAt, &u.CreatedAt, &u.UpdatedAt, &changed}, dest...)...)
	if err != nil {
		return nil, err
	}
	u.DisabledAt = utcPtr(u.DisabledAt)
	if changed != nil {
		u.CredentialsChangedAt = changed.UTC()
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
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
	return s.inTx(ctx, func(tx pgx.Tx) error {
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
func insertUser(ctx context.Context, db querier, u *gatehouse.User) error {
	_, err := db.Exec(ctx, `INSERT INTO users (`+userColumns+`, username_lower, email_lower)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		u.ID, u.Kind, u.Username, u.Email, u.EmailVerified, u.DisplayName, u.AvatarURL, u.BannerURL,
		u.Description, u.Theme, u.Font, u.PasswordHash, u.IsAdmin, u.DisabledAt,
		u.CreatedAt, u.UpdatedAt, zeroAsNil(u.CredentialsChangedAt), strings.ToLower(u.Username), strings.ToLower(u.Email))
	return mapError(err, "User")
}

// UserByID returns the user with that ID.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return u, mapError(err, "User")
}

// UserByUsername returns the user with that username, compared case-insensitively.
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username_lower = $1`,
		strings.ToLower(username)))
	return u, mapError(err, "User")
}

// UserByEmail returns the user with that email, compared case-insensitively; "" finds no one.
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	// The repeated predicate lets the planner use the partial unique index.
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE email_lower = $1 AND email_lower <> ''`, strings.ToLower(email)))
	return u, mapError(err, "User")
}

// UpdateUser applies the set fields of upd (setting Email clears EmailVerified unless upd sets
// EmailVerified too, which wins) and the update time (now when zero) and returns the updated user.
func (s *Store) UpdateUser(ctx context.Context, id string, upd gatehouse.UserUpdate) (*gatehouse.User, error) {
	args := []any{id, ts(orNow(upd.UpdatedAt))}
	sets := []string{"updated_at = $2"}
	set := func(column string, v any) {
		args = append(args, v)
		sets = append(sets, column+" = $"+strconv.Itoa(len(args)))
	}
	if upd.Email != nil {
		set("email", *upd.Email)
		set("email_lower", strings.ToLower(*upd.Email))
		if upd.EmailVerified == nil {
			sets = append(sets, "email_verified = false")
		}
	}
	if upd.EmailVerified != nil { // after Email: both set changes the address and marks it verified
		set("email_verified", *upd.EmailVerified)
	}
	for _, f := range []struct {
		column string
		v      *string
	}{
		{"display_name", upd.DisplayName}, {"avatar_url", upd.AvatarURL}, {"banner_url", upd.BannerURL},
		{"description", upd.Description}, {"theme", upd.Theme}, {"font", upd.Font},
	} {
		if f.v != nil {
			set(f.column, *f.v)
		}
	}
	if upd.IsAdmin != nil {
		set("is_admin", *upd.IsAdmin)
	}
	u, err := scanUser(s.pool.QueryRow(ctx, `UPDATE users SET `+strings.Join(sets, ", ")+
		` WHERE id = $1 RETURNING `+userColumns, args...))
	return u, mapError(err, "User")
}

// SetPassword stores a new password hash and, with revokeSessions, revokes the user's active
// sessions (reason "password_changed") in the same transaction.
func (s *Store) SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`,
			hash, ts(at), id)
		if err != nil {
			return mapError(err, "User")
		}
		if tag.RowsAffected() == 0 {
			return notFound("User")
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
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := settleOwnedOrgs(ctx, tx, id); err != nil {
			return err
		}
		return deleteAccounts(ctx, tx, `SELECT $1::text COLLATE "C"`, "User", id)
	})
}

// deleteAccounts deletes the account root selects (a query of one row and column with one
// parameter, arg; no account when it selects none or NULL) with the accounts of the agents it
// owns, recursively; not found (naming what) when it deletes nothing. The agent rows cascade
// from the owner's deletion, so the agents' accounts are found in the same statement, before.
func deleteAccounts(ctx context.Context, db querier, root, what string, args ...any) error {
	tag, err := db.Exec(ctx, `WITH RECURSIVE doomed(id) AS (
			`+root+`
			UNION
			SELECT a.user_id FROM agents a JOIN doomed d ON a.owner_id = d.id
		)
		DELETE FROM users WHERE id IN (SELECT id FROM doomed)`, args...)
	if err != nil {
		return mapError(err, what)
	}
	if tag.RowsAffected() == 0 {
		return notFound(what)
	}
	return nil
}
