package crewkit

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/httpapi"
	"github.com/gatehouse-auth/gatehouse/openapi"
)

const tag = "Profile: crewkit"

func ok(body any) []openapi.Response { return []openapi.Response{{Status: http.StatusOK, Body: body}} }

// native is the native operation of route served under path (the same request and answers).
func native(route, path, summary string) openapi.Operation {
	op, found := httpapi.NativeDocs(route)
	if !found {
		panic("crewkit: no native documentation of " + route)
	}
	op.Route, op.Summary, op.Tag, op.Description = path, summary, tag, ""
	return op
}

// Operations documents every route Mount registers.
func (Profile) Operations() []openapi.Operation {
	bearer := []string{"bearer"}
	noContent := []openapi.Response{{Status: http.StatusNoContent}}
	return []openapi.Operation{
		{Route: "POST /api/v1/auth/device", Summary: "Start the CLI's device flow (the body may be {} or empty)", Tag: tag, Request: deviceRequest{}, Responses: ok(deviceAnswer{})},
		{Route: "POST /api/v1/auth/token", Summary: "Poll for the tokens: 400 authorization_pending, slow_down, expired_token or access_denied until approved", Tag: tag, Request: tokenRequest{}, Responses: ok(tokenAnswer{})},
		{Route: "POST /api/v1/auth/refresh", Summary: "New access and refresh tokens; the old refresh token is dead (reuse revokes the family)", Tag: tag, Request: refreshRequest{}, Responses: ok(refreshAnswer{})},
		{Route: "POST /api/v1/auth/revoke", Summary: "Revoke the bearer access token and its refresh tokens", Tag: tag, Security: bearer, Responses: noContent},
		{Route: "DELETE /api/v1/auth/logout", Summary: "Log out: as revoke", Tag: tag, Security: bearer, Responses: noContent},
		native("GET /v1/me", "GET /api/v1/auth/me", "The authenticated user's profile (native field names)"),
		native("PATCH /v1/me", "PATCH /api/v1/auth/me", "Update the profile (as PATCH /v1/me)"),
		{Route: "GET /api/v1/auth/organizations", Summary: "The organizations the caller belongs to", Tag: tag, Responses: ok(organizationList{})},
		native("POST /v1/auth/magic-link", "POST /api/v1/auth/magic_link", "Mail a one-time sign-in link (202 whether or not the address has an account)"),
		{Route: "POST /api/v1/auth/magic_link/verify", Summary: "Sign in with the mailed token: access and refresh tokens", Tag: tag, Request: magicLinkVerifyRequest{}, Responses: ok(tokenAnswer{})},
		native("POST /v1/auth/passkey/register/challenge", "POST /api/v1/auth/passkey/register/challenge", "Start registering a passkey"),
		native("POST /v1/auth/passkey/register", "POST /api/v1/auth/passkey/register", "Finish registering a passkey"),
		native("POST /v1/auth/passkey/login/challenge", "POST /api/v1/auth/passkey/login/challenge", "Start a passkey sign-in"),
		{Route: "POST /api/v1/auth/passkey/login", Summary: "Finish a passkey sign-in: access and refresh tokens", Tag: tag, Request: passkeyLoginRequest{}, Responses: ok(tokenAnswer{})},
		native("GET /v1/auth/passkeys", "GET /api/v1/auth/passkeys", "The caller's passkeys"),
		native("DELETE /v1/auth/passkeys/{id}", "DELETE /api/v1/auth/passkeys/{id}", "Remove a passkey"),
	}
}
