package httpapi

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/openapi"
)

// Security schemes of the document (openapi.Operation.Security names them).
const (
	schemeBearer = "bearer"         // any Gatehouse credential as a bearer token
	schemeCookie = "session_cookie" // the browser's session cookie (pages)
	schemeClient = "client_basic"   // an OAuth client's id and secret (RFC 6749 2.3.1)
	schemeNone   = ""               // optional: a public OAuth client names itself in the body
)

// apiDocument is the OpenAPI document of the routes Handler registered, built on first use.
type apiDocument struct {
	once sync.Once
	json []byte
	html []byte
	err  error
}

// OpenAPI returns the OpenAPI 3.1 document of the routes Handler registered (JSON). A
// registered route without documentation (routeDocs) is an error.
func (s *Server) OpenAPI() ([]byte, error) {
	s.apiDoc.once.Do(func() {
		s.apiDoc.json, s.apiDoc.err = s.buildOpenAPI()
		if s.apiDoc.err == nil {
			s.apiDoc.html, s.apiDoc.err = openapi.Reference(s.apiDoc.json)
		}
	})
	return s.apiDoc.json, s.apiDoc.err
}

func (s *Server) buildOpenAPI() ([]byte, error) {
	docs := map[string]openapi.Operation{}
	for _, op := range append(routeDocs(), s.profileDocs()...) {
		docs[op.Route] = op
	}
	ops := make([]openapi.Operation, 0, len(s.routeTable))
	for _, r := range s.routeTable {
		op, ok := docs[r.Pattern]
		if !ok {
			return nil, fmt.Errorf("route %s is not documented (httpapi/openapi_ops.go)", r.Pattern)
		}
		if op.Security == nil {
			op.Security = securityOf(r.Permission)
		}
		op.Extensions = map[string]any{"x-gatehouse-permission": r.Permission.String()}
		ops = append(ops, op)
	}
	info := openapi.Info{
		Title:   "Gatehouse API",
		Version: "1",
		Description: "Authentication and API credentials: accounts, sessions, personal access tokens, agents, " +
			"organizations' API keys, OAuth 2.0 and OpenID Connect, and verification for resource servers. " +
			"Every route declares the permission it needs (x-gatehouse-permission); errors share one shape.",
		Security: map[string]openapi.Schema{
			schemeBearer: {"type": "http", "scheme": "bearer", "description": "A session token, personal access token, agent session, API key or OAuth access token; the route's permission decides which may call it."},
			schemeCookie: {"type": "apiKey", "in": "cookie", "name": s.cookieName(), "description": "The browser's session cookie; forms are protected against cross-site requests."},
			schemeClient: {"type": "http", "scheme": "basic", "description": "An OAuth client's client_id and client_secret."},
		},
		Error: errorBody{},
		Tags: []openapi.Tag{
			{Name: tagAuth, Description: "Registration, password sign-in, logout and the caller's sessions. Every sign-in answers a session token."},
			{Name: tagAccount, Description: "The caller's profile, password, email address, deletion, organizations and audit trail. Sensitive changes need a recent sign-in (reauth_required)."},
			{Name: tagTokens, Description: "Personal access tokens for scripts, and /v1/verify, the one check resource servers call for any credential."},
			{Name: tagOrgs, Description: "Organizations, their members and agents, and their audit trail."},
			{Name: tagAPIKeys, Description: "Organizations' API keys for backends: scoped, per environment, optionally bound to CIDRs and rate-limited."},
			{Name: tagAgents, Description: "AI agents owned by a person: owner-verified agent tokens exchanged for agent sessions."},
			{Name: tagPasskeys, Description: "WebAuthn passkeys: registration, sign-in, rename, delete."},
			{Name: tagGoogle, Description: "Sign-in with Google (or another OpenID Connect issuer) and linking."},
			{Name: tagRecovery, Description: "Mailed codes and links: email verification, password reset, magic links."},
			{Name: tagReauth, Description: "Making a session recent again for sensitive actions."},
			{Name: tagOAuth, Description: "The OAuth 2.0 / OpenID Connect authorization server: discovery, authorization, tokens, introspection, revocation, userinfo, consents."},
			{Name: tagClients, Description: "Organizations' OAuth clients."},
			{Name: tagDevice, Description: "The device authorization grant (RFC 8628) as a signed-in person approves it."},
			{Name: tagLeaks, Description: "Leaked-token reports from secret-scanning partners."},
			{Name: tagOps, Description: "Probes, metrics and this document."},
			{Name: tagPages, Description: "The server-rendered pages (HTML; forms are protected against cross-site requests)."},
		},
	}
	if s.PublicURL != nil {
		info.ServerURL = s.PublicURL.String()
	}
	return openapi.Document(info, ops)
}

// securityOf is the security a route's permission implies: none for public routes (they
// authenticate as their protocol says), the session cookie for pages, a bearer otherwise.
func securityOf(p authz.Permission) []string {
	switch p {
	case authz.Public:
		return []string{}
	case authz.Page:
		return []string{schemeCookie}
	}
	return []string{schemeBearer}
}

// serveOpenAPI is GET /openapi.json.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	doc, err := s.OpenAPI()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(doc)
	return nil
}

// serveAPIReference is GET /docs/api: the document rendered as one HTML page.
func (s *Server) serveAPIReference(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.OpenAPI(); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.apiDoc.html)
	return nil
}
