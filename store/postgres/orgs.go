package postgres

import (
	"context"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
)

// CreateOrg inserts o and, in the same transaction, the given memberships; a name taken in any
// case is CodeConflict. It fills an empty ID and a zero CreatedAt (now); a membership's empty
// OrgID becomes o's ID and its zero CreatedAt o's CreatedAt.
func (s *Store) CreateOrg(ctx context.Context, o *gatehouse.Org, members ...gatehouse.Membership) error {
	o.CreatedAt = ts(orNow(o.CreatedAt))
	if o.ID == "" {
		o.ID = gatehouse.NewID(gatehouse.PrefixOrg, o.CreatedAt, nil)
	}
	ms, err := orgMemberships(o, members)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO orgs (id, name, name_lower, created_at) VALUES ($1, $2, $3, $4)`,
			o.ID, o.Name, strings.ToLower(o.Name), o.CreatedAt)
		if err != nil {
			return mapError(err, "Organization")
		}
		for _, m := range ms {
			if err := insertMembership(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// orgMemberships completes and checks the memberships of a new organization o.
func orgMemberships(o *gatehouse.Org, members []gatehouse.Membership) ([]gatehouse.Membership, error) {
	ms := make([]gatehouse.Membership, len(members))
	for i, m := range members {
		if m.OrgID == "" {
			m.OrgID = o.ID
		}
		if m.CreatedAt.IsZero() {
			m.CreatedAt = o.CreatedAt
		}
		if err := record.CheckMembership(m); err != nil {
			return nil, err
		}
		if m.OrgID != o.ID {
			return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A membership of a new organization must name that organization.")
		}
		ms[i] = m
	}
	return ms, nil
}

// OrgByID returns the organization with that ID.
func (s *Store) OrgByID(ctx context.Context, id string) (*gatehouse.Org, error) {
	return s.org(ctx, `SELECT id, name, created_at FROM orgs WHERE id = $1`, id)
}

// OrgByName returns the organization with that name, compared case-insensitively.
func (s *Store) OrgByName(ctx context.Context, name string) (*gatehouse.Org, error) {
	return s.org(ctx, `SELECT id, name, created_at FROM orgs WHERE name_lower = $1`, strings.ToLower(name))
}

func (s *Store) org(ctx context.Context, query string, arg string) (*gatehouse.Org, error) {
	var o gatehouse.Org
	if err := s.pool.QueryRow(ctx, query, arg).Scan(&o.ID, &o.Name, &o.CreatedAt); err != nil {
		return nil, mapError(err, "Organization")
	}
	o.CreatedAt = o.CreatedAt.UTC()
	return &o, nil
}

// AddMember adds a membership (CreatedAt now when zero); already a member is CodeConflict, an
// unknown org or user not found.
func (s *Store) AddMember(ctx context.Context, m gatehouse.Membership) error {
	m.CreatedAt = orNow(m.CreatedAt)
	if err := record.CheckMembership(m); err != nil {
		return err
	}
	return insertMembership(ctx, s.pool, m)
}

func insertMembership(ctx context.Context, db querier, m gatehouse.Membership) error {
	_, err := db.Exec(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		m.OrgID, m.UserID, string(m.Role), ts(m.CreatedAt))
	return mapError(err, "Organization or user")
}

// ListUserOrgs returns the user's organizations, oldest membership first.
func (s *Store) ListUserOrgs(ctx context.Context, userID string) ([]gatehouse.OrgMembership, error) {
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.name, o.created_at, m.role, m.created_at
		FROM memberships m JOIN orgs o ON o.id = m.org_id
		WHERE m.user_id = $1
		ORDER BY m.created_at, m.org_id`, userID)
	if err != nil {
		return nil, mapError(err, "Organization")
	}
	defer rows.Close()
	out := []gatehouse.OrgMembership{}
	for rows.Next() {
		var om gatehouse.OrgMembership
		var role string
		if err := rows.Scan(&om.Org.ID, &om.Org.Name, &om.Org.CreatedAt, &role, &om.JoinedAt); err != nil {
			return nil, mapError(err, "Organization")
		}
		om.Org.CreatedAt, om.Role, om.JoinedAt = om.Org.CreatedAt.UTC(), gatehouse.Role(role), om.JoinedAt.UTC()
		out = append(out, om)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Organization")
	}
	return out, nil
}

// doomedSQL selects the accounts an account's deletion removes: the account ($1) and the
// accounts of the agents it owns, recursively.
const doomedSQL = `WITH RECURSIVE doomed(id) AS (
		SELECT $1::text COLLATE "C"
		UNION
		SELECT a.user_id FROM agents a JOIN doomed d ON a.owner_id = d.id
	)`

// settleOwnedOrgs runs in DeleteUser's transaction, before the accounts go: it refuses the
// deletion when an organization the accounts own would keep members but no owner, and deletes
// the organizations that would keep no member, with their API keys and OAuth clients (ON DELETE
// CASCADE, whose deletions fire the change feed's triggers). Every organization the accounts
// belong to is locked first (as SetMemberRole and RemoveMember lock it), so a concurrent role
// change or removal, or another owner's deletion, cannot leave one without an owner.
func settleOwnedOrgs(ctx context.Context, tx pgx.Tx, userID string) error {
	if _, err := tx.Exec(ctx, doomedSQL+`
		SELECT o.id FROM orgs o
		WHERE o.id IN (SELECT m.org_id FROM memberships m WHERE m.user_id IN (SELECT id FROM doomed))
		ORDER BY o.id
		FOR NO KEY UPDATE OF o`, userID); err != nil {
		return mapError(err, "Org")
	}
	rows, err := tx.Query(ctx, doomedSQL+`
		SELECT o.id, o.name,
			(SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.user_id NOT IN (SELECT id FROM doomed)),
			(SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'owner' AND m.user_id NOT IN (SELECT id FROM doomed))
		FROM orgs o
		WHERE o.id IN (SELECT m.org_id FROM memberships m WHERE m.role = 'owner' AND m.user_id IN (SELECT id FROM doomed))
		ORDER BY o.id`, userID)
	if err != nil {
		return mapError(err, "Org")
	}
	owned, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (record.OwnedOrg, error) {
		var o record.OwnedOrg
		err := row.Scan(&o.ID, &o.Name, &o.Survivors, &o.SurvivingOwners)
		return o, err
	})
	if err != nil {
		return mapError(err, "Org")
	}
	deleted, err := record.SettleOwnedOrgs(owned)
	if err != nil {
		return err
	}
	if len(deleted) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM orgs WHERE id = ANY($1)`, deleted); err != nil {
			return mapError(err, "Org")
		}
	}
	return nil
}
