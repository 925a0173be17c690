// Package crewkit is the seed API profile "crewkit" (API.md "Seed API profiles";
// GATEHOUSE_API_PROFILES=crewkit): crewkit's documented auth API under /api/v1/auth with JSON
// bodies — the device flow of its CLI, token refresh, revocation and logout, magic links and
// passkeys answering access + refresh tokens, the profile and the caller's organizations.
//
// Contract:
//   - Tokens are the built-in CLI client's (gatehouse-cli): the device flow and the refresh go
//     through oauth.Provider exactly as /oauth2/device_authorization and /oauth2/token do
//     (single-use refresh tokens, reuse revokes the family, the same audit events); only the
//     request (JSON instead of a form) and the answer (crewkit's members) differ.
//   - Revocation and DELETE logout are the native logout (auth.Sessions.Logout): the access
//     token is denied and the CLI's refresh families of the person end.
//   - Magic-link and passkey sign-ins are the native use cases (auth.Recovery, auth.Passkeys);
//     oauth.Provider.CLITokensForSignIn turns their session into the CLI client's tokens. The
//     passkey registration, list and delete routes are the native handlers.
//   - GET/PATCH /api/v1/auth/me are the native /v1/me handlers; organizations are
//     auth.Accounts.ListOrgs in crewkit's {data: [{id, name, slug, role}]}.
//   - Every route is registered through httpapi.ProfileRouter with its native twin's
//     permission, and documented by Operations.
package crewkit
