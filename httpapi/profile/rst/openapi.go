package rst

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/httpapi"
	"github.com/gatehouse-auth/gatehouse/openapi"
)

const tag = "Profile: rst"

// Operations documents the API key routes and the login's answer (replacing the native
// operation of POST /v1/auth/login in /openapi.json).
func (Profile) Operations() []openapi.Operation {
	login, _ := httpapi.NativeDocs("POST /v1/auth/login")
	login.Summary += " (answers access_token and token_type too: the rst profile)"
	login.Responses = []openapi.Response{{Status: http.StatusOK, Body: loginAnswer{}}}
	return []openapi.Operation{
		login,
		{Route: "POST /v1/auth/api-keys", Summary: "Create an API key of the caller (a never-expiring personal access token; shown once)", Tag: tag, Request: createKeyRequest{},
			Responses: []openapi.Response{{Status: http.StatusCreated, Body: newKey{}}}},
		{Route: "GET /v1/auth/api-keys", Summary: "The caller's API keys (personal access tokens; never the key)", Tag: tag,
			Responses: []openapi.Response{{Status: http.StatusOK, Body: keyList{}}}},
		{Route: "DELETE /v1/auth/api-keys/{key_id}", Summary: "Revoke one API key", Tag: tag,
			Responses: []openapi.Response{{Status: http.StatusNoContent}}},
	}
}
