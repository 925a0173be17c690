package httpapi

import (
	"net/http"
	"slices"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/openapi"
)

// Profile is a seed API profile (API.md "Seed API profiles"): a platform's documented auth API
// served by a thin adapter (a package under httpapi/profile) over the same use cases. Its routes
// go through the same router as the native ones, each with its permission, so the
// authorization layer, the route table and the OpenAPI document cover them.
type Profile interface {
	// Name is the profile's name in GATEHOUSE_API_PROFILES.
	Name() string
	// Mount registers the profile's routes.
	Mount(pr *ProfileRouter)
	// Operations documents every route Mount registers (appended to /openapi.json).
	Operations() []openapi.Operation
}

// AuthConfigurer is a Profile whose docs state a rule the native API answers otherwise (Crew's
// expired_api_key for a revoked key, rst's strict Google unlink): the rule is a parameter of the
// use case (auth.Config), and app sets it through ConfigureAuth before it builds the use cases —
// no copy of the use case in the profile.
type AuthConfigurer interface {
	// ConfigureAuth sets the profile's parameters of the use cases.
	ConfigureAuth(c *auth.Config)
}

// ProfileHandler is a profile endpoint that needs no credential from the authorization layer.
type ProfileHandler func(w http.ResponseWriter, r *http.Request) error

// ProfileAuthedHandler is a profile endpoint that runs for an authorized principal.
type ProfileAuthedHandler func(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error

// ProfileRouter is what a profile mounts its routes with: the server's router and its services.
type ProfileRouter struct {
	rt *router
	// Server holds the use cases (Accounts, SignIn, PATs, …) the profile's handlers call.
	Server *Server
}

// Authed registers an endpoint that runs only for a credential whose grant satisfies perm, as
// every native authed route.
func (pr *ProfileRouter) Authed(pattern string, perm authz.Permission, h ProfileAuthedHandler) {
	pr.rt.authed(pattern, perm, authedHandler(h))
}

// Public registers an endpoint that signs people in or needs no credential (authz.Public).
func (pr *ProfileRouter) Public(pattern string, h ProfileHandler) {
	pr.rt.public(pattern, pr.Server.serve(handler(h)))
}

// PublicOAuth is Public for an endpoint of the OAuth token flows: its errors have RFC 6749 5.2's
// and RFC 8628 3.5's statuses (400 for access_denied, expired_token, …), as /oauth2/token's.
func (pr *ProfileRouter) PublicOAuth(pattern string, h ProfileHandler) {
	pr.rt.public(pattern, pr.Server.serveOAuth(oauthHandler(h)))
}

// LoginAnswer makes the native POST /v1/auth/login (the same handler: its limits, sign-in,
// cookie and audit) answer shape(session) instead of the session: for a profile whose docs add
// members to that answer on the native path (rst's access_token and token_type), where
// registering the path again is not possible. The profile documents the route again in
// Operations with that answer (a profile's operation replaces the native one in
// /openapi.json). One configured profile at most may set it.
func (pr *ProfileRouter) LoginAnswer(shape func(apiwire.Session) any) {
	pr.Server.loginAnswer = shape
}

// mountProfiles registers every configured profile's routes after the native ones.
func (s *Server) mountProfiles(rt *router) {
	for _, p := range s.Profiles {
		p.Mount(&ProfileRouter{rt: rt, Server: s})
	}
}

// profileDocs documents the configured profiles' routes.
func (s *Server) profileDocs() []openapi.Operation {
	var ops []openapi.Operation
	for _, p := range s.Profiles {
		ops = append(ops, p.Operations()...)
	}
	return ops
}

// Meta describes the request for the audit log (the same as native endpoints write).
func (s *Server) Meta(r *http.Request) auth.Meta { return s.meta(r) }

// RateLimit applies the per-IP limit of a bucket ("auth" for the credential endpoints, "mail"
// for those that send mail), as the native endpoints do.
func (s *Server) RateLimit(r *http.Request, bucket string) error { return s.rateLimit(r, bucket) }

// StartSession sets the session cookie of a new sign-in (ending the browser's previous session).
func (s *Server) StartSession(w http.ResponseWriter, r *http.Request, g *auth.SessionGrant) {
	s.startSession(w, r, g)
}

// ClearSessionCookie removes the session cookie.
func (s *Server) ClearSessionCookie(w http.ResponseWriter) { s.clearSessionCookie(w) }

// Logout is POST /v1/auth/logout: it revokes the request's session or access token (with the
// person's refresh tokens of that client), if it carries a valid one, clears the cookie, 204.
func (s *Server) Logout(w http.ResponseWriter, r *http.Request) error { return s.logout(w, r) }

// LogoutRedirect ends the session and redirects as GET /v1/auth/logout does.
func (s *Server) LogoutRedirect(w http.ResponseWriter, r *http.Request) error {
	return s.logoutRedirect(w, r)
}

// DocumentedRoutes lists the patterns the OpenAPI table documents, with the given profiles'
// routes (for the test that compares them with the routes a fully configured server registers).
func DocumentedRoutes(profiles ...Profile) []string {
	ops := routeDocs()
	for _, p := range profiles {
		ops = append(ops, p.Operations()...)
	}
	out := make([]string, 0, len(ops))
	for _, op := range ops {
		out = append(out, op.Route)
	}
	slices.Sort(out)
	return out
}

// GetMe is GET /v1/me, for a profile that serves the native profile under its own path.
func (s *Server) GetMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	return s.getMe(w, r, p)
}

// PatchMe is PATCH /v1/me (200 with the profile, 202 for a new email address).
func (s *Server) PatchMe(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	return s.patchMe(w, r, p)
}

// NativeDocs is the native operation of a route (its request and answers), for a profile that
// serves that endpoint under another path; ok is false for an undocumented route.
func NativeDocs(route string) (op openapi.Operation, ok bool) {
	for _, op := range routeDocs() {
		if op.Route == route {
			return op, true
		}
	}
	return openapi.Operation{}, false
}

// RequestMagicLink is POST /v1/auth/magic-link: {email} → 202, a link mailed if the account exists.
func (s *Server) RequestMagicLink(w http.ResponseWriter, r *http.Request) error {
	return s.mailedLinkRequest(s.Recovery.RequestMagicLink)(w, r)
}

// PasskeyRegisterChallenge is POST /v1/auth/passkey/register/challenge.
func (s *Server) PasskeyRegisterChallenge(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	return s.passkeyRegisterChallenge(w, r, p)
}

// PasskeyRegister is POST /v1/auth/passkey/register.
func (s *Server) PasskeyRegister(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	return s.passkeyRegister(w, r, p)
}

// PasskeyLoginChallenge is POST /v1/auth/passkey/login/challenge.
func (s *Server) PasskeyLoginChallenge(w http.ResponseWriter, r *http.Request) error {
	return s.passkeyLoginChallenge(w, r)
}

// ListPasskeys is GET /v1/auth/passkeys.
func (s *Server) ListPasskeys(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	return s.listPasskeys(w, r, p)
}

// DeletePasskey is DELETE /v1/auth/passkeys/{id}.
func (s *Server) DeletePasskey(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	return s.deletePasskey(w, r, p)
}
