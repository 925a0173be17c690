// Package crustocean is the seed API profile "crustocean" (API.md "Seed API profiles";
// GATEHOUSE_API_PROFILES=crustocean): Crustocean's documented auth API under /api — register,
// login, the agent token exchange, the profile, password change, logout, account deletion,
// personal access tokens, agents and agencies — with Crustocean's camelCase field names and
// answer shapes.
//
// Contract:
//   - It is an adapter only: every route translates its request onto the native use case
//     (auth.Accounts, auth.SignIn, auth.PATs, auth.Agents, auth.Orgs, auth.Sessions) and its
//     answer into Crustocean's shape. No rule lives here; limits, audit events and errors are
//     the native ones.
//   - Every route is registered through httpapi.ProfileRouter with the permission of its native
//     twin, so the authorization table and the OpenAPI document (Operations) cover it.
//   - Agencies are organizations; an agency's slug is profile.Slug of its name.
package crustocean
