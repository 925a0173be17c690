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
	var g authz.Grant
	switch p.Credential {
	case gatehouse.CredentialSession:
		g.Kind = authz.KindSession
		if p.Session != nil {
			at := p.Session.AuthenticatedAt
			if at.IsZero() {
				at = p.Session.CreatedAt
			}
			g.Recent = s.now().Sub(at) <= s.reauthWindow()
			g.AMR = p.Session.AMR
		}
	case gatehouse.CredentialAgentSession:
		g.Kind = authz.KindAgentSession
	case gatehouse.CredentialPAT:
		g.Kind = authz.KindPAT
	case gatehouse.CredentialAPIKey:
		g.Kind = authz.KindAPIKey
	case gatehouse.CredentialAccessToken:
		switch {
		case p.Access == nil:
		case p.User == nil:
			g.Kind = authz.KindClient
		case p.Access.ClientID == gatehouse.BuiltInCLIClientID:
			g.Kind = authz.KindCLIToken
		default:
			g.Kind = authz.KindAppToken
		}
	}
	g.Scopes, g.Limited = p.Scopes()
	if g.Kind == authz.KindClient || g.Kind == authz.KindAppToken || g.Kind == authz.KindAPIKey {
		g.Limited = true
	}
	g.Admin = p.User != nil && p.User.Kind == gatehouse.KindUser && s.IsAdmin(p.User)
	return g
}

// Authorize is authz.Decide over p's grant: nil, or insufficient_permissions or
// reauth_required.
func (s *Service) Authorize(p *gatehouse.Principal, perm authz.Permission) error {
	return authz.Decide(s.Grant(p), perm)
}
