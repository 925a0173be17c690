package sqlstore

import (
	"context"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// CreateOrg inserts o and, in the same transaction, the given memberships; a name taken in any
// case is CodeConflict. It fills an empty ID and a zero CreatedAt (now); a membership's empty
// OrgID becomes o's ID and its zero CreatedAt o's CreatedAt.
func (s *Store) CreateOrg(ctx context.Context, o *gatehouse.Org, members ...gatehouse.Membership) error {
	o.CreatedAt = norm(orNow(o.CreatedAt))
	if o.ID == "" {
		o.ID = gatehouse.NewID(gatehouse.PrefixOrg, o.CreatedAt, nil)
	}
	ms, err := orgMemberships(o, members)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx conn) error {
		_, err := tx.exec(ctx, `INSERT INTO orgs (id, name, name_lower, created_at) VALUES ($1, $2, $3, $4)`,
			o.ID, o.Name, strings.ToLower(o.Name), o.CreatedAt)
		if err != nil {
			return tx.d.mapError(err, "Organization")
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
	if err := s.read().row(ctx, query, arg).Scan(&o.ID, &o.Name, timeCol{&o.CreatedAt}); err != nil {
		return nil, s.d.mapError(err, "Organization")
	}
	return &o, nil
}

// AddMember adds a membership (CreatedAt now when zero); already a member is CodeConflict, an
// unknown org or user not found.
func (s *Store) AddMember(ctx context.Context, m gatehouse.Membership) error {
	m.CreatedAt = orNow(m.CreatedAt)
	if err := record.CheckMembership(m); err != nil {
		return err
	}
	return s.autocommit(func(w conn) error { return insertMembership(ctx, w, m) })
}

func insertMembership(ctx context.Context, tx conn, m gatehouse.Membership) error {
	_, err := tx.exec(ctx, `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		m.OrgID, m.UserID, string(m.Role), m.CreatedAt)
	return tx.d.mapError(err, "Organization or user")
}

// ListUserOrgs returns the user's organizations, oldest membership first.
func (s *Store) ListUserOrgs(ctx context.Context, userID string) ([]gatehouse.OrgMembership, error) {
	rows, err := s.read().query(ctx, `SELECT o.id, o.name, o.created_at, m.role, m.created_at
		FROM memberships m JOIN orgs o ON o.id = m.org_id
		WHERE m.user_id = $1
		ORDER BY m.created_at, m.org_id`, userID)
	return collect(s.d, rows, err, "Organization", func(r rowScanner) (gatehouse.OrgMembership, error) {
		var om gatehouse.OrgMembership
		var role string
		err := r.Scan(&om.Org.ID, &om.Org.Name, timeCol{&om.Org.CreatedAt}, &role, timeCol{&om.JoinedAt})
		om.Role = gatehouse.Role(role)
		return om, err
	})
}

// doomedSQL selects the accounts an account's deletion removes: the account (the parameter) and
// the accounts of the agents it owns, recursively.
func doomedSQL(d *dialect) string {
	return `WITH RECURSIVE doomed(id) AS (
		` + selectID(d) + `
		UNION
		SELECT a.user_id FROM agents a JOIN doomed d ON a.owner_id = d.id
	)`
}

// settleOwnedOrgs runs in DeleteUser's transaction, before the accounts go: it refuses the
// deletion when an organization the accounts own would keep members but no owner, and deletes
// the organizations that would keep no member, with their API keys and OAuth clients (ON DELETE
// CASCADE; the credential cache sees the commit like any other).
func settleOwnedOrgs(ctx context.Context, tx conn, userID string) error {
	if tx.d.locks { // the organizations concerned, in one order (FOR NO KEY UPDATE: see keepsAnOwner)
		if _, err := tx.exec(ctx, doomedSQL(tx.d)+`
			SELECT o.id FROM orgs o
			WHERE o.id IN (SELECT m.org_id FROM memberships m WHERE m.user_id IN (SELECT id FROM doomed))
			ORDER BY o.id
			FOR NO KEY UPDATE OF o`, userID); err != nil {
			return tx.d.mapError(err, "Org")
		}
	}
	rows, err := tx.query(ctx, doomedSQL(tx.d)+`
		SELECT o.id, o.name,
			(SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.user_id NOT IN (SELECT id FROM doomed)),
			(SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'owner' AND m.user_id NOT IN (SELECT id FROM doomed))
		FROM orgs o
		WHERE o.id IN (SELECT m.org_id FROM memberships m WHERE m.role = 'owner' AND m.user_id IN (SELECT id FROM doomed))
		ORDER BY o.id`, userID)
	if err != nil {
		return tx.d.mapError(err, "Org")
	}
	var owned []record.OwnedOrg
	for rows.Next() {
		var o record.OwnedOrg
		if err := rows.Scan(&o.ID, &o.Name, &o.Survivors, &o.SurvivingOwners); err != nil {
			rows.Close()
			return tx.d.mapError(err, "Org")
		}
		owned = append(owned, o)
	}
	if err := rows.Close(); err != nil {
		return tx.d.mapError(err, "Org")
	}
	if err := rows.Err(); err != nil {
		return tx.d.mapError(err, "Org")
	}
	deleted, err := record.SettleOwnedOrgs(owned)
	if err != nil {
		return err
	}
	for _, id := range deleted {
		if _, err := tx.exec(ctx, `DELETE FROM orgs WHERE id = $1`, id); err != nil {
			return tx.d.mapError(err, "Org")
		}
	}
	return nil
}
