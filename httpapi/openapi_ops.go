package httpapi

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/oauth"
	"github.com/gatehouse-auth/gatehouse/openapi"
)

// The documentation of every route Handler registers, by its pattern: what /openapi.json says.
// Bodies are the Go types the handlers decode and encode, so the schemas cannot drift from the
// code; TestOpenAPIDocumentsEveryRoute fails on a registered route missing here and on an entry
// that no route has, and the e2e suite validates every answer it receives against the document.

// Tags of the document, in the order the reference shows them.
const (
	tagAuth     = "Sign-in and sessions"
	tagAccount  = "Account"
	tagTokens   = "Personal access tokens and verification"
	tagOrgs     = "Organizations"
	tagAPIKeys  = "API keys"
	tagAgents   = "Agents"
	tagPasskeys = "Passkeys"
	tagGoogle   = "Google"
	tagRecovery = "Email verification and recovery"
	tagReauth   = "Re-authentication"
	tagOAuth    = "OAuth 2.0 and OpenID Connect"
	tagClients  = "OAuth clients"
	tagDevice   = "Device flow"
	tagLeaks    = "Secret scanning"
	tagOps      = "Operations"
	tagPages    = "Pages"
	htmlType    = "text/html; charset=utf-8"
)

var (
	html     = openapi.Raw{"type": "string", "description": "An HTML page."}
	anyValue = openapi.Raw{}

	jwks = openapi.Named{Name: "JWKS", Schema: openapi.Schema{
		"type": "object", "required": []string{"keys"},
		"description": "A JSON Web Key Set (RFC 7517): the signing keys in states next, current and previous.",
		"properties": map[string]any{"keys": openapi.Schema{"type": "array", "items": openapi.Schema{
			"type": "object", "required": []string{"kty", "kid", "alg", "use"},
			"properties": map[string]any{
				"kty": openapi.Schema{"type": "string"}, "kid": openapi.Schema{"type": "string"},
				"alg": openapi.Schema{"type": "string"}, "use": openapi.Schema{"type": "string"},
			},
		}}},
	}}
	serverMetadata = openapi.Named{Name: "AuthorizationServerMetadata", Schema: openapi.Schema{
		"type": "object", "required": []string{"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported"},
		"description": "RFC 8414 authorization server metadata, which is also the OpenID Connect discovery document.",
		"properties": map[string]any{
			"issuer": openapi.Schema{"type": "string"}, "authorization_endpoint": openapi.Schema{"type": "string"},
			"token_endpoint": openapi.Schema{"type": "string"}, "jwks_uri": openapi.Schema{"type": "string"},
			"response_types_supported": openapi.Schema{"type": "array", "items": openapi.Schema{"type": "string"}},
		},
	}}
	introspection = openapi.Named{Name: "Introspection", Schema: openapi.Schema{
		"type": "object", "required": []string{"active"},
		"description": "RFC 7662: {\"active\": false} for every token that is not usable; otherwise its facts (scope, client_id, sub, exp, token_type, kind, ...).",
		"properties": map[string]any{
			"active": openapi.Schema{"type": "boolean"}, "scope": openapi.Schema{"type": "string"},
			"client_id": openapi.Schema{"type": "string"}, "sub": openapi.Schema{"type": "string"},
			"exp": openapi.Schema{"type": "integer"}, "iat": openapi.Schema{"type": "integer"},
			"token_type": openapi.Schema{"type": "string"}, "username": openapi.Schema{"type": "string"},
		},
	}}
	userInfo = openapi.Named{Name: "UserInfo", Schema: openapi.Schema{
		"type": "object", "required": []string{"sub"},
		"description": "OpenID Connect UserInfo: sub, and the claims the token's scopes allow (profile, email).",
		"properties": map[string]any{
			"sub": openapi.Schema{"type": "string"}, "preferred_username": openapi.Schema{"type": "string"},
			"name": openapi.Schema{"type": "string"}, "email": openapi.Schema{"type": "string"},
			"email_verified": openapi.Schema{"type": "boolean"},
		},
	}}
	metricsText = openapi.Raw{"type": "string", "description": "Prometheus text exposition format."}
)

