package postgres

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
	"github.com/jackc/pgx/v5"
)

// agentColumns is the column list agentTargets reads, in order.
const agentColumns = `id, user_id, owner_id, name, role, token_hash, token_prefix, verified_at,
	created_at, updated_at`

func agentTargets(a *gatehouse.Agent) []any {
	return []any{&a.ID, &a.UserID, &a.OwnerID, &a.Name, &a.Role, &a.TokenHash, &a.TokenPrefix,
		&a.VerifiedAt, &a.CreatedAt, &a.UpdatedAt}
}

func agentUTC(a *gatehouse.Agent) {
	a.VerifiedAt = utcPtr(a.VerifiedAt)
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
}

// CreateAgent inserts the agent's account u and the agent a in one transaction. u is filled as
// CreateUser fills it, with Kind KindAgent; a gets an empty ID, a zero CreatedAt (u's),
// UpdatedAt (CreatedAt) and UserID (u.ID) filled. Another kind of account, or an a.UserID that
// is not u's, is CodeInvalidRequest; an unknown owner not found.
func (s *Store) CreateAgent(ctx context.Context, a *gatehouse.Agent, u *gatehouse.User) error {
	if err := record.CheckTokenHash(a.TokenHash, "agent"); err != nil {
		return err
	}
	record.FillUser(u, gatehouse.KindAgent)
	if u.Kind != gatehouse.KindAgent {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An agent's account must be of kind %q.", gatehouse.KindAgent)
	}
	if a.UserID == "" {
		a.UserID = u.ID
	}
	if a.UserID != u.ID {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An agent must name its new account.")
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = u.CreatedAt
	}
	a.CreatedAt = ts(a.CreatedAt)
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	a.UpdatedAt, a.VerifiedAt = ts(a.UpdatedAt), tsPtr(a.VerifiedAt)
	if a.ID == "" {
		a.ID = gatehouse.NewID(gatehouse.PrefixAgent, a.CreatedAt, nil)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO agents (`+agentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			a.ID, a.UserID, a.OwnerID, a.Name, a.Role, a.TokenHash, a.TokenPrefix, a.VerifiedAt,
			a.CreatedAt, a.UpdatedAt)
		return mapError(err, "Owner")
	})
}

// AgentByID returns the agent with that ID.
func (s *Store) AgentByID(ctx context.Context, id string) (*gatehouse.Agent, error) {
	return s.agent(ctx, `SELECT `+agentColumns+` FROM agents WHERE id = $1`, id)
}

// AgentByUserID returns the agent whose account is userID.
func (s *Store) AgentByUserID(ctx context.Context, userID string) (*gatehouse.Agent, error) {
	return s.agent(ctx, `SELECT `+agentColumns+` FROM agents WHERE user_id = $1`, userID)
}

func (s *Store) agent(ctx context.Context, query, arg string) (*gatehouse.Agent, error) {
	var a gatehouse.Agent
	if err := s.pool.QueryRow(ctx, query, arg).Scan(agentTargets(&a)...); err != nil {
		return nil, mapError(err, "Agent")
	}
	agentUTC(&a)
	return &a, nil
}

// AgentByTokenHash returns the agent with that token hash and its account: one lookup on the
// unique token_hash index joined to the account by primary key.
func (s *Store) AgentByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Agent, *gatehouse.User, error) {
	var a gatehouse.Agent
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT u.id, u.kind, u.username, u.email, u.email_verified,
		u.display_name, u.avatar_url, u.banner_url, u.description, u.theme, u.font, u.password_hash,
		u.is_admin, u.disabled_at, u.created_at, u.updated_at, u.credentials_changed_at,
		a.id, a.user_id, a.owner_id, a.name, a.role, a.token_hash, a.token_prefix, a.verified_at,
		a.created_at, a.updated_at
		FROM agents a JOIN users u ON u.id = a.user_id
		WHERE a.token_hash = $1`, hash), agentTargets(&a)...)
	if err != nil {
		return nil, nil, mapError(err, "Agent")
	}
	agentUTC(&a)
	return &a, u, nil
}

// ListAgents returns the owner's agents, oldest first (ties by ID); an empty list when none.
func (s *Store) ListAgents(ctx context.Context, ownerID string) ([]gatehouse.Agent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+agentColumns+` FROM agents
		WHERE owner_id = $1 ORDER BY created_at, id`, ownerID)
	if err != nil {
		return nil, mapError(err, "Agent")
	}
	defer rows.Close()
	out := []gatehouse.Agent{}
	for rows.Next() {
		var a gatehouse.Agent
		if err := rows.Scan(agentTargets(&a)...); err != nil {
			return nil, mapError(err, "Agent")
		}
		agentUTC(&a)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Agent")
	}
	return out, nil
}

