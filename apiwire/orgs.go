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
