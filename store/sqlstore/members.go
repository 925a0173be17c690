package sqlstore

import (
	"context"

	"github.com/gatehouse-auth/gatehouse"
)

// errLastOwner is the conflict of a change that would leave an organization without an owner.
var errLastOwner = gatehouse.Errorf(gatehouse.CodeConflict, "An organization must keep at least one owner.")

// MemberRole returns userID's role in orgID.
func (s *Store) MemberRole(ctx context.Context, orgID, userID string) (gatehouse.Role, error) {
	var role string
	err := s.read().row(ctx, `SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2`,
		orgID, userID).Scan(&role)
	if err != nil {
		return "", s.d.mapError(err, "Member")
	}
	return gatehouse.Role(role), nil
}

// ListMembers returns the organization's members with their accounts, oldest membership first
// (ties by user ID); an empty list for an unknown organization.
func (s *Store) ListMembers(ctx context.Context, orgID string) ([]gatehouse.Member, error) {
	rows, err := s.read().query(ctx, `SELECT `+userJoinColumns+`, m.role, m.created_at
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = $1
		ORDER BY m.created_at, m.user_id`, orgID)
	return collect(s.d, rows, err, "Member", func(r rowScanner) (gatehouse.Member, error) {
		var m gatehouse.Member
		var role string
		u, err := scanUser(r, &role, timeCol{&m.JoinedAt})
		if err != nil {
			return m, err
		}
		m.User, m.Role = *u, gatehouse.Role(role)
		return m, nil
	})
}

// SetMemberRole changes a member's role. The transaction holds the write lock from its start
// (BEGIN IMMEDIATE), so the owner count it reads cannot change before it writes.
func (s *Store) SetMemberRole(ctx context.Context, orgID, userID string, role gatehouse.Role) error {
	if !role.Valid() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The role must be owner, admin or member.")
	}
	return s.inTx(ctx, func(tx conn) error {
		if err := keepsAnOwner(ctx, tx, orgID, userID, role != gatehouse.RoleOwner); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3`,
			string(role), orgID, userID)
		return tx.affectedOne(res, err, "Member")
	})
}

// RemoveMember removes a member unless it is the organization's last owner; atomic as
// SetMemberRole.
func (s *Store) RemoveMember(ctx context.Context, orgID, userID string) error {
	return s.inTx(ctx, func(tx conn) error {
		if err := keepsAnOwner(ctx, tx, orgID, userID, true); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, orgID, userID)
		return tx.affectedOne(res, err, "Member")
	})
}

// keepsAnOwner returns not found when userID is not a member of orgID, and errLastOwner when it
// is the organization's only owner (so it may neither leave nor stop being an owner).
func keepsAnOwner(ctx context.Context, tx conn, orgID, userID string, leaving bool) error {
	if tx.d.locks { // FOR NO KEY UPDATE: new memberships' foreign-key checks do not wait for it
		if _, err := tx.exec(ctx, `SELECT 1 FROM orgs WHERE id = $1 FOR NO KEY UPDATE`, orgID); err != nil {
			return tx.d.mapError(err, "Member")
		}
	}
	var role string
	var owners int
	err := tx.row(ctx, `SELECT role,
		(SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'owner')
		FROM memberships WHERE org_id = $1 AND user_id = $2`, orgID, userID).Scan(&role, &owners)
	if err != nil {
		return tx.d.mapError(err, "Member")
	}
	if leaving && gatehouse.Role(role) == gatehouse.RoleOwner && owners <= 1 {
		return errLastOwner
	}
	return nil
}
