package crustocean

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/openapi"
)

const tag = "Profile: crustocean"

func ok(body any) []openapi.Response { return []openapi.Response{{Status: http.StatusOK, Body: body}} }

func created(body any) []openapi.Response {
	return []openapi.Response{{Status: http.StatusCreated, Body: body}}
}

var noContent = []openapi.Response{{Status: http.StatusNoContent}}

// Operations documents every route Mount registers.
func (Profile) Operations() []openapi.Operation {
	bearer := []string{"bearer"}
	return []openapi.Operation{
		{Route: "POST /api/auth/register", Summary: "Create an account and sign in (joins the default organization, the Lobby)", Tag: tag, Request: registerRequest{}, Responses: created(sessionAnswer{})},
		{Route: "POST /api/auth/login", Summary: "Sign in with a username and password", Tag: tag, Request: loginRequest{}, Responses: ok(sessionAnswer{})},
		{Route: "POST /api/auth/agent", Summary: "Exchange a verified agent's token for a session (403 not verified, 401 invalid, 429 with Retry-After)", Tag: tag, Request: agentRequest{}, Responses: ok(sessionAnswer{})},
		{Route: "POST /api/auth/logout", Summary: "Revoke the current session and clear the cookie", Tag: tag, Security: bearer, Responses: noContent},
		{Route: "GET /api/auth/logout", Summary: "Log out and redirect (redirect_to: a local path or an allowed origin)", Tag: tag,
			Query:     []openapi.Param{{Name: "redirect_to", Description: "where to go afterwards"}},
			Responses: []openapi.Response{{Status: http.StatusSeeOther, Description: "Redirect", Headers: []string{"Location"}}}},
		{Route: "GET /api/auth/me", Summary: "The authenticated user or agent", Tag: tag, Responses: ok(crustoceanUser{})},
		{Route: "PATCH /api/auth/me", Summary: "Update profile fields", Tag: tag, Request: profileUpdate{}, Responses: ok(crustoceanUser{})},
		{Route: "POST /api/auth/change-password", Summary: "Change the password: every other session ends; answers the new session's token", Tag: tag, Request: changePasswordRequest{}, Responses: ok(tokenAnswer{})},
		{Route: "DELETE /api/auth/account", Summary: "Delete the account (the password in the body)", Tag: tag, Request: deleteAccountRequest{}, Responses: noContent},
		{Route: "POST /api/auth/tokens", Summary: "Create a personal access token (shown once; at most 10)", Tag: tag, Request: createTokenRequest{}, Responses: created(newToken{})},
		{Route: "GET /api/auth/tokens", Summary: "The caller's personal access tokens (never the token)", Tag: tag, Responses: ok(tokenList{})},
		{Route: "DELETE /api/auth/tokens/{id}", Summary: "Revoke a personal access token", Tag: tag, Responses: noContent},
		{Route: "POST /api/agents", Summary: "Create an agent (its token is shown once)", Tag: tag, Request: createAgentRequest{}, Responses: created(agentAnswer{})},
		{Route: "POST /api/agents/{id}/verify", Summary: "Verify an agent: its token may sign in", Tag: tag, Responses: ok(agentAnswer{})},
		{Route: "POST /api/agents/{id}/transfer", Summary: "Transfer an agent to another person (username or user id); it must be verified again", Tag: tag, Request: transferRequest{}, Responses: ok(agentAnswer{})},
		{Route: "GET /api/agencies", Summary: "The caller's agencies (organizations)", Tag: tag, Responses: ok(agencyList{})},
		{Route: "POST /api/agencies/{id}/agents", Summary: "Add one of the caller's agents to an agency", Tag: tag, Request: addAgentRequest{}, Responses: created(agencyMember{})},
	}
}
