package postgres

import (
	"context"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/jackc/pgx/v5"
)

// errLastOwner is the conflict of a change that would leave an organization without an owner.
var errLastOwner = gatehouse.Errorf(gatehouse.CodeConflict, "An organization must keep at least one owner.")

// MemberRole returns userID's role in orgID.
func (s *Store) MemberRole(ctx context.Context, orgID, userID string) (gatehouse.Role, error) {
	var role string
	err := s.pool.QueryRow(ctx, `SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2`,
		orgID, userID).Scan(&role)
	if err != nil {
		return "", mapError(err, "Member")
	}
	return gatehouse.Role(role), nil
}

// ListMembers returns the organization's members with their accounts, oldest membership first
// (ties by user ID); an empty list for an unknown organization.
func (s *Store) ListMembers(ctx context.Context, orgID string) ([]gatehouse.Member, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id, u.kind, u.username, u.email, u.email_verified,
		u.display_name, u.avatar_url, u.banner_url, u.description, u.theme, u.font, u.password_hash,
		u.is_admin, u.disabled_at, u.created_at, u.updated_at, u.credentials_changed_at, m.role, m.created_at
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = $1
		ORDER BY m.created_at, m.user_id`, orgID)
	if err != nil {
		return nil, mapError(err, "Member")
	}
	defer rows.Close()
	out := []gatehouse.Member{}
	for rows.Next() {
		var m gatehouse.Member
		var role string
		u, err := scanUser(rows, &role, &m.JoinedAt)
		if err != nil {
			return nil, mapError(err, "Member")
		}
		m.User, m.Role, m.JoinedAt = *u, gatehouse.Role(role), m.JoinedAt.UTC()
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Member")
	}
	return out, nil
}

// SetMemberRole changes a member's role. The transaction first locks the organization's row
// (FOR NO KEY UPDATE, which new memberships' foreign-key checks do not wait for), so changes
// to one organization's members run one at a time and the owner count cannot change before
// the write.
func (s *Store) SetMemberRole(ctx context.Context, orgID, userID string, role gatehouse.Role) error {
	if !role.Valid() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The role must be owner, admin or member.")
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockMember(ctx, tx, orgID, userID, role != gatehouse.RoleOwner); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2`,
			orgID, userID, string(role))
		return mapError(err, "Member")
	})
}

// RemoveMember removes a member unless it is the organization's last owner; atomic as
// SetMemberRole.
func (s *Store) RemoveMember(ctx context.Context, orgID, userID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockMember(ctx, tx, orgID, userID, true); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM memberships WHERE org_id = $1 AND user_id = $2`, orgID, userID)
		return mapError(err, "Member")
	})
}

// lockMember locks the organization's row and returns not found when userID is not a member
// of orgID and, with leavingOwners, errLastOwner when it is the only owner.
func lockMember(ctx context.Context, tx pgx.Tx, orgID, userID string, leavingOwners bool) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM orgs WHERE id = $1 FOR NO KEY UPDATE`, orgID); err != nil {
		return mapError(err, "Member")
	}
	var role string
	var owners int
	err := tx.QueryRow(ctx, `SELECT role,
		(SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'owner')
		FROM memberships WHERE org_id = $1 AND user_id = $2`, orgID, userID).Scan(&role, &owners)
	if err != nil {
		return mapError(err, "Member")
	}
	if leavingOwners && gatehouse.Role(role) == gatehouse.RoleOwner && owners <= 1 {
		return errLastOwner
	}
	return nil
}
