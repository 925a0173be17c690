package sqlstore

import (
	"context"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// agentColumns is the column list agentTargets reads, in order.
const agentColumns = `id, user_id, owner_id, name, role, token_hash, token_prefix, verified_at,
	created_at, updated_at`

func agentTargets(a *gatehouse.Agent) []any {
	return []any{&a.ID, &a.UserID, &a.OwnerID, &a.Name, &a.Role, &a.TokenHash, &a.TokenPrefix,
		nullTimeCol{&a.VerifiedAt}, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}}
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
	a.CreatedAt = norm(a.CreatedAt)
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	a.UpdatedAt, a.VerifiedAt = norm(a.UpdatedAt), normPtr(a.VerifiedAt)
	if a.ID == "" {
		a.ID = gatehouse.NewID(gatehouse.PrefixAgent, a.CreatedAt, nil)
	}
	return s.inTx(ctx, func(tx conn) error {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO agents (`+agentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			a.ID, a.UserID, a.OwnerID, a.Name, a.Role, a.TokenHash, a.TokenPrefix, a.VerifiedAt,
			a.CreatedAt, a.UpdatedAt)
		return tx.d.mapError(err, "Owner")
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
	if err := s.read().row(ctx, query, arg).Scan(agentTargets(&a)...); err != nil {
		return nil, s.d.mapError(err, "Agent")
	}
	return &a, nil
}

// AgentByTokenHash returns the agent with that token hash and its account: one lookup on the
// unique token_hash index joined to the account by primary key.
func (s *Store) AgentByTokenHash(ctx context.Context, hash []byte) (*gatehouse.Agent, *gatehouse.User, error) {
	var a gatehouse.Agent
	u, err := scanUser(s.read().row(ctx, `SELECT `+userJoinColumns+`,
		a.id, a.user_id, a.owner_id, a.name, a.role, a.token_hash, a.token_prefix, a.verified_at,
		a.created_at, a.updated_at
		FROM agents a JOIN users u ON u.id = a.user_id
		WHERE a.token_hash = $1`, hash), agentTargets(&a)...)
	if err != nil {
		return nil, nil, s.d.mapError(err, "Agent")
	}
	return &a, u, nil
}

// ListAgents returns the owner's agents, oldest first (ties by ID); an empty list when none.
func (s *Store) ListAgents(ctx context.Context, ownerID string) ([]gatehouse.Agent, error) {
	rows, err := s.read().query(ctx, `SELECT `+agentColumns+` FROM agents
		WHERE owner_id = $1 ORDER BY created_at, id`, ownerID)
	return collect(s.d, rows, err, "Agent", func(r rowScanner) (gatehouse.Agent, error) {
		var a gatehouse.Agent
		return a, r.Scan(agentTargets(&a)...)
	})
}

// VerifyAgent marks the agent verified at at (also its update time).
func (s *Store) VerifyAgent(ctx context.Context, id, ownerID string, at time.Time) error {
	return s.execOne(ctx, "Agent", `UPDATE agents SET verified_at = $1, updated_at = $1
		WHERE id = $2 AND ($3 = '' OR owner_id = $3)`, at, id, ownerID)
}

// RotateAgentToken stores a new token hash and prefix and revokes the sessions of the agent's
// account active at at (reason "agent_rotated"), in one transaction. A hash in use is
// CodeConflict.
func (s *Store) RotateAgentToken(ctx context.Context, id, ownerID string, hash []byte, prefix string, at time.Time) error {
	if err := record.CheckTokenHash(hash, "agent"); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx conn) error {
		var userID string
		err := tx.row(ctx, `UPDATE agents SET token_hash = $1, token_prefix = $2, updated_at = $3
			WHERE id = $4 AND ($5 = '' OR owner_id = $6) RETURNING user_id`, hash, prefix, at, id, ownerID, ownerID).Scan(&userID)
		if err != nil {
			return tx.d.mapError(err, "Agent")
		}
		_, err = revokeActive(ctx, tx, userID, "", at, "agent_rotated")
		return err
	})
}

// TransferAgent gives the agent to newOwnerID with a new token hash and prefix, clears
// VerifiedAt, revokes the sessions of the agent's account active at at (reason
// "agent_transferred") and removes the account from every organization, in one transaction. An
// unknown agent or new owner is not found; a hash in use, or an agent that is the only owner of
// an organization, is CodeConflict (and nothing changes).
func (s *Store) TransferAgent(ctx context.Context, id, ownerID, newOwnerID string, hash []byte, prefix string, at time.Time) error {
	if err := record.CheckTokenHash(hash, "agent"); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx conn) error {
		var userID string
		err := tx.row(ctx, `UPDATE agents SET owner_id = $1, token_hash = $2, token_prefix = $3,
			verified_at = NULL, updated_at = $4
			WHERE id = $5 AND ($6 = '' OR owner_id = $7) RETURNING user_id`,
			newOwnerID, hash, prefix, at, id, ownerID, ownerID).Scan(&userID)
		if err != nil {
			return tx.d.mapError(err, "Agent or new owner")
		}
		if tx.d.locks { // its organizations, in one order (FOR NO KEY UPDATE: see keepsAnOwner)
			if _, err := tx.exec(ctx, `SELECT 1 FROM orgs WHERE id IN (SELECT org_id FROM memberships WHERE user_id = $1)
				ORDER BY id FOR NO KEY UPDATE`, userID); err != nil {
				return tx.d.mapError(err, "Member")
			}
		}
		var soleOwner int
		err = tx.row(ctx, `SELECT count(*) FROM memberships m
			WHERE m.user_id = $1 AND m.role = 'owner' AND NOT EXISTS (SELECT 1 FROM memberships o
				WHERE o.org_id = m.org_id AND o.role = 'owner' AND o.user_id <> m.user_id)`, userID).Scan(&soleOwner)
		if err != nil {
			return tx.d.mapError(err, "Member")
		}
		if soleOwner > 0 {
			return errAgentSoleOwner
		}
		if _, err := tx.exec(ctx, `DELETE FROM memberships WHERE user_id = $1`, userID); err != nil {
			return tx.d.mapError(err, "Member")
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
	return s.inTx(ctx, func(tx conn) error {
		var userID string
		err := tx.row(ctx, `SELECT user_id FROM agents WHERE id = $1 AND ($2 = '' OR owner_id = $3)`, id, ownerID, ownerID).Scan(&userID)
		if err != nil {
			return tx.d.mapError(err, "Agent")
		}
		if err := settleOwnedOrgs(ctx, tx, userID); err != nil {
			return err
		}
		res, err := tx.exec(ctx, deleteAccountsSQL(tx.d), userID)
		return tx.affectedOne(res, err, "Agent")
	})
}
