// Package rst is the seed API profile "rst" (API.md "Seed API profiles";
// GATEHOUSE_API_PROFILES=rst, with GATEHOUSE_TOKEN_BRAND=rst): the rst_ API's documented auth
// endpoints are the native /v1/auth/* and /v1/me/* routes, plus its user API keys and two
// answers of its own.
//
// Contract:
//   - POST /v1/auth/login is the native handler; httpapi.ProfileRouter.LoginAnswer adds the
//     docs' access_token (the session token) and token_type "bearer" to its answer.
//   - /v1/auth/api-keys are the caller's personal access tokens (auth.PATs): a created key never
//     expires, is rst_…, and counts against the PAT limit; listing shows every PAT; DELETE
//     revokes one. Each route has the permission of its native twin (/v1/auth/tokens).
//   - POST /v1/me/google/unlink is the native handler; the docs' stricter rule (a password must
//     be set) is the use case's parameter auth.GoogleConfig.UnlinkNeedsPassword, set through
//     ConfigureAuth (httpapi.AuthConfigurer), which also makes GET /v1/me/account's
//     can_unlink_google say so.
//   - GET /v1/me/account is native; its plan_source is the account's (gatehouse admin set-plan).
package rst
