package client

import "time"

// User is an account's public profile (GET /v1/me, PATCH /v1/me and the user of a Session).
type User struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"` // "user" or "agent"
	Username      string    `json:"username"`
	DisplayName   string    `json:"display_name"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	AvatarURL     string    `json:"avatar_url"`
	BannerURL     string    `json:"banner_url"`
	Description   string    `json:"description"`
	Theme         string    `json:"theme"`
	Font          string    `json:"font"`
	IsAdmin       bool      `json:"is_admin"`
	CreatedAt     time.Time `json:"created_at"`
	// Owner is the person who owns an agent (GET /v1/me as an agent); nil otherwise.
	Owner *Owner `json:"owner,omitempty"`
}

// Owner names the person who owns an agent.
type Owner struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

// Session is a new sign-in: the session token (a secret), when it expires and who it is for.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
}

// SessionInfo is one of the caller's sessions as GET /v1/me/sessions lists it (never the
// token).
type SessionInfo struct {
	ID         string    `json:"id"`
	Prefix     string    `json:"prefix"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"` // the session making the request
}

// RegisterRequest is the body of POST /v1/auth/register.
type RegisterRequest struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
}

// ProfileUpdate is the body of PATCH /v1/me: nil fields are left unchanged.
type ProfileUpdate struct {
	Email       *string `json:"email,omitempty"`
	DisplayName *string `json:"display_name,omitempty"`
	AvatarURL   *string `json:"avatar_url,omitempty"`
	BannerURL   *string `json:"banner_url,omitempty"`
	Description *string `json:"description,omitempty"`
	Theme       *string `json:"theme,omitempty"`
	Font        *string `json:"font,omitempty"`
}

// Token lifetimes accepted by CreateToken.
const (
	Expires30Days = "30d"
	Expires90Days = "90d"
	Expires1Year  = "1y"
	ExpiresNever  = "never"
)

// CreateTokenRequest is the body of POST /v1/auth/tokens.
type CreateTokenRequest struct {
	Name      string   `json:"name"`
	ExpiresIn string   `json:"expires_in"`       // Expires30Days, Expires90Days, Expires1Year or ExpiresNever
	Scopes    []string `json:"scopes,omitempty"` // "resource:action"; none: not limited by scopes
}

// Token is a personal access token as lists show it (never the token itself).
type Token struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"` // nil: never expires
	LastUsedAt *time.Time `json:"last_used_at"`
}

// NewToken is a personal access token just created; Token is the secret, shown only here.
type NewToken struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Token     string     `json:"token"`
	Prefix    string     `json:"prefix"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// CreateAgentRequest is the body of POST /v1/agents.
type CreateAgentRequest struct {
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
}

// Agent is a bot or AI agent owned by a person (never its token).
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

// Org is an organization (aka agency, workspace) with the caller's role in it.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"` // owner, admin or member
	JoinedAt  time.Time `json:"joined_at"`
	CreatedAt time.Time `json:"created_at"`
}

// Organization roles.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Member is a member of an organization: a person or an agent.
type Member struct {
	UserID   string    `json:"user_id"`
	Username string    `json:"username"`
	Kind     string    `json:"kind"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

// AddMemberRequest is the body of POST /v1/orgs/{org}/members: UserID or Username, and a role.
type AddMemberRequest struct {
	UserID   string `json:"user_id,omitempty"`
	Username string `json:"username,omitempty"`
	Role     string `json:"role"`
}

// API key environments.
const (
	EnvironmentLive = "live"
	EnvironmentTest = "test"
)

// CreateAPIKeyRequest is the body of POST /v1/orgs/{org}/api-keys.
type CreateAPIKeyRequest struct {
	Name         string     `json:"name"`
	Scopes       []string   `json:"scopes"`                  // "resource:action"; "*:read", "*:write"
	Environment  string     `json:"environment"`             // EnvironmentLive or EnvironmentTest
	AllowedCIDRs []string   `json:"allowed_cidrs,omitempty"` // IPv4 and IPv6 prefixes; none: any address
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`    // nil: never expires
	RateLimit    string     `json:"rate_limit,omitempty"`    // "100/m" (N/s, N/m, N/h, N/d); "": none
}

// APIKey is an organization's API key as lists show it (never the key itself).
type APIKey struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Prefix       string     `json:"prefix"`
	Environment  string     `json:"environment"`
	Scopes       []string   `json:"scopes"`
	AllowedCIDRs []string   `json:"allowed_cidrs"`
	RateLimit    *string    `json:"rate_limit"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	LastUsedIP   string     `json:"last_used_ip"`
	CreatedBy    string     `json:"created_by"`
}

// NewAPIKey is an API key just created; Key is the secret, shown only here.
type NewAPIKey struct {
	APIKey
	Key string `json:"key"`
}

// RotatedAPIKey is the answer of a rotation: the new key (Key shown only here) and when the key
// it replaces stops working.
type RotatedAPIKey struct {
	NewAPIKey
	Replaces          string    `json:"replaces"`
	ReplacesExpiresAt time.Time `json:"replaces_expires_at"`
}

// VerifyRequest is the body of POST /v1/verify: the credential to check, the scopes it must
// hold and the address of the client that presented it (checked against API keys' allowed
// CIDRs; "": not checked).
type VerifyRequest struct {
	Token  string   `json:"token"`
	Scopes []string `json:"scopes,omitempty"`
	IP     string   `json:"ip,omitempty"`
}

// Verification is Gatehouse's answer about a credential. When Valid is false only Code (and,
// for CodeRateLimited, RetryAfter) is set.
type Verification struct {
	Valid bool   `json:"valid"`
	Code  string `json:"code,omitempty"` // why not valid: invalid_token, expired_token, invalid_api_key, expired_api_key, insufficient_permissions, ip_not_allowed, agent_not_verified, rate_limited
	// RetryAfter is how long to wait with CodeRateLimited.
	RetryAfter time.Duration `json:"-"`

	Kind      string            `json:"kind,omitempty"` // the credential kind: session, pat, api_key, ...
	Principal VerifiedPrincipal `json:"principal"`
	// Org and Environment are set for API keys.
	Org         string `json:"org,omitempty"`
	Environment string `json:"environment,omitempty"`
	// Scopes are the credential's scopes. Unrestricted is true when it is not limited by scopes
	// at all (a session, or a personal access token made without scopes).
	Scopes       []string   `json:"scopes"`
	Unrestricted bool       `json:"-"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"` // nil: never expires
}

// VerifiedPrincipal is who a verified credential acts as: a user (ID, Kind, Username; plus
// AgentID and OwnerID for an agent) or an organization's API key (OrgID, KeyID).
type VerifiedPrincipal struct {
	ID       string `json:"id,omitempty"`
	Kind     string `json:"kind,omitempty"`
	Username string `json:"username,omitempty"`
	AgentID  string `json:"agent_id,omitempty"`
	OwnerID  string `json:"owner_id,omitempty"`
	OrgID    string `json:"org_id,omitempty"`
	KeyID    string `json:"key_id,omitempty"`
}