// Shorthands for the table.
func ok(body any) []openapi.Response { return []openapi.Response{{Status: http.StatusOK, Body: body}} }
func created(body any) []openapi.Response {
	return []openapi.Response{{Status: http.StatusCreated, Body: body}}
}

var (
	noContent = []openapi.Response{{Status: http.StatusNoContent}}
	seeOther  = openapi.Response{Status: http.StatusSeeOther, Description: "Redirect", Headers: []string{"Location"}}
	htmlPage  = openapi.Response{Status: http.StatusOK, Body: html, ContentType: htmlType}

	cursorParams = []openapi.Param{
		{Name: "cursor", Description: "next_cursor of the previous page"},
		{Name: "limit", Description: "events per page, 1–200 (default 50)"},
		{Name: "type", Description: "only events of this type (repeatable)"},
		{Name: "actor", Description: "only events of this actor"},
	}
	nextParam       = []openapi.Param{{Name: "next", Description: "a local path to go to afterwards"}}
	tokenParam      = []openapi.Param{{Name: "token", Description: "the mailed token"}}
	clientFormParam = []openapi.Param{
		{Name: "client_id", Description: "for public clients, and confidential ones using client_secret_post"},
		{Name: "client_secret", Description: "client_secret_post"},
	}
)

// page documents a browser page: HTML answers, errors as HTML, the session cookie.
func page(route, summary string, form []openapi.Param, query []openapi.Param, responses ...openapi.Response) openapi.Operation {
	if len(responses) == 0 {
		responses = []openapi.Response{htmlPage}
	}
	return openapi.Operation{Route: route, Summary: summary, Tag: tagPages, Form: form, Query: query,
		Responses: responses, ErrorContentType: htmlType}
}

// oauthFormOp documents an OAuth endpoint taking a form body with client authentication.
func oauthFormOp(route, summary string, fields []openapi.Param, responses []openapi.Response) openapi.Operation {
	return openapi.Operation{Route: route, Summary: summary, Tag: tagOAuth, Security: []string{schemeClient, schemeNone},
		Form: append(append([]openapi.Param(nil), fields...), clientFormParam...), Responses: responses}
}

// routeDocs is the documentation of every route.
func routeDocs() []openapi.Operation {
	ops := routeDocTable()
	for _, path := range cookielessOAuthEndpoints {
		ops = append(ops, openapi.Operation{Route: "OPTIONS " + path, Summary: "CORS preflight: any origin, no credentials",
			Tag: tagOAuth, Responses: []openapi.Response{{Status: http.StatusNoContent}}})
	}
	return ops
}

