package auth

import (
	"slices"
	"strings"
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

// authorizer decides what a principal may do: the grant of its credential and authz.Decide,
// with the two settings that take (the administrators' addresses, the re-authentication
// window). Every service that checks a permission embeds one.
type authorizer struct {
	clock       func() time.Time
	adminEmails []string // lower case
	window      time.Duration
}

// newAuthorizer returns the authorizer of cfg on the clock now.
func newAuthorizer(now func() time.Time, cfg Config) authorizer {
	emails := make([]string, len(cfg.AdminEmails))
	for i, e := range cfg.AdminEmails {
		emails[i] = strings.ToLower(e)
	}
	w := cfg.ReauthWindow
	if w <= 0 {
		w = defaultReauthWindow
	}
	return authorizer{clock: now, adminEmails: emails, window: w}
}

// IsAdmin reports whether u is an instance administrator: flagged so, or the verified owner of
// an address in GATEHOUSE_ADMIN_EMAILS.
func (a authorizer) IsAdmin(u *gatehouse.User) bool {
	if u.IsAdmin {
		return true
	}
	return u.EmailVerified && u.Email != "" && slices.Contains(a.adminEmails, strings.ToLower(u.Email))
}

// grantsReserved checks the caller may grant scopes: a reserved gatehouse:* scope among them
// needs an instance administrator with a recent session (a sensitive action).
func (a authorizer) grantsReserved(p *gatehouse.Principal, scopes []string) error {
	for _, sc := range scopes {
		if !strings.HasPrefix(sc, "gatehouse:") {
			continue
		}
		if p.User == nil || !a.IsAdmin(p.User) {
			return gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "Only instance administrators may grant %s.", sc)
		}
		return a.Authorize(p, authz.Sensitive)
	}
	return nil
}

// Grant is what p's credential may do: its kind, scopes, recency and methods, for
// authz.Decide. It reads nothing from the store.
func (a authorizer) Grant(p *gatehouse.Principal) authz.Grant {
	g := authz.Grant{Kind: credentialKind(p)}
	if g.Kind == authz.KindSession && p.Session != nil {
		at := p.Session.AuthenticatedAt
		if at.IsZero() {
			at = p.Session.CreatedAt
		}
		g.Recent = a.clock().Sub(at) <= a.window
		g.AMR = p.Session.AMR
	}
	g.Scopes, g.Limited = p.Scopes()
	if g.Kind == authz.KindClient || g.Kind == authz.KindAppToken || g.Kind == authz.KindAPIKey {
		g.Limited = true
	}
	g.Admin = p.User != nil && p.User.Kind == gatehouse.KindUser && a.IsAdmin(p.User)
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
func (a authorizer) Authorize(p *gatehouse.Principal, perm authz.Permission) error {
	return authz.Decide(a.Grant(p), perm)
}
