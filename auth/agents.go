package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// Audit event types of agents.
const (
	EventAgentCreated     = "agent.created"
	EventAgentVerified    = "agent.verified"
	EventAgentRotated     = "agent.rotated"
	EventAgentTransferred = "agent.transferred"
	EventAgentDeleted     = "agent.deleted"
)

// Bounds of an agent's descriptive fields.
const (
	maxAgentName = 100
	maxAgentRole = 64
)

// agentUsernamePrefix starts the generated username of every agent's account.
const agentUsernamePrefix = "agent-"

// agentUsernameRandom is how many random characters follow the prefix (base36: ~51 bits).
const agentUsernameRandom = 10

var (
	errAgentNotFound    = &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: "No such agent."}
	errAgentNotVerified = &gatehouse.Error{Code: gatehouse.CodeAgentNotVerified, Message: "The agent has not been verified by its owner."}
	errAgentManagers    = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "Only a person's account can manage agents."}
)

// AgentsStore is what the agent use cases read and write: the agents, the accounts of their
// owners (a transfer names the new one by ID or username) and the audit trail.
type AgentsStore interface {
	gatehouse.AgentStore
	UserByID(ctx context.Context, id string) (*gatehouse.User, error)
	UserByUsername(ctx context.Context, username string) (*gatehouse.User, error)
	auditAppender
}

// Agents manages a person's agents: create, list, verify, rotate, transfer, delete. The
// agent's sign-in (AgentSignIn) starts a session and stays with Service. It holds only
// AgentsStore. Safe for concurrent use.
type Agents struct {
	recorder // clock, randomness, logger, audit trail
	store    AgentsStore
	tokens   token.Generator
}

// NewAgents returns the agent service for tokens of brand; opts' Now, Random and Logger are
// used.
func NewAgents(store AgentsStore, brand string, opts Options) *Agents {
	return &Agents{recorder: newRecorder(opts, store), store: store, tokens: token.Generator{Brand: brand, Rand: opts.Random}}
}

// AgentInput describes a new agent.
type AgentInput struct {
	Name string
	Role string // optional free-text label
}

// AgentGrant is an agent with its token, which is shown only here.
type AgentGrant struct {
	Agent *gatehouse.Agent
	User  *gatehouse.User // the agent's own account
	Token string
}

// Create creates an agent owned by the caller, with its own account (Kind agent, a generated
// username, no password), and returns its token once. The agent is unverified: it cannot sign in
// until its owner verifies it.
func (s *Agents) Create(ctx context.Context, p *gatehouse.Principal, in AgentInput, meta Meta) (*AgentGrant, error) {
	if err := agentManager(p); err != nil {
		return nil, err
	}
	name, role := strings.TrimSpace(in.Name), strings.TrimSpace(in.Role)
	if name == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "name is required.")
	}
	if err := checkProfileText("name", name, maxAgentName); err != nil {
		return nil, err
	}
	if err := checkProfileText("role", role, maxAgentRole); err != nil {
		return nil, err
	}
	tok, err := s.tokens.New(token.KindAgent)
	if err != nil {
		return nil, err
	}
	// A clash of generated usernames is astronomically unlikely, but a person may have taken the
	// name: draw again a few times.
	for attempt := 0; ; attempt++ {
		username, err := s.agentUsername()
		if err != nil {
			return nil, err
		}
		now := s.now()
		u := &gatehouse.User{
			ID:          s.newID(gatehouse.PrefixUser),
			Kind:        gatehouse.KindAgent,
			Username:    username,
			DisplayName: truncate(name, 64),
			CreatedAt:   now,
			UpdatedAt:   now,
		}
		a := &gatehouse.Agent{
			ID:          s.newID(gatehouse.PrefixAgent),
			UserID:      u.ID,
			OwnerID:     p.User.ID,
			Name:        name,
			Role:        role,
			TokenHash:   token.Hash(tok),
			TokenPrefix: token.DisplayPrefix(tok),
			CreatedAt:   now,
			UpdatedAt:   now,
		}
		err = s.store.CreateAgent(ctx, a, u)
		if gatehouse.ErrorCode(err) == gatehouse.CodeUsernameTaken && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create agent: %w", err)
		}
		s.audit(ctx, EventAgentCreated, p.User.ID, a.ID, meta, map[string]any{"agent_user_id": u.ID, "name": name})
		return &AgentGrant{Agent: a, User: u, Token: tok}, nil
	}
}

// agentUsername draws "agent-" and 10 random base36 characters (lowercase letters and digits),
// uniformly by rejection sampling.
func (s *Agents) agentUsername() (string, error) {
	const alphabet36 = "0123456789abcdefghijklmnopqrstuvwxyz"
	const acceptBelow = 36 * (256 / 36) // 252
	r := s.random
	if r == nil {
		r = rand.Reader
	}
	out := make([]byte, 0, len(agentUsernamePrefix)+agentUsernameRandom)
	out = append(out, agentUsernamePrefix...)
	var buf [16]byte
	for len(out) < cap(out) {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", fmt.Errorf("agent username: reading randomness: %w", err)
		}
		for _, b := range buf {
			if b < acceptBelow && len(out) < cap(out) {
				out = append(out, alphabet36[b%36])
			}
		}
	}
	return string(out), nil
}

// agentManager refuses principals that may not manage agents: only a person acting as themself
// (a session or a personal access token of a user account) may.
func agentManager(p *gatehouse.Principal) error {
	if p == nil || p.User == nil || p.APIKey != nil || p.Agent != nil || p.User.Kind != gatehouse.KindUser {
		return errAgentManagers
	}
	if thirdPartyApp(p) {
		return errThirdPartyApp
	}
	return nil
}

