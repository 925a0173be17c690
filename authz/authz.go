package authz

import (
	"slices"

	"github.com/gatehouse-auth/gatehouse"
)

// Kind is the kind of credential a request presents, as the grant table distinguishes them.
type Kind string

// The credential kinds.
const (
	KindSession      Kind = "session"       // a person's browser or API session
	KindPAT          Kind = "pat"           // a personal access token
	KindCLIToken     Kind = "cli_token"     // an access token of the built-in CLI client
	KindAppToken     Kind = "app_token"     // an access token of a third-party OAuth app
	KindClient       Kind = "client"        // a client_credentials access token (subject = client)
	KindAgentSession Kind = "agent_session" // an agent's session
	KindAPIKey       Kind = "api_key"       // an organization's API key
)

// Kinds lists every credential kind, for tables and tests.
var Kinds = []Kind{KindSession, KindPAT, KindCLIToken, KindAppToken, KindClient, KindAgentSession, KindAPIKey}

// The reserved scopes of Gatehouse's own API (gatehouse:*): no wildcard reaches them.
const (
	ScopeRead       = gatehouse.ScopeGatehouseRead      // GET of the caller's own resources
	ScopeWrite      = gatehouse.ScopeGatehouseWrite     // create, change, revoke credentials, agents, orgs, members, keys, clients
	ScopeVerify     = gatehouse.ReservedScopeVerify     // /v1/verify (API keys); granted by administrators only
	ScopeIntrospect = gatehouse.ReservedScopeIntrospect // introspection of every client's tokens; administrators only
)

// Grant is what a verified credential may do: the facts Decide needs, and nothing else.
type Grant struct {
	Kind Kind
	// Limited reports whether Scopes bound the credential (a scoped PAT, an API key, an app's
	// token); an unlimited credential acts within everything its user may do.
	Limited bool
	Scopes  []string
	// Recent reports whether the person signed in or re-authenticated within the
	// re-authentication window (only a session can be recent).
	Recent bool
	// AMR lists the authentication methods of the sign-in behind the credential (RFC 8176
	// values: pwd, hwk, otp, fed, …), when known.
	AMR []string
	// Admin reports whether the credential acts for an instance administrator.
	Admin bool
}

// has reports whether the grant's scopes name scope exactly (reserved scopes match only
// themselves).
func (g Grant) has(scope string) bool { return slices.Contains(g.Scopes, scope) }

// Permission is what a route needs. The zero value is no permission: a route registered with it
// is a bug (httpapi's route test fails).
type Permission uint8

// The permissions, from the least to the most demanding.
const (
	_ Permission = iota
	// Public routes need no credential from this layer: sign-in and sign-up, mailed links, OAuth
	// endpoints that authenticate their caller as their protocol says (client authentication,
	// the bearer of userinfo), discovery, health.
	Public
	// Page routes are browser pages: the page layer reads the session cookie itself (only a
	// session can be in it) and forms are CSRF-protected.
	Page
	// Me reads the caller's own profile (GET /v1/me): every credential that acts as a person or
	// an agent.
	Me
	// Profile changes the caller's profile fields (PATCH /v1/me).
	Profile
	// Read reads the caller's own resources (gatehouse:read).
	Read
	// Write creates, changes or revokes the caller's resources (gatehouse:write).
	Write
	// Mint creates a credential that acts as the user beyond the caller's own grant: a
	// personal access token, a device-flow approval. A PAT never mints a PAT.
	Mint
	// Sensitive is a sensitive action (email, password, deletion, passkeys, Google link and
	// unlink, reserved scopes): only a recent session.
	Sensitive
	// SensitivePassword is a sensitive action whose endpoint also takes the current password:
	// only a session; Decide lets a non-recent session through and the handler then requires
	// Recent or a correct current password (RequireRecent).
	SensitivePassword
	// Verify checks other credentials (/v1/verify): an API key holding gatehouse:verify or an
	// instance administrator's own credential.
	Verify
)

var permissionNames = [...]string{"", "public", "page", "me", "profile", "read", "write", "mint", "sensitive", "sensitive_password", "verify"}

