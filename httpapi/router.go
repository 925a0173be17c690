package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// handler is an endpoint that returns its error instead of writing it: WriteError, the one
// error writer, turns it into the response.
type handler func(w http.ResponseWriter, r *http.Request) error

// authedHandler is an endpoint that needs a signed-in principal.
type authedHandler func(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error

func (s *Server) serve(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.noteAuthFailure(err)
			WriteError(w, r, err)
		}
	}
}

// authed wraps h so that it runs only with a valid credential (bearer token or session cookie)
// whose grant satisfies perm: the one place where Gatehouse's own API authorizes a request.
func (s *Server) authed(perm authz.Permission, h authedHandler) http.HandlerFunc {
	return s.serve(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if perm == authz.Verify && r.Header.Get("Authorization") == "" {
			// Resource servers verify with a bearer header, never a browser's cookie.
			return errVerifierBearer
		}
		if err := s.Sessions.Authorize(p, perm); err != nil {
			return err
		}
		return h(w, r.WithContext(withPrincipal(r.Context(), p)), p)
	})
}

// authenticate verifies the request's credential. A cookie only ever carries a session: any
// other credential found in it is refused.
func (s *Server) authenticate(r *http.Request) (*gatehouse.Principal, error) {
	tok, fromCookie := s.credential(r)
	if tok == "" {
		return nil, &gatehouse.Error{Code: gatehouse.CodeInvalidToken, Message: "Authentication is required."}
	}
	p, err := s.Sessions.Authenticate(r.Context(), tok, s.meta(r))
	if err == nil && fromCookie && p.Credential != gatehouse.CredentialSession {
		return nil, errCookieNotSession
	}
	return p, err
}

var errVerifierBearer = &gatehouse.Error{Code: gatehouse.CodeInvalidToken, Message: "Authentication is required: an administrator's token or an API key with the gatehouse:verify scope, as a bearer."}

var errCookieNotSession = &gatehouse.Error{Code: gatehouse.CodeInvalidToken, Message: "The session cookie does not hold a session."}

func (s *Server) noteAuthFailure(err error) {
	if s.Metrics == nil {
		return
	}
	switch c := gatehouse.ErrorCode(err); c {
	case gatehouse.CodeInvalidCredentials, gatehouse.CodeInvalidToken, gatehouse.CodeExpiredToken:
		s.Metrics.AuthFailures.WithLabelValues(string(c)).Inc()
	}
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p *gatehouse.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the signed-in principal of a request handled by an authed endpoint.
func PrincipalFrom(ctx context.Context) (*gatehouse.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*gatehouse.Principal)
	return p, ok
}

// Handler returns the whole HTTP handler: routes wrapped in the middleware chain.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	rt := &router{s: s, mux: mux}
	s.routes(rt)
	s.routeTable = rt.table
	mux.Handle("/", s.fallback(mux))

	var h http.Handler = mux
	h = CrossOrigin(s.trustedOrigins())(h)
	h = LimitBody(h)
	h = AccessLog(s.clientIP)(h)
	if s.Metrics != nil {
		h = s.Metrics.Middleware(h)
	}
	h = SecurityHeaders(s.secure())(h)
	h = Recover(h)
	h = RequestContext(s.Logger)(h)
	return h
}

func (s *Server) trustedOrigins() []string {
	if s.PublicURL == nil {
		return nil
	}
	return []string{s.PublicURL.Scheme + "://" + s.PublicURL.Host}
}

func (s *Server) routes(rt *router) {
	// Operations.
	rt.public("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, statusJSON{Status: "ok"})
	})
	rt.public("GET /readyz", s.serve(s.readyz))
	if s.Metrics != nil {
		rt.publicHandler("GET /metrics", s.Metrics.Handler())
	}
	rt.public("GET /openapi.json", s.serve(s.serveOpenAPI)) // openapi.go: every route below, documented
	rt.public("GET /docs/api", s.serve(s.serveAPIReference))

	// Accounts and sessions (API.md).
	rt.public("POST /v1/auth/register", s.serve(s.register))
	rt.public("POST /v1/auth/login", s.serve(s.login))
	rt.public("POST /v1/auth/logout", s.serve(s.logout))
	rt.public("GET /v1/auth/logout", s.serve(s.logoutRedirect))
	rt.authed("GET /v1/me", authz.Me, s.getMe)
	rt.authed("PATCH /v1/me", authz.Profile, s.patchMe)
	rt.authed("DELETE /v1/me", authz.SensitivePassword, s.deleteMe)
	rt.authed("POST /v1/me/change-password", authz.SensitivePassword, s.changePassword)
	rt.authed("GET /v1/me/sessions", authz.Read, s.listSessions)
	rt.authed("DELETE /v1/me/sessions/{id}", authz.Write, s.revokeSession)
	rt.authed("GET /v1/me/orgs", authz.Read, s.listOrgs)
	rt.authed("GET /v1/me/audit-events", authz.Read, s.listAuditEvents)

	s.credentialRoutes(rt) // tokens.go: personal access tokens and /v1/verify
	s.orgRoutes(rt)        // orgs.go: organizations, members, API keys, org audit events
	s.agentRoutes(rt)      // agents.go: agents, the agent exchange, leaked-token reports
	s.passkeyRoutes(rt)    // passkeys.go: WebAuthn registration, sign-in, list, rename, delete
	s.googleRoutes(rt)     // google.go: Google (OIDC) sign-in, linking, /v1/me/account
	s.recoveryRoutes(rt)   // recovery.go: email verification, password reset, magic links
	s.reauthRoutes(rt)     // reauth.go: re-authentication for sensitive actions

	rt.public("GET /.well-known/jwks.json", s.jwks) // jwks.go
	if s.OAuth != nil {
		s.oauthRoutes(rt) // oauth_routes.go: /oauth2, discovery, /v1/device, consents, /device
	}

	if s.Pages != nil {
		s.pageRoutes(rt)
	}
	s.mountProfiles(rt) // profile.go: the seed API profiles of GATEHOUSE_API_PROFILES
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.Ready != nil {
		if err := s.Ready(r.Context()); err != nil {
			Logger(r.Context()).Warn("not ready", "err", err)
			return &gatehouse.Error{Code: gatehouse.CodeUnavailable, Message: "The database is not reachable.", RetryAfter: time.Second}
		}
	}
	WriteJSON(w, http.StatusOK, statusJSON{Status: "ready"})
	return nil
}

// fallback answers requests no route matched: 405 with Allow when the path exists under another
// method, else 404 — both in the JSON error shape.
func (s *Server) fallback(mux *http.ServeMux) http.Handler {
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	return s.serve(func(w http.ResponseWriter, r *http.Request) error {
		var allow []string
		for _, m := range methods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			for _, m := range allow {
				w.Header().Add("Allow", m)
			}
			return &gatehouse.Error{Code: gatehouse.CodeMethodNotAllowed, Message: "This method is not allowed here."}
		}
		return &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: "No such endpoint."}
	})
}