// ownedAgent returns the caller's agent id; another owner's agent is not found, so that its
// existence is not revealed.
func (s *Agents) ownedAgent(ctx context.Context, p *gatehouse.Principal, id string) (*gatehouse.Agent, error) {
	if err := agentManager(p); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(id, gatehouse.PrefixAgent+"_") {
		return nil, errAgentNotFound
	}
	a, err := s.store.AgentByID(ctx, id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, errAgentNotFound
	}
	if err != nil {
		return nil, err
	}
	if a.OwnerID != p.User.ID {
		return nil, errAgentNotFound
	}
	return a, nil
}

// List returns the caller's agents, oldest first.
func (s *Agents) List(ctx context.Context, p *gatehouse.Principal) ([]gatehouse.Agent, error) {
	if err := agentManager(p); err != nil {
		return nil, err
	}
	return s.store.ListAgents(ctx, p.User.ID)
}

// Get returns one of the caller's agents.
func (s *Agents) Get(ctx context.Context, p *gatehouse.Principal, id string) (*gatehouse.Agent, error) {
	return s.ownedAgent(ctx, p, id)
}

// Verify lets the caller's agent exchange its token for sessions. Verifying a verified
// agent changes nothing.
func (s *Agents) Verify(ctx context.Context, p *gatehouse.Principal, id string, meta Meta) (*gatehouse.Agent, error) {
	a, err := s.ownedAgent(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if a.VerifiedAt != nil {
		return a, nil
	}
	now := s.now()
	if err := s.store.VerifyAgent(ctx, a.ID, p.User.ID, now); err != nil {
		return nil, fmt.Errorf("verify agent: %w", err)
	}
	a.VerifiedAt, a.UpdatedAt = &now, now
	s.audit(ctx, EventAgentVerified, p.User.ID, a.ID, meta, nil)
	return a, nil
}

// Rotate gives the caller's agent a new token (returned once) and, atomically, ends the old
// token and every session of the agent.
func (s *Agents) Rotate(ctx context.Context, p *gatehouse.Principal, id string, meta Meta) (*AgentGrant, error) {
	a, err := s.ownedAgent(ctx, p, id)
	if err != nil {
		return nil, err
	}
	tok, err := s.tokens.New(token.KindAgent)
	if err != nil {
		return nil, err
	}
	now := s.now()
	hash, prefix := token.Hash(tok), token.DisplayPrefix(tok)
	if err := s.store.RotateAgentToken(ctx, a.ID, p.User.ID, hash, prefix, now); err != nil {
		return nil, fmt.Errorf("rotate agent token: %w", err)
	}
	a.TokenHash, a.TokenPrefix, a.UpdatedAt = hash, prefix, now
	s.audit(ctx, EventAgentRotated, p.User.ID, a.ID, meta, nil)
	return &AgentGrant{Agent: a, Token: tok}, nil
}

// Transfer gives the caller's agent to another person, named by username or user ID.
// Atomically, the agent's token is replaced by a new one that nobody is shown (the previous
// owner knows the old one: it fails at once), its sessions end, it leaves every organization,
// and it stays unverified until the new owner verifies it; the new owner gets a token with
// RotateAgent. An agent that is the only owner of an organization is not transferred (conflict).
func (s *Agents) Transfer(ctx context.Context, p *gatehouse.Principal, id, newOwner string, meta Meta) (*gatehouse.Agent, error) {
	a, err := s.ownedAgent(ctx, p, id)
	if err != nil {
		return nil, err
	}
	newOwner = strings.TrimSpace(newOwner)
	if newOwner == "" {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "new_owner is required.")
	}
	var to *gatehouse.User
	if strings.HasPrefix(newOwner, gatehouse.PrefixUser+"_") {
		to, err = s.store.UserByID(ctx, newOwner)
	} else {
		to, err = s.store.UserByUsername(ctx, newOwner)
	}
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		return nil, gatehouse.Errorf(gatehouse.CodeNotFound, "No such user.")
	case err != nil:
		return nil, err
	case to.Kind != gatehouse.KindUser || to.Disabled():
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "An agent can be transferred only to an active person's account.")
	case to.ID == a.OwnerID:
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The agent already belongs to this account.")
	}
	// Nobody is shown this token: it only replaces the one the previous owner knows.
	tok, err := s.tokens.New(token.KindAgent)
	if err != nil {
		return nil, err
	}
	now := s.now()
	hash, prefix := token.Hash(tok), token.DisplayPrefix(tok)
	if err := s.store.TransferAgent(ctx, a.ID, p.User.ID, to.ID, hash, prefix, now); err != nil {
		return nil, fmt.Errorf("transfer agent: %w", err)
	}
	from := a.OwnerID
	a.OwnerID, a.VerifiedAt, a.UpdatedAt = to.ID, nil, now
	a.TokenHash, a.TokenPrefix = hash, prefix
	s.audit(ctx, EventAgentTransferred, p.User.ID, a.ID, meta, map[string]any{"from": from, "to": to.ID})
	return a, nil
}

// Delete deletes the caller's agent with its account and sessions.
func (s *Agents) Delete(ctx context.Context, p *gatehouse.Principal, id string, meta Meta) error {
	a, err := s.ownedAgent(ctx, p, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAgent(ctx, a.ID, p.User.ID); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			return errAgentNotFound
		}
		return fmt.Errorf("delete agent: %w", err)
	}
	s.audit(ctx, EventAgentDeleted, p.User.ID, a.ID, meta, map[string]any{"agent_user_id": a.UserID})
	return nil
}

// Owner returns the owner of the agent a.
func (s *Agents) Owner(ctx context.Context, a *gatehouse.Agent) (*gatehouse.User, error) {
	return s.store.UserByID(ctx, a.OwnerID)
}