// Permissions lists every permission, for tables and tests.
var Permissions = []Permission{Public, Page, Me, Profile, Read, Write, Mint, Sensitive, SensitivePassword, Verify}

// String names the permission as docs/security.md's matrix does.
func (p Permission) String() string {
	if int(p) < len(permissionNames) && p != 0 {
		return permissionNames[p]
	}
	return "none"
}

// Decide reports whether g satisfies p: nil, or the *gatehouse.Error the caller gets
// (insufficient_permissions, or reauth_required where a recent sign-in would do).
func Decide(g Grant, p Permission) error {
	switch p {
	case Public, Page:
		return nil
	case Me:
		switch g.Kind {
		case KindSession, KindPAT, KindCLIToken, KindAppToken, KindAgentSession:
			return nil
		}
	case Profile:
		switch g.Kind {
		case KindSession, KindCLIToken, KindAgentSession:
			return nil
		case KindPAT:
			return scoped(g, ScopeWrite)
		}
	case Read, Write:
		scope := ScopeRead
		if p == Write {
			scope = ScopeWrite
		}
		switch g.Kind {
		case KindSession, KindCLIToken:
			return nil
		case KindPAT:
			return scoped(g, scope)
		}
	case Mint:
		switch g.Kind {
		case KindSession, KindCLIToken:
			return nil
		case KindPAT:
			return errPATMint
		}
	case Sensitive, SensitivePassword:
		switch g.Kind {
		case KindSession:
			if g.Recent || p == SensitivePassword {
				return nil
			}
			return ErrReauthRequired
		case KindPAT, KindCLIToken:
			return ErrReauthRequired
		}
	case Verify:
		switch {
		case g.Kind == KindAPIKey && g.has(ScopeVerify):
			return nil
		case g.Admin && (g.Kind == KindSession || g.Kind == KindCLIToken || g.Kind == KindPAT):
			if !g.Limited || g.has(ScopeVerify) {
				return nil
			}
		}
		return errVerify
	default:
		return errUndeclared
	}
	return deny(g.Kind)
}

// RequireRecent is the check of a SensitivePassword route once the handler knows whether the
// caller gave a correct current password: a recent session, or the password.
func RequireRecent(g Grant, passwordChecked bool) error {
	if g.Kind != KindSession {
		return ErrReauthRequired
	}
	if g.Recent || passwordChecked {
		return nil
	}
	return ErrReauthRequired
}

// scoped lets an unlimited PAT through and a limited one only with scope.
func scoped(g Grant, scope string) error {
	if !g.Limited || g.has(scope) {
		return nil
	}
	return gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "This token's scopes do not include %s, which this endpoint needs.", scope)
}

// deny is the refusal of a credential kind that may never use the route.
func deny(k Kind) error {
	switch k {
	case KindAgentSession:
		return errAgent
	case KindAppToken:
		return errApp
	case KindClient:
		return errClient
	case KindAPIKey:
		return errAPIKey
	}
	return errDenied
}

// ErrReauthRequired is the answer to a sensitive action without a recent sign-in.
var ErrReauthRequired = &gatehouse.Error{Code: gatehouse.CodeReauthRequired, Message: "This action needs a recent sign-in: re-authenticate (POST /v1/auth/reauth) with a session and try again."}

var (
	errPATMint    = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "A personal access token cannot create credentials; use a session or the CLI."}
	errAgent      = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "An agent's session may only read and edit the agent's own profile."}
	errApp        = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "An application's access token is for the platform's APIs, /oauth2/userinfo and GET /v1/me, not for Gatehouse's own account API."}
	errClient     = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "A client_credentials token is for the platform's APIs, not for Gatehouse's own API."}
	errAPIKey     = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "An API key is for the platform's APIs and /v1/verify, not for Gatehouse's own API."}
	errDenied     = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "This credential may not use this endpoint."}
	errVerify     = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "Only instance administrators and API keys with the gatehouse:verify scope may verify credentials."}
	errUndeclared = &gatehouse.Error{Code: gatehouse.CodeInsufficientPerms, Message: "This endpoint declares no permission."}
)

// Outcome names Decide's answer as the matrix does: "ok", or the error code.
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return string(gatehouse.ErrorCode(err))
}
