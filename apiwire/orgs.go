package apiwire

import "time"

// Org is an organization (aka agency, workspace) with the caller's role in it.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"` // owner, admin or member
	JoinedAt  time.Time `json:"joined_at"`
	CreatedAt time.Time `json:"created_at"`
}

// Member is a member of an organization: a person or an agent.
type Member struct {
	UserID   string    `json:"user_id"`
	Username string    `json:"username"`
	Kind     string    `json:"kind"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

// AddMemberRequest is the body of POST /v1/orgs/{org}/members: UserID or Username (the other
// empty), and a role.
type AddMemberRequest struct {
	UserID   string `json:"user_id,omitempty"`
	Username string `json:"username,omitempty"`
	Role     string `json:"role"`
}

// CreateOrgRequest is the body of POST /v1/orgs.
type CreateOrgRequest struct {
	Name string `json:"name"`
}

// SetMemberRoleRequest is the body of PATCH /v1/orgs/{org}/members/{user}.
type SetMemberRoleRequest struct {
	Role string `json:"role"`
}

// AddAgentToOrgRequest is the body of POST /v1/orgs/{org}/agents: one of the caller's agents
// and its role ("" is the same as leaving it out: the server's default, member).
type AddAgentToOrgRequest struct {
	AgentID string `json:"agent_id"`
	Role    string `json:"role,omitempty"`
}