func routeDocTable() []openapi.Operation {
	return []openapi.Operation{
		// Operations.
		{Route: "GET /livez", Summary: "Liveness: the process answers", Tag: tagOps, Responses: ok(statusJSON{})},
		{Route: "GET /readyz", Summary: "Readiness: the database answers (503 otherwise)", Tag: tagOps, Responses: ok(statusJSON{})},
		{Route: "GET /metrics", Summary: "Prometheus metrics", Tag: tagOps, Responses: []openapi.Response{{Status: 200, Body: metricsText, ContentType: "text/plain; version=0.0.4; charset=utf-8"}}},
		{Route: "GET /openapi.json", Summary: "This document", Tag: tagOps, Responses: ok(anyValue)},
		{Route: "GET /docs/api", Summary: "The API reference, rendered from this document", Tag: tagOps, Responses: []openapi.Response{htmlPage}},

		// Sign-in and sessions.
		{Route: "POST /v1/auth/register", Summary: "Create an account and sign in", Tag: tagAuth, Request: apiwire.RegisterRequest{}, Responses: created(apiwire.Session{})},
		{Route: "POST /v1/auth/login", Summary: "Sign in with a username or email and a password", Tag: tagAuth, Request: apiwire.LoginRequest{}, Responses: ok(apiwire.Session{})},
		{Route: "POST /v1/auth/logout", Summary: "End the caller's session (and the person's OAuth grants)", Tag: tagAuth, Security: []string{schemeBearer}, Responses: noContent},
		{Route: "GET /v1/auth/logout", Summary: "End the browser's session and redirect (redirect_to: a local path or an allowed origin)", Tag: tagAuth,
			Query: []openapi.Param{{Name: "redirect_to", Description: "where to go afterwards"}}, Responses: []openapi.Response{seeOther}},
		{Route: "POST /v1/auth/agent", Summary: "Exchange an agent token for an agent session", Tag: tagAgents, Request: apiwire.AgentSignInRequest{}, Responses: ok(apiwire.Session{})},
		{Route: "GET /v1/me/sessions", Summary: "The caller's active sessions", Tag: tagAuth, Responses: ok(list[apiwire.SessionInfo]{})},
		{Route: "DELETE /v1/me/sessions/{id}", Summary: "Revoke one of the caller's sessions", Tag: tagAuth, Responses: noContent},

		// Account.
		{Route: "GET /v1/me", Summary: "The caller's profile", Tag: tagAccount, Responses: ok(apiwire.User{})},
		{Route: "PATCH /v1/me", Summary: "Update the profile; a new email address answers 202 until it is confirmed", Tag: tagAccount, Request: apiwire.ProfileUpdate{},
			Responses: []openapi.Response{{Status: 200, Body: apiwire.User{}}, {Status: 202, Body: apiwire.EmailChange{}, Description: "The new address must be confirmed with the mailed code"}}},
		{Route: "DELETE /v1/me", Summary: "Delete the account (a recent sign-in or the password)", Tag: tagAccount, Request: apiwire.DeleteAccountRequest{}, Responses: noContent},
		{Route: "POST /v1/me/change-password", Summary: "Change the password: every other session ends, a new one starts", Tag: tagAccount, Request: apiwire.ChangePasswordRequest{}, Responses: ok(apiwire.Session{})},
		{Route: "GET /v1/me/orgs", Summary: "The caller's organizations", Tag: tagAccount, Responses: ok(list[apiwire.Org]{})},
		{Route: "GET /v1/me/audit-events", Summary: "The caller's audit trail, newest first", Tag: tagAccount, Query: cursorParams, Responses: ok(list[apiwire.AuditEvent]{})},
		{Route: "GET /v1/me/account", Summary: "How the account can sign in", Tag: tagAccount, Responses: ok(accountJSON{})},
		{Route: "GET /v1/me/consents", Summary: "The applications the caller authorized", Tag: tagOAuth, Responses: ok(consentList{})},
		{Route: "DELETE /v1/me/consents/{client_id}", Summary: "Withdraw an application's consent and end its grants", Tag: tagOAuth, Responses: noContent},

		// Personal access tokens and verification.
		{Route: "POST /v1/auth/tokens", Summary: "Create a personal access token (shown once)", Tag: tagTokens, Request: apiwire.CreateTokenRequest{}, Responses: created(apiwire.NewToken{})},
		{Route: "GET /v1/auth/tokens", Summary: "The caller's personal access tokens (never the secrets)", Tag: tagTokens, Responses: ok(list[apiwire.Token]{})},
		{Route: "DELETE /v1/auth/tokens/{id}", Summary: "Revoke a personal access token", Tag: tagTokens, Responses: noContent},
		{Route: "POST /v1/verify", Summary: "Verify any credential for a resource server (valid or the failure's code)", Tag: tagTokens, Request: apiwire.VerifyRequest{},
			Responses:   ok(openapi.OneOf{apiwire.VerifyValid{}, apiwire.VerifyFailure{}}),
			Description: "Answers 200 with `valid: true` and the credential's facts, or `valid: false` and the code (invalid_token, expired_token, insufficient_permissions, ip_not_allowed, ...)."},

		// Organizations.
		{Route: "POST /v1/orgs", Summary: "Create an organization (the caller is its owner)", Tag: tagOrgs, Request: apiwire.CreateOrgRequest{}, Responses: created(apiwire.Org{})},
		{Route: "GET /v1/orgs/{org}", Summary: "One of the caller's organizations", Tag: tagOrgs, Responses: ok(apiwire.Org{})},
		{Route: "GET /v1/orgs/{org}/members", Summary: "The organization's members", Tag: tagOrgs, Responses: ok(list[apiwire.Member]{})},
		{Route: "POST /v1/orgs/{org}/members", Summary: "Add a member", Tag: tagOrgs, Request: apiwire.AddMemberRequest{}, Responses: created(apiwire.Member{})},
		{Route: "PATCH /v1/orgs/{org}/members/{user}", Summary: "Change a member's role", Tag: tagOrgs, Request: apiwire.SetMemberRoleRequest{}, Responses: ok(apiwire.Member{})},
		{Route: "DELETE /v1/orgs/{org}/members/{user}", Summary: "Remove a member", Tag: tagOrgs, Responses: noContent},
		{Route: "POST /v1/orgs/{org}/agents", Summary: "Add one of the caller's agents to the organization", Tag: tagOrgs, Request: apiwire.AddAgentToOrgRequest{}, Responses: created(apiwire.Member{})},
		{Route: "GET /v1/orgs/{org}/audit-events", Summary: "The organization's audit trail, newest first", Tag: tagOrgs, Query: cursorParams, Responses: ok(list[apiwire.AuditEvent]{})},

		// API keys.
		{Route: "POST /v1/orgs/{org}/api-keys", Summary: "Create an API key (shown once)", Tag: tagAPIKeys, Request: apiwire.CreateAPIKeyRequest{}, Responses: created(apiwire.NewAPIKey{})},
		{Route: "GET /v1/orgs/{org}/api-keys", Summary: "The organization's API keys (never the secrets)", Tag: tagAPIKeys, Responses: ok(list[apiwire.APIKey]{})},
		{Route: "DELETE /v1/orgs/{org}/api-keys/{id}", Summary: "Revoke an API key", Tag: tagAPIKeys, Responses: noContent},
		{Route: "POST /v1/orgs/{org}/api-keys/{id}/rotate", Summary: "Rotate an API key (the old one works for the overlap)", Tag: tagAPIKeys, Request: apiwire.RotateAPIKeyRequest{}, Responses: created(apiwire.RotatedAPIKey{})},

		// OAuth clients.
		{Route: "POST /v1/orgs/{org}/oauth-clients", Summary: "Register an OAuth client (a confidential one's secret is shown once)", Tag: tagClients, Request: createOAuthClientRequest{}, Responses: created(newOAuthClientJSON{})},
		{Route: "GET /v1/orgs/{org}/oauth-clients", Summary: "The organization's OAuth clients", Tag: tagClients, Responses: ok(list[oauthClientJSON]{})},
		{Route: "GET /v1/orgs/{org}/oauth-clients/{id}", Summary: "One OAuth client", Tag: tagClients, Responses: ok(oauthClientJSON{})},
		{Route: "DELETE /v1/orgs/{org}/oauth-clients/{id}", Summary: "Delete an OAuth client and end its grants", Tag: tagClients, Responses: noContent},
		{Route: "POST /v1/orgs/{org}/oauth-clients/{id}/rotate-secret", Summary: "Rotate a confidential client's secret (shown once)", Tag: tagClients, Responses: ok(rotatedSecretJSON{})},

		// Agents.
		{Route: "POST /v1/agents", Summary: "Create an agent (its token is shown once)", Tag: tagAgents, Request: apiwire.CreateAgentRequest{}, Responses: created(apiwire.AgentWithToken{})},
		{Route: "GET /v1/agents", Summary: "The caller's agents", Tag: tagAgents, Responses: ok(list[apiwire.Agent]{})},
		{Route: "GET /v1/agents/{id}", Summary: "One of the caller's agents", Tag: tagAgents, Responses: ok(apiwire.Agent{})},
		{Route: "DELETE /v1/agents/{id}", Summary: "Delete an agent and its account", Tag: tagAgents, Responses: noContent},
		{Route: "POST /v1/agents/{id}/verify", Summary: "Verify an agent: its token may sign in", Tag: tagAgents, Responses: ok(apiwire.Agent{})},
		{Route: "POST /v1/agents/{id}/rotate", Summary: "Rotate an agent's token (shown once)", Tag: tagAgents, Responses: ok(apiwire.AgentWithToken{})},
		{Route: "POST /v1/agents/{id}/transfer", Summary: "Transfer an agent to another person (its token is rotated; nobody is shown it)", Tag: tagAgents, Request: apiwire.TransferAgentRequest{}, Responses: ok(apiwire.Agent{})},
		{Route: "POST /v1/secret-scanning/report", Summary: "A secret-scanning partner's signed report of leaked tokens", Tag: tagLeaks,
			Request: []leakMatch{}, Responses: ok([]leakLabel{}),
			Description: "The body is signed: `Github-Public-Key-Identifier` and `Github-Public-Key-Signature` (ECDSA over the exact bytes)."},

		// Passkeys.
		{Route: "POST /v1/auth/passkey/register/challenge", Summary: "Start adding a passkey", Tag: tagPasskeys, Responses: ok(ceremonyJSON{})},
		{Route: "POST /v1/auth/passkey/register", Summary: "Finish adding a passkey", Tag: tagPasskeys, Request: passkeyRegisterRequest{}, Responses: created(passkeyJSON{})},
		{Route: "POST /v1/auth/passkey/login/challenge", Summary: "Start signing in with a passkey", Tag: tagPasskeys, Request: passkeyLoginChallengeRequest{}, Responses: ok(ceremonyJSON{})},
		{Route: "POST /v1/auth/passkey/login", Summary: "Sign in with a passkey", Tag: tagPasskeys, Request: passkeyAssertion{}, Responses: ok(apiwire.Session{})},
		{Route: "GET /v1/auth/passkeys", Summary: "The caller's passkeys", Tag: tagPasskeys, Responses: ok(list[passkeyJSON]{})},
		{Route: "PATCH /v1/auth/passkeys/{id}", Summary: "Rename a passkey", Tag: tagPasskeys, Request: renamePasskeyRequest{}, Responses: ok(passkeyJSON{})},
		{Route: "DELETE /v1/auth/passkeys/{id}", Summary: "Delete a passkey (409 while it is the last way in)", Tag: tagPasskeys, Responses: noContent},

		// Google.
		{Route: "POST /v1/auth/google", Summary: "Sign in (or link, when signed in) with a Google ID token", Tag: tagGoogle, Request: googleSignInRequest{}, Responses: ok(apiwire.Session{})},
		{Route: "GET /v1/auth/google/start", Summary: "Start the redirect flow to Google", Tag: tagGoogle, Query: nextParam,
			Responses: []openapi.Response{{Status: http.StatusFound, Description: "To Google", Headers: []string{"Location"}}}},
		{Route: "GET /v1/auth/google/callback", Summary: "Google's redirect back: signs in and goes to next", Tag: tagGoogle,
			Query: []openapi.Param{{Name: "state"}, {Name: "code"}}, Responses: []openapi.Response{seeOther}, ErrorContentType: htmlType},
		{Route: "POST /v1/me/google/unlink", Summary: "Unlink Google (409 while it is the last way in)", Tag: tagGoogle, Responses: noContent},

		// Email verification and recovery.
		{Route: "POST /v1/auth/verify-email", Summary: "Verify the email address (or confirm a change) with the mailed code", Tag: tagRecovery, Request: verifyEmailRequest{}, Responses: ok(apiwire.User{})},
		{Route: "POST /v1/auth/resend-verification", Summary: "Mail a new verification code", Tag: tagRecovery, Responses: []openapi.Response{{Status: 202, Body: statusJSON{}}}},
		{Route: "POST /v1/auth/forgot-password", Summary: "Mail a password-reset link (202 whatever the address)", Tag: tagRecovery, Request: emailRequest{}, Responses: []openapi.Response{{Status: 202, Body: statusJSON{}}}},
		{Route: "POST /v1/auth/reset-password", Summary: "Set a new password with a reset link's token", Tag: tagRecovery, Request: resetPasswordRequest{}, Responses: ok(statusJSON{})},
		{Route: "POST /v1/auth/magic-link", Summary: "Mail a sign-in link (202 whatever the address)", Tag: tagRecovery, Request: emailRequest{}, Responses: []openapi.Response{{Status: 202, Body: statusJSON{}}}},
		{Route: "POST /v1/auth/magic-link/verify", Summary: "Sign in with a magic link's token", Tag: tagRecovery, Request: magicLinkRequest{}, Responses: ok(apiwire.Session{})},

		// Re-authentication.
		{Route: "POST /v1/auth/reauth", Summary: "Make the session recent with the password", Tag: tagReauth, Request: apiwire.ReauthRequest{}, Responses: ok(apiwire.Reauthenticated{})},
		{Route: "POST /v1/auth/reauth/passkey/challenge", Summary: "Start re-authenticating with a passkey", Tag: tagReauth, Responses: ok(ceremonyJSON{})},
		{Route: "POST /v1/auth/reauth/passkey", Summary: "Make the session recent with a passkey", Tag: tagReauth, Request: passkeyAssertion{}, Responses: ok(apiwire.Reauthenticated{})},

		// OAuth 2.0 and OpenID Connect.
		{Route: "GET /.well-known/jwks.json", Summary: "The token signing keys", Tag: tagOAuth, Responses: ok(jwks)},
		{Route: "GET /.well-known/oauth-authorization-server", Summary: "Authorization server metadata (RFC 8414)", Tag: tagOAuth, Responses: ok(serverMetadata)},
		{Route: "GET /.well-known/openid-configuration", Summary: "OpenID Connect discovery", Tag: tagOAuth, Responses: ok(serverMetadata)},
		page("GET /oauth2/authorize", "Authorization endpoint (RFC 6749, PKCE S256): signs in, asks consent, redirects back", nil,
			[]openapi.Param{{Name: "response_type", Required: true, Enum: []string{"code"}}, {Name: "client_id", Required: true}, {Name: "redirect_uri"},
				{Name: "scope"}, {Name: "state"}, {Name: "nonce"}, {Name: "code_challenge", Required: true}, {Name: "code_challenge_method", Enum: []string{"S256"}},
				{Name: "prompt"}, {Name: "max_age"}},
			seeOther, htmlPage),
		oauthFormOp("POST /oauth2/token", "Token endpoint: authorization_code, refresh_token, client_credentials, device_code",
			[]openapi.Param{{Name: "grant_type", Required: true, Enum: []string{"authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"}},
				{Name: "code"}, {Name: "redirect_uri"}, {Name: "code_verifier"}, {Name: "refresh_token"}, {Name: "scope"}, {Name: "device_code"}},
			ok(oauth.TokenResponse{})),
		oauthFormOp("POST /oauth2/introspect", "Token introspection (RFC 7662); a bearer verifier credential may call it too",
			[]openapi.Param{{Name: "token", Required: true}, {Name: "token_type_hint"}}, ok(introspection)),
		oauthFormOp("POST /oauth2/revoke", "Token revocation (RFC 7009)",
			[]openapi.Param{{Name: "token", Required: true}, {Name: "token_type_hint"}}, []openapi.Response{{Status: 200, Description: "Revoked, or not a token of this client"}}),
		oauthFormOp("POST /oauth2/device_authorization", "Device authorization (RFC 8628)",
			[]openapi.Param{{Name: "scope"}}, ok(oauth.DeviceAuthorizationResponse{})),
		{Route: "GET /oauth2/userinfo", Summary: "OpenID Connect UserInfo", Tag: tagOAuth, Security: []string{schemeBearer}, Responses: ok(userInfo)},
		{Route: "POST /oauth2/userinfo", Summary: "OpenID Connect UserInfo", Tag: tagOAuth, Security: []string{schemeBearer}, Responses: ok(userInfo)},
		page("GET /oauth2/consent", "The consent page of an authorization request", nil, nil),
		page("POST /oauth2/consent", "Approve or deny an authorization request",
			[]openapi.Param{{Name: "action", Required: true, Enum: []string{"approve", "deny"}}, {Name: "remember"}}, nil, seeOther),

		// Device flow.
		{Route: "GET /v1/device", Summary: "A pending device request by its user code", Tag: tagDevice, Query: []openapi.Param{{Name: "user_code", Required: true}}, Responses: ok(pendingDeviceJSON{})},
		{Route: "POST /v1/device/approve", Summary: "Approve a device request", Tag: tagDevice, Request: deviceDecision{}, Responses: ok(statusJSON{})},
		{Route: "POST /v1/device/deny", Summary: "Deny a device request", Tag: tagDevice, Request: deviceDecision{}, Responses: ok(statusJSON{})},
		page("GET /device", "The device page: enter the user code", nil, []openapi.Param{{Name: "user_code"}}),
		page("POST /device", "Look up, approve or deny a device request",
			[]openapi.Param{{Name: "user_code", Required: true}, {Name: "action", Enum: []string{"approve", "deny"}}}, nil),

		// Pages.
		page("GET /{$}", "Home: the signed-in person's name, or to /login", nil, nil, htmlPage, seeOther),
		page("GET /login", "Sign-in page (a signed-in browser goes on to next)", nil, nextParam, htmlPage, seeOther),
		page("POST /login", "Sign in", []openapi.Param{{Name: "username", Required: true}, {Name: "password", Required: true}, {Name: "next"}}, nil, seeOther, htmlPage),
		page("GET /register", "Registration page (a signed-in browser goes on to next)", nil, nextParam, htmlPage, seeOther),
		page("POST /register", "Register", []openapi.Param{{Name: "username", Required: true}, {Name: "password", Required: true}, {Name: "email"}, {Name: "display_name"}, {Name: "next"}}, nil, seeOther, htmlPage),
		page("GET /logout", "Sign-out page", nil, nil, htmlPage, seeOther),
		page("POST /logout", "Sign out", nil, nil, seeOther),
		page("GET /verify-email", "Email verification page", nil, nil, htmlPage, seeOther),
		page("POST /verify-email", "Verify the email address with the mailed code", []openapi.Param{{Name: "code", Required: true}}, nil),
		page("GET /reset-password", "Password reset page (from the mailed link)", nil, tokenParam),
		page("POST /reset-password", "Set a new password", []openapi.Param{{Name: "token", Required: true}, {Name: "new_password", Required: true}}, nil),
		page("GET /magic-link", "Magic-link sign-in page (from the mailed link)", nil, tokenParam),
		page("POST /magic-link", "Sign in with the magic link", []openapi.Param{{Name: "token", Required: true}}, nil, seeOther, htmlPage),
		page("GET /account", "Account: profile", nil, nil, htmlPage, seeOther),
		page("POST /account/profile", "Save the profile", []openapi.Param{{Name: "display_name"}, {Name: "email"}}, nil, seeOther, htmlPage),
		page("POST /account/reauth", "Re-authenticate with the password and retry the action", []openapi.Param{{Name: "password", Required: true}, {Name: "retry_action", Required: true}}, nil, seeOther, htmlPage),
		page("GET /account/tokens", "Account: personal access tokens", nil, nil, htmlPage, seeOther),
		page("POST /account/tokens", "Create a personal access token (shown once)", []openapi.Param{{Name: "name", Required: true}, {Name: "expires_in", Required: true}, {Name: "scopes"}}, nil),
		page("POST /account/tokens/{id}/revoke", "Revoke a personal access token", nil, nil, seeOther),
		page("GET /account/sessions", "Account: sessions", nil, nil, htmlPage, seeOther),
		page("POST /account/sessions/{id}/revoke", "Revoke a session", nil, nil, seeOther),
		page("GET /account/passkeys", "Account: passkeys", nil, nil, htmlPage, seeOther),
		page("POST /account/passkeys/{id}/rename", "Rename a passkey", []openapi.Param{{Name: "name", Required: true}}, nil, seeOther, htmlPage),
		page("POST /account/passkeys/{id}/delete", "Delete a passkey", nil, nil, seeOther, htmlPage),
		page("GET /account/connected", "Account: connected accounts (Google)", nil, []openapi.Param{{Name: "unlinked"}}, htmlPage, seeOther),
		page("POST /account/connected/google/unlink", "Unlink Google", nil, nil, seeOther, htmlPage),
		page("GET /static/", "The pages' static assets", nil, nil, openapi.Response{Status: 200, Body: openapi.Raw{"type": "string"}, ContentType: "application/octet-stream"}),
	}
}
