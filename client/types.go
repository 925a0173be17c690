package client

import (
	"fmt"
	"time"

	"github.com/gatehouse-auth/gatehouse/apiwire"
)

// The API's JSON shapes are defined once, in package apiwire, for the server and the SDK; the
// names below re-export them.

// User is an account's public profile (GET /v1/me, PATCH /v1/me and the user of a Session).
// Owner is set only by GET /v1/me as an agent: the person who owns it.
type User = apiwire.User

// Owner names the person who owns an agent.
type Owner = apiwire.Owner

// Session is a new sign-in: the session token (a secret), when it expires and who it is for.
type Session = apiwire.Session

// SessionInfo is one of the caller's sessions as GET /v1/me/sessions lists it (never the
// token).
type SessionInfo = apiwire.SessionInfo

// RegisterRequest is the body of POST /v1/auth/register; Email and DisplayName are optional.
type RegisterRequest = apiwire.RegisterRequest

// ProfileUpdate is the body of PATCH /v1/me: nil fields are left unchanged.
type ProfileUpdate = apiwire.ProfileUpdate

// EmailChange is the answer of ChangeEmail: the new address, waiting for the code mailed to it
// (VerifyEmail). The answer is the same whether or not another account holds the address.
type EmailChange = apiwire.EmailChange

// Token lifetimes accepted by CreateToken.
const (
	Expires30Days = "30d"
	Expires90Days = "90d"
	Expires1Year  = "1y"
	ExpiresNever  = "never"
)

// CreateTokenRequest is the body of POST /v1/auth/tokens: ExpiresIn is Expires30Days,
// Expires90Days, Expires1Year or ExpiresNever; Scopes are "resource:action" (none: not limited
// by scopes).
type CreateTokenRequest = apiwire.CreateTokenRequest

// Token is a personal access token as lists show it (never the token itself).
type Token = apiwire.Token

// NewToken is a personal access token just created; Token is the secret, shown only here.
type NewToken = apiwire.NewToken

// CreateAgentRequest is the body of POST /v1/agents (Role optional).
type CreateAgentRequest = apiwire.CreateAgentRequest

// Agent is a bot or AI agent owned by a person (never its token).
type Agent = apiwire.Agent

// AgentWithToken is an agent and its agent token (a secret), as creation and rotation return
// them; the token is shown only here.
type AgentWithToken = apiwire.AgentWithToken

// Org is an organization (aka agency, workspace) with the caller's role in it (RoleOwner,
// RoleAdmin or RoleMember).
type Org = apiwire.Org

// Organization roles.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// Member is a member of an organization: a person or an agent.
type Member = apiwire.Member

// AddMemberRequest is the body of POST /v1/orgs/{org}/members: UserID or Username, and a role.
type AddMemberRequest = apiwire.AddMemberRequest

// API key environments.
const (
	EnvironmentLive = "live"
	EnvironmentTest = "test"
)

// CreateAPIKeyRequest describes a new API key for CreateAPIKey. It is the SDK's typed form of
// the body of POST /v1/orgs/{org}/api-keys: CreateAPIKey sends it as apiwire.CreateAPIKeyRequest
// (the shape the server reads, where the expiry and the rate limit are strings).
type CreateAPIKeyRequest struct {
	Name         string     `json:"name"`
	Scopes       []string   `json:"scopes"`                  // "resource:action"; "*:read", "*:write"
	Environment  string     `json:"environment"`             // EnvironmentLive or EnvironmentTest
	AllowedCIDRs []string   `json:"allowed_cidrs,omitempty"` // IPv4 and IPv6 prefixes; none: any address
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`    // nil: never expires
	RateLimit    string     `json:"rate_limit,omitempty"`    // "100/m" (N/s, N/m, N/h, N/d); "": none
}

// wire is the body CreateAPIKey sends: ExpiresAt as an RFC 3339 time, nil when unset, and
// RateLimit nil when "".
func (in CreateAPIKeyRequest) wire() (apiwire.CreateAPIKeyRequest, error) {
	out := apiwire.CreateAPIKeyRequest{Name: in.Name, Scopes: in.Scopes, Environment: in.Environment, AllowedCIDRs: in.AllowedCIDRs}
	if in.ExpiresAt != nil {
		b, err := in.ExpiresAt.MarshalText()
		if err != nil {
			return out, fmt.Errorf("expires_at: %w", err)
		}
		exp := string(b)
		out.ExpiresAt = &exp
	}
	if in.RateLimit != "" {
		rate := in.RateLimit
		out.RateLimit = &rate
	}
	return out, nil
}

// APIKey is an organization's API key as lists show it (never the key itself).
type APIKey = apiwire.APIKey

// NewAPIKey is an API key just created; Key is the secret, shown only here.
type NewAPIKey = apiwire.NewAPIKey

// RotatedAPIKey is the answer of a rotation: the new key (Key shown only here) and when the key
// it replaces stops working.
type RotatedAPIKey = apiwire.RotatedAPIKey

// VerifyRequest is the body of POST /v1/verify: the credential to check, the scopes it must
// hold and the address of the client that presented it (checked against API keys' allowed
// CIDRs; "": not checked).
type VerifyRequest = apiwire.VerifyRequest

// Verification is Gatehouse's answer about a credential. When Valid is false only Code (and,
// for CodeRateLimited, RetryAfter) is set.
type Verification = apiwire.Verification

// VerifiedPrincipal is who a verified credential acts as: a user (ID, Kind, Username; plus
// AgentID and OwnerID for an agent) or an organization's API key (OrgID, KeyID).
type VerifiedPrincipal = apiwire.VerifiedPrincipal
