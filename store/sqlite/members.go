package sqlite

import (
	"context"
	"database/sql"

	"github.com/gatehouse-auth/gatehouse"
)

// errLastOwner is the conflict of a change that would leave an organization without an owner.
var errLastOwner = gatehouse.Errorf(gatehouse.CodeConflict, "An organization must keep at least one owner.")

// MemberRole returns userID's role in orgID.
func (s *Store) MemberRole(ctx context.Context, orgID, userID string) (gatehouse.Role, error) {
	var role string
	err := s.r.QueryRowContext(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`,
		orgID, userID).Scan(&role)
	if err != nil {
		return "", mapError(err, "Member")
	}
	return gatehouse.Role(role), nil
}

// ListMembers returns the organization's members with their accounts, oldest membership first
// (ties by user ID); an empty list for an unknown organization.
func (s *Store) ListMembers(ctx context.Context, orgID string) ([]gatehouse.Member, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT u.id, u.kind, u.username, u.email, u.email_verified,
		u.display_name, u.avatar_url, u.banner_url, u.description, u.theme, u.font, u.password_hash,
		u.is_admin, u.disabled_at, u.created_at, u.updated_at, u.credentials_changed_at, m.role, m.created_at
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ?
		ORDER BY m.created_at, m.user_id`, orgID)
	if err != nil {
		return nil, mapError(err, "Member")
	}
	defer rows.Close()
	out := []gatehouse.Member{}
	for rows.Next() {
		var role string
		var joined int64
		u, err := scanUser(rows, &role, &joined)
		if err != nil {
			return nil, mapError(err, "Member")
		}
		out = append(out, gatehouse.Member{User: *u, Role: gatehouse.Role(role), JoinedAt: fromMillis(joined)})
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Member")
	}
	return out, nil
}

// SetMemberRole changes a member's role. The transaction holds the write lock from its start
// (BEGIN IMMEDIATE), so the owner count it reads cannot change before it writes.
func (s *Store) SetMemberRole(ctx context.Context, orgID, userID string, role gatehouse.Role) error {
	if !role.Valid() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The role must be owner, admin or member.")
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if role != gatehouse.RoleOwner {
			if err := keepsAnOwner(ctx, tx, orgID, userID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?`,
			string(role), orgID, userID)
		return affectedOne(res, err, "Member")
	})
}

// RemoveMember removes a member unless it is the organization's last owner; atomic as
// SetMemberRole.
func (s *Store) RemoveMember(ctx context.Context, orgID, userID string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := keepsAnOwner(ctx, tx, orgID, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID)
		return affectedOne(res, err, "Member")
	})
}

// keepsAnOwner returns not found when userID is not a member of orgID, and errLastOwner when it
// is the organization's only owner (so it may neither leave nor stop being an owner).
func keepsAnOwner(ctx context.Context, tx *sql.Tx, orgID, userID string) error {
	var role string
	var owners int
	err := tx.QueryRowContext(ctx, `SELECT role,
		(SELECT count(*) FROM memberships WHERE org_id = ? AND role = 'owner')
		FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, orgID, userID).Scan(&role, &owners)
	if err != nil {
		return mapError(err, "Member")
	}
	if gatehouse.Role(role) == gatehouse.RoleOwner && owners <= 1 {
		return errLastOwner
	}
	return nil
}
