package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// userColumns is the column list scanUser reads, in order.
const userColumns = `id, kind, username, email, email_verified, display_name, avatar_url, banner_url,
	description, theme, font, password_hash, is_admin, disabled_at, created_at, updated_at, credentials_changed_at`

// scanUser reads the userColumns of one row, with dest appended after them.
func scanUser(row rowScanner, dest ...any) (*gatehouse.User, error) {
	var u gatehouse.User
	err := row.Scan(append([]any{&u.ID, &u.Kind, &u.Username, &u.Email, &u.EmailVerified, &u.DisplayName,
		&u.AvatarURL, &u.BannerURL, &u.Description, &u.Theme, &u.Font, &u.PasswordHash, &u.IsAdmin,
		nullTimeCol{&u.DisabledAt}, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt},
		zeroTimeCol{&u.CredentialsChangedAt}}, dest...)...)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// params collects the arguments of a statement built piece by piece; add returns the
// placeholder of the argument it adds.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
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
	return s.inTx(ctx, func(tx conn) error {
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
func insertUser(ctx context.Context, tx conn, u *gatehouse.User) error {
	_, err := tx.exec(ctx, `INSERT INTO users (`+userColumns+`, username_lower, email_lower)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		u.ID, u.Kind, u.Username, u.Email, u.EmailVerified, u.DisplayName, u.AvatarURL, u.BannerURL,
		u.Description, u.Theme, u.Font, u.PasswordHash, u.IsAdmin, u.DisabledAt,
		u.CreatedAt, u.UpdatedAt, zeroAsNil(u.CredentialsChangedAt),
		strings.ToLower(u.Username), strings.ToLower(u.Email))
	return tx.d.mapError(err, "User")
}

// UserByID returns the user with that ID.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	u, err := scanUser(s.read().row(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return u, s.d.mapError(err, "User")
}

// UserByUsername returns the user with that username, compared case-insensitively.
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	u, err := scanUser(s.read().row(ctx, `SELECT `+userColumns+` FROM users WHERE username_lower = $1`,
		strings.ToLower(username)))
	return u, s.d.mapError(err, "User")
}

// UserByEmail returns the user with that email, compared case-insensitively; "" finds no one.
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	// The repeated predicate lets PostgreSQL's planner use the partial unique index.
	u, err := scanUser(s.read().row(ctx, `SELECT `+userColumns+` FROM users
		WHERE email_lower = $1 AND email_lower <> ''`, strings.ToLower(email)))
	return u, s.d.mapError(err, "User")
}

// UpdateUser applies the set fields of upd (setting Email clears EmailVerified unless upd sets
// EmailVerified too, which wins) and the update time (now when zero) and returns the updated user.
func (s *Store) UpdateUser(ctx context.Context, id string, upd gatehouse.UserUpdate) (*gatehouse.User, error) {
	var p params
	sets := []string{"updated_at = " + p.add(orNow(upd.UpdatedAt))}
	set := func(column string, v any) { sets = append(sets, column+" = "+p.add(v)) }
	if upd.Email != nil {
		set("email", *upd.Email)
		set("email_lower", strings.ToLower(*upd.Email))
		if upd.EmailVerified == nil {
			set("email_verified", false)
		}
	}
	if upd.EmailVerified != nil { // after Email: both set changes the address and marks it verified
		set("email_verified", *upd.EmailVerified)
	}
	for _, f := range []struct {
		column string
		v      *string
	}{{"display_name", upd.DisplayName}, {"avatar_url", upd.AvatarURL}, {"banner_url", upd.BannerURL},
		{"description", upd.Description}, {"theme", upd.Theme}, {"font", upd.Font}} {
		if f.v != nil {
			set(f.column, *f.v)
		}
	}
	if upd.IsAdmin != nil {
		set("is_admin", *upd.IsAdmin)
	}
	var u *gatehouse.User
	err := s.autocommit(func(w conn) error {
		var err error
		u, err = scanUser(w.row(ctx, `UPDATE users SET `+strings.Join(sets, ", ")+
			` WHERE id = `+p.add(id)+` RETURNING `+userColumns, p...))
		return s.d.mapError(err, "User")
	})
	return u, err
}

// SetPassword stores a new password hash and, with revokeSessions, revokes the user's active
// sessions (reason "password_changed") in the same transaction.
func (s *Store) SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error {
	return s.inTx(ctx, func(tx conn) error {
		res, err := tx.exec(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3`, hash, at, id)
		if err := tx.affectedOne(res, err, "User"); err != nil {
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
	return s.inTx(ctx, func(tx conn) error {
		if err := settleOwnedOrgs(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.exec(ctx, deleteAccountsSQL(tx.d), id)
		return tx.affectedOne(res, err, "User")
	})
}

// selectID selects its one parameter as an ID (PostgreSQL needs its type and collation).
func selectID(d *dialect) string { return d.pick(`SELECT $1`, `SELECT $1::text COLLATE "C"`) }

// deleteAccountsSQL returns a statement that deletes the account $1 with the accounts of the
// agents it owns, recursively. The agent rows cascade from the owner's deletion, so the agents'
// accounts must be found in the same statement, before it.
func deleteAccountsSQL(d *dialect) string {
	return `WITH RECURSIVE doomed(id) AS (
		` + selectID(d) + `
		UNION
		SELECT a.user_id FROM agents a JOIN doomed d ON a.owner_id = d.id
	)
	DELETE FROM users WHERE id IN (SELECT id FROM doomed)`
}

// PlanSource returns the users row's plan_source ('free' by default, migration 0013).
func (s *Store) PlanSource(ctx context.Context, userID string) (string, error) {
	var source string
	err := s.read().row(ctx, `SELECT plan_source FROM users WHERE id = $1`, userID).Scan(&source)
	return source, s.d.mapError(err, "User")
}

// SetPlanSource sets the users row's plan_source and updated_at.
func (s *Store) SetPlanSource(ctx context.Context, userID, source string, at time.Time) error {
	return s.execOne(ctx, "User", `UPDATE users SET plan_source = $1, updated_at = $2 WHERE id = $3`, source, orNow(at), userID)
}
