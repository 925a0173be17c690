package apiwire

import "time"

// CreateAgentRequest is the body of POST /v1/agents.
type CreateAgentRequest struct {
	Name string `json:"name"`
	Role string `json:"role,omitempty"` // optional: "" is the same as leaving it out
}

// Agent is a bot or AI agent owned by a person (never its token, only the display prefix).
type Agent struct {
	ID          string     `json:"id"`
	UserID      string     `json:"user_id"` // the agent's own account
	OwnerID     string     `json:"owner_id"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
	TokenPrefix string     `json:"token_prefix"`
	Verified    bool       `json:"verified"`
	VerifiedAt  *time.Time `json:"verified_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// AgentWithToken is an agent and its agent token (a secret), as creation and rotation return
// them; the token is shown only here.
type AgentWithToken struct {
	Agent      Agent  `json:"agent"`
	AgentToken string `json:"agent_token"`
}

// TransferAgentRequest is the body of POST /v1/agents/{id}/transfer.
type TransferAgentRequest struct {
	NewOwner string `json:"new_owner"` // a username or a user ID
}

// AgentSignInRequest is the body of POST /v1/auth/agent: the agent token (a secret) to exchange
// for an agent session.
type AgentSignInRequest struct {
	AgentToken string `json:"agent_token"`
}
