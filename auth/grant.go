package auth

import (
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// Authentication methods recorded on sessions (RFC 8176 values where one exists).
const (
	AMRPassword   = "pwd" // a password
	AMRPasskey    = "hwk" // a passkey (WebAuthn assertion)
	AMRUser       = "user"
	AMROneTime    = "otp" // a mailed one-time link or code
	AMRFederated  = "fed" // Google (OIDC)
	AMRAgentToken = "agt" // an agent token (not a person)
)

// defaultReauthWindow is how recent a sign-in must be for sensitive actions when Config does not
// say (GATEHOUSE_REAUTH_WINDOW's default).
const defaultReauthWindow = 10 * time.Minute

// reauthWindow is the configured re-authentication window.
func (s *Service) reauthWindow() time.Duration {
	if s.cfg.ReauthWindow > 0 {
		return s.cfg.ReauthWindow
	}
	return defaultReauthWindow
}

// Grant is what p's credential may do: its kind, scopes, recency and methods, for
// authz.Decide. It reads nothing from the store.
func (s *Service) Grant(p *gatehouse.Principal) authz.Grant {
	g := authz.Grant{Kind: credentialKind(p)}
	if g.Kind == authz.KindSession && p.Session != nil {
		at := p.Session.AuthenticatedAt
		if at.IsZero() {
			at = p.Session.CreatedAt
		}
		g.Recent = s.now().Sub(at) <= s.reauthWindow()
		g.AMR = p.Session.AMR
	}
	g.Scopes, g.Limited = p.Scopes()
	if g.Kind == authz.KindClient || g.Kind == authz.KindAppToken || g.Kind == authz.KindAPIKey {
		g.Limited = true
	}
	g.Admin = p.User != nil && p.User.Kind == gatehouse.KindUser && s.IsAdmin(p.User)
	return g
}

// credentialKind is the authorization kind of p's credential ("" for none known).
func credentialKind(p *gatehouse.Principal) authz.Kind {
	switch p.Credential {
	case gatehouse.CredentialSession:
		return authz.KindSession
	case gatehouse.CredentialAgentSession:
		return authz.KindAgentSession
	case gatehouse.CredentialPAT:
		return authz.KindPAT
	case gatehouse.CredentialAPIKey:
		return authz.KindAPIKey
	case gatehouse.CredentialAccessToken:
		switch {
		case p.Access == nil:
		case p.User == nil:
			return authz.KindClient
		case p.Access.ClientID == gatehouse.BuiltInCLIClientID:
			return authz.KindCLIToken
		default:
			return authz.KindAppToken
		}
	}
	return ""
}

// Authorize is authz.Decide over p's grant: nil, or insufficient_permissions or
// reauth_required.
func (s *Service) Authorize(p *gatehouse.Principal, perm authz.Permission) error {
	return authz.Decide(s.Grant(p), perm)
}