// VerifyAgent marks the agent verified at at (also its update time).
func (s *Store) VerifyAgent(ctx context.Context, id, ownerID string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE agents SET verified_at = $1, updated_at = $1
		WHERE id = $2 AND ($3 = '' OR owner_id = $3)`, ts(at), id, ownerID)
	if err != nil {
		return mapError(err, "Agent")
	}
	if tag.RowsAffected() == 0 {
		return notFound("Agent")
	}
	return nil
}

// RotateAgentToken stores a new token hash and prefix and revokes the sessions of the agent's
// account active at at (reason "agent_rotated"), in one transaction. A hash in use is
// CodeConflict.
func (s *Store) RotateAgentToken(ctx context.Context, id, ownerID string, hash []byte, prefix string, at time.Time) error {
	if err := record.CheckTokenHash(hash, "agent"); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var userID string
		err := tx.QueryRow(ctx, `UPDATE agents SET token_hash = $1, token_prefix = $2, updated_at = $3
			WHERE id = $4 AND ($5 = '' OR owner_id = $5) RETURNING user_id`, hash, prefix, ts(at), id, ownerID).Scan(&userID)
		if err != nil {
			return mapError(err, "Agent")
		}
		_, err = revokeActive(ctx, tx, userID, "", at, "agent_rotated")
		return err
	})
}

// TransferAgent gives the agent to newOwnerID with a new token hash and prefix, clears
// VerifiedAt, revokes the sessions of the agent's account active at at (reason
// "agent_transferred") and removes the account from every organization, in one transaction. The
// organizations' rows are locked first (as SetMemberRole does), so their owner count cannot
// change before the memberships go. An unknown agent or new owner is not found; a hash in use,
// or an agent that is the only owner of an organization, is CodeConflict (and nothing changes).
func (s *Store) TransferAgent(ctx context.Context, id, ownerID, newOwnerID string, hash []byte, prefix string, at time.Time) error {
	if err := record.CheckTokenHash(hash, "agent"); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var userID string
		err := tx.QueryRow(ctx, `UPDATE agents SET owner_id = $1, token_hash = $2, token_prefix = $3,
			verified_at = NULL, updated_at = $4
			WHERE id = $5 AND ($6 = '' OR owner_id = $6) RETURNING user_id`,
			newOwnerID, hash, prefix, ts(at), id, ownerID).Scan(&userID)
		if err != nil {
			return mapError(err, "Agent or new owner")
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM orgs WHERE id IN (SELECT org_id FROM memberships WHERE user_id = $1)
			ORDER BY id FOR NO KEY UPDATE`, userID); err != nil {
			return mapError(err, "Member")
		}
		var soleOwner int
		err = tx.QueryRow(ctx, `SELECT count(*) FROM memberships m
			WHERE m.user_id = $1 AND m.role = 'owner' AND NOT EXISTS (SELECT 1 FROM memberships o
				WHERE o.org_id = m.org_id AND o.role = 'owner' AND o.user_id <> m.user_id)`, userID).Scan(&soleOwner)
		if err != nil {
			return mapError(err, "Member")
		}
		if soleOwner > 0 {
			return errAgentSoleOwner
		}
		if _, err := tx.Exec(ctx, `DELETE FROM memberships WHERE user_id = $1`, userID); err != nil {
			return mapError(err, "Member")
		}
		_, err = revokeActive(ctx, tx, userID, "", at, "agent_transferred")
		return err
	})
}

// errAgentSoleOwner refuses to transfer an agent that an organization would be left without
// an owner by.
var errAgentSoleOwner = gatehouse.Errorf(gatehouse.CodeConflict, "The agent is the only owner of an organization; make someone else owner first.")

// DeleteAgent deletes the agent's account (and so the agent, the account's sessions,
// memberships and tokens, and the accounts of agents it owns) in one transaction, settling the
// organizations it owns first as DeleteUser does.
func (s *Store) DeleteAgent(ctx context.Context, id, ownerID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var userID string
		err := tx.QueryRow(ctx, `SELECT user_id FROM agents WHERE id = $1 AND ($2 = '' OR owner_id = $2)`, id, ownerID).Scan(&userID)
		if err != nil {
			return mapError(err, "Agent")
		}
		if err := settleOwnedOrgs(ctx, tx, userID); err != nil {
			return err
		}
		return deleteAccounts(ctx, tx, `SELECT $1::text COLLATE "C"`, "Agent", userID)
	})
}
