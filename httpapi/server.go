package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/clientip"
	"github.com/gatehouse-auth/gatehouse/oauth"
	"github.com/gatehouse-auth/gatehouse/web"
)

// Server is the HTTP face of Gatehouse: the JSON API under /v1, the web pages and operations
// endpoints. Build one with its fields set, then serve Handler().
type Server struct {
	// Sessions checks every bearer credential and decides with authz (Authenticate, Authorize),
	// and lists and ends sessions (/v1/auth/sessions, logout).
	Sessions *auth.Sessions
	// SignIn is password and agent-token sign-in and re-authentication (/v1/auth/login, /reauth).
	SignIn *auth.SignIn
	// Accounts is registration, the profile, password, email and deletion (/v1/me, /account).
	Accounts *auth.Accounts
	// Recovery is password reset and magic links (/v1/auth/password-reset, /magic-link).
	Recovery *auth.Recovery
	// Passkeys is WebAuthn registration, sign-in and re-authentication (/v1/auth/passkey).
	Passkeys *auth.Passkeys
	// Google is Google sign-in and linking (/v1/auth/google).
	Google *auth.Google
	// Admin prunes expired rows periodically (the server's maintenance loop).
	Admin *auth.Admin
	// PATs manages people's personal access tokens (/v1/auth/tokens, /account/tokens).
	PATs *auth.PATs
	// APIKeys manages organizations' API keys (/v1/orgs/{org}/api-keys).
	APIKeys *auth.APIKeys
	// Agents manages people's agents (/v1/agents).
	Agents *auth.Agents
	// Orgs manages organizations and members (/v1/orgs).
	Orgs *auth.Orgs
	// OAuthClients manages organizations' OAuth clients (/v1/orgs/{org}/oauth-clients).
	OAuthClients *auth.OAuthClients
	Limiter      gatehouse.RateLimiter
	AuthRate     gatehouse.Rate // per-IP limit on credential endpoints
	ClientIP     func(*http.Request) netip.Addr
	Metrics      *Metrics

	routeTable []Route     // set by Handler: every route and its permission (routes.go)
	apiDoc     apiDocument // openapi.go: /openapi.json and /docs/api, built on first use
	// loginAnswer shapes POST /v1/auth/login's answer (ProfileRouter.LoginAnswer); nil: the
	// native session.
	loginAnswer func(apiwire.Session) any
	Logger      *slog.Logger
	// Ready reports whether the server can serve (the database answers); /readyz calls it.
	Ready func(ctx context.Context) error
	// PublicURL is the external base URL; https there means Secure, __Host- cookies.
	PublicURL *url.URL
	// LogoutRedirectOrigins are the absolute origins GET /v1/auth/logout may redirect to.
	LogoutRedirectOrigins []string
	// Pages renders the server-rendered web pages, one method per page (nil: no pages).
	Pages *web.Pages
	// SecretScanningKeys verify leaked-token reports (nil: POST /v1/secret-scanning/report is 404).
	SecretScanningKeys *SecretScanningKeys
	// Leaks handles the verified reports (needed with SecretScanningKeys).
	Leaks *auth.LeakReports
	// Keys publishes the token signing keys at /.well-known/jwks.json (nil: 404).
	Keys KeySet
	// OAuth is the OAuth 2.0 / OpenID Connect provider behind /oauth2, the discovery documents,
	// /v1/device, /v1/me/consents and the /device and consent pages (nil: all of them are 404).
	OAuth *oauth.Provider
	// Profiles are the seed API profiles mounted beside the native routes (profile.go).
	Profiles []Profile
}

// secure reports whether cookies must be Secure (the public URL is https).
func (s *Server) secure() bool { return s.PublicURL != nil && s.PublicURL.Scheme == "https" }

// cookieName is the session cookie's name: __Host- prefixed under TLS (RFC 6265bis), so that it
// is always Secure, host-only and Path=/.
func (s *Server) cookieName() string {
	if s.secure() {
		return "__Host-gatehouse_session"
	}
	return "gatehouse_session"
}

// startSession sets the cookie of the session g has just created. A session the browser held
// until now (signing in again, prompt=login, switching accounts) is revoked rather than
// orphaned; failing to revoke it is logged and does not stop the sign-in.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, g *auth.SessionGrant) {
	if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" && c.Value != g.Token {
		if err := s.Sessions.EndSupersededSession(r.Context(), c.Value, s.meta(r)); err != nil {
			Logger(r.Context()).Warn("the browser's previous session was not revoked", "error", err)
		}
	}
	s.setSessionCookie(w, g.Token, g.ExpiresAt)
}

func (s *Server) setSessionCookie(w http.ResponseWriter, tok string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.cookieName(),
		Value:    tok,
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(time.Until(expires).Seconds()),
		HttpOnly: true,
		Secure:   s.secure(),
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteLaxMode,
	})
}

// meta describes the request for the audit log.
func (s *Server) meta(r *http.Request) auth.Meta {
	m := auth.Meta{UserAgent: r.UserAgent()}
	if ip := s.clientIP(r); ip.IsValid() {
		m.IP = ip.String()
	}
	return m
}

func (s *Server) clientIP(r *http.Request) netip.Addr {
	if s.ClientIP != nil {
		return s.ClientIP(r)
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// credential returns the bearer token of r: the Authorization header, else the session cookie.
func (s *Server) credential(r *http.Request) (tok string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest), false
		}
		return "", false
	}
	if c, err := r.Cookie(s.cookieName()); err == nil {
		return c.Value, true
	}
	return "", false
}

// rateLimit applies the per-IP limit of the credential endpoints (GATEHOUSE_AUTH_RATE_LIMIT),
// one budget per bucket and client address (IPv6 by its /64: clientip.RateKey).
func (s *Server) rateLimit(r *http.Request, bucket string) error {
	if s.Limiter == nil || s.AuthRate.Limit == 0 {
		return nil
	}
	d, err := s.Limiter.Allow(r.Context(), bucket+":"+clientip.RateKey(s.clientIP(r)), s.AuthRate)
	if err != nil {
		// Fail closed would lock everyone out when Redis is down; the login throttle in the
		// store still holds, so log and let the request through.
		Logger(r.Context()).Warn("rate limiter unavailable", "err", err)
		return nil
	}
	if !d.Allowed {
		if s.Metrics != nil {
			s.Metrics.RateLimited.WithLabelValues(bucket).Inc()
		}
		return &gatehouse.Error{Code: gatehouse.CodeRateLimited, Message: "Too many requests; try again later.", RetryAfter: d.RetryAfter}
	}
	return nil
}
