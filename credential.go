package gatehouse

import (
	"net/netip"
	"strings"
	"time"
)

// ID prefixes of the developer credentials.
const (
	PrefixPAT    = "pat"
	PrefixAgent  = "agt"
	PrefixAPIKey = "key"
)

// Credential kinds, as Principal.Credential and /v1/verify's "kind" report them.
const (
	CredentialSession      = "session"
	CredentialPAT          = "pat"
	CredentialAgentSession = "agent_session"
	CredentialAPIKey       = "api_key"
	CredentialClient       = "client" // a client_credentials access token (/v1/verify's kind)
)

// MaxActivePATs is how many unrevoked, unexpired personal access tokens a user may hold.
const MaxActivePATs = 10

// PersonalAccessToken is a user's long-lived bearer token for scripts and CI. Only its SHA-256
// is stored.
type PersonalAccessToken struct {
	ID           string // pat_...
	UserID       string
	Name         string
	TokenHash    []byte
	Prefix       string // display prefix, e.g. gth_pat_AbC…wxyz
	Scopes       []string
	CreatedAt    time.Time
	ExpiresAt    *time.Time // nil: never expires
	LastUsedAt   *time.Time
	LastUsedIP   string
	RevokedAt    *time.Time
	RevokeReason string
}

// Agent is a bot or AI agent owned by a user. It acts through its own account (a User with
// Kind KindAgent, UserID here) and can sign in with its agent token only once its owner has
// verified it.
type Agent struct {
	ID          string // agt_...
	UserID      string // the agent's own account
	OwnerID     string
	Name        string
	Role        string
	TokenHash   []byte
	TokenPrefix string
	VerifiedAt  *time.Time // nil: unverified; cleared again by a transfer
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Environments of API keys.
const (
	EnvironmentLive = "live"
	EnvironmentTest = "test"
)

// APIKey is an organization's key for backends. Only its SHA-256 is stored.
type APIKey struct {
	ID           string // key_...
	OrgID        string
	Name         string
	Environment  string // EnvironmentLive or EnvironmentTest
	Prefix       string // display prefix
	TokenHash    []byte
	Scopes       []string
	AllowedCIDRs []netip.Prefix // empty: any address
	RateLimit    *Rate          // nil: none beyond the instance's
	CreatedBy    string         // user ID
	CreatedAt    time.Time
	ExpiresAt    *time.Time // nil: never; a rotation sets it to the end of the overlap
	ReplacedBy   string     // set on the old key by a rotation
	LastUsedAt   *time.Time
	LastUsedIP   string
	RevokedAt    *time.Time
	RevokeReason string
}

// Active reports whether a credential with these revocation and expiry times is usable at now.
func Active(revokedAt, expiresAt *time.Time, now time.Time) bool {
	return revokedAt == nil && (expiresAt == nil || now.Before(*expiresAt))
}

// The reserved scopes: only an instance administrator with a recent session grants them.
// ReservedScopeVerify lets an API key call /v1/verify and introspection; ReservedScopeIntrospect
// lets an OAuth client (or an API key) introspect every token, not only those issued to it.
// Neither is ever put on a token: they are grants of the client or key itself.
const (
	ReservedScopeVerify     = "gatehouse:verify"
	ReservedScopeIntrospect = "gatehouse:introspect"
)

// IsReservedScope reports whether s is one of the reserved scopes.
func IsReservedScope(s string) bool { return s == ReservedScopeVerify || s == ReservedScopeIntrospect }

// ScopeAllows reports whether the granted scopes allow the required "resource:action" scope.
// "*:read" and "*:write" match every resource; "write" does not imply "read". The reserved
// gatehouse:* scopes match only themselves (no wildcard reaches them).
func ScopeAllows(granted []string, required string) bool {
	res, action, ok := strings.Cut(required, ":")
	if !ok {
		return false
	}
	for _, g := range granted {
		if g == required {
			return true
		}
		if res != "gatehouse" && g == "*:"+action {
			return true
		}
	}
	return false
}

// The scopes of Gatehouse's own API that any user may put on their own credentials (the
// authorization layer, package authz, reads them).
const (
	ScopeGatehouseRead  = "gatehouse:read"
	ScopeGatehouseWrite = "gatehouse:write"
)

// ValidateScopes checks that every scope is "resource:action" with a resource from resources
// (or "*") and an action of read or write, or gatehouse:read or gatehouse:write; the reserved
// scopes are allowed only with reserved.
func ValidateScopes(scopes, resources []string, reserved bool) error {
	for _, s := range scopes {
		if s == ScopeGatehouseRead || s == ScopeGatehouseWrite {
			continue
		}
		if IsReservedScope(s) {
			if !reserved {
				return Errorf(CodeInsufficientPerms, "Only instance administrators may grant %s.", s)
			}
			continue
		}
		res, action, ok := strings.Cut(s, ":")
		if !ok || (action != "read" && action != "write") {
			return Errorf(CodeInvalidRequest, "Scope %q must be resource:read or resource:write.", s)
		}
		if res != "*" && !contains(resources, res) {
			return Errorf(CodeInvalidRequest, "Scope %q names an unknown resource (known: %s).", s, strings.Join(resources, ", "))
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CredentialUse is one observed use of a credential, recorded in batches (never a database
// write per request).
type CredentialUse struct {
	Kind string // CredentialPAT or CredentialAPIKey
	ID   string
	At   time.Time
	IP   string
}
