// Package crew is the seed API profile "crew" (API.md "Seed API profiles";
// GATEHOUSE_API_PROFILES=crew, with GATEHOUSE_TOKEN_BRAND=crew): Crew's documented auth API is
// the native one, with one answer of its own.
//
// Contract:
//   - A revoked (or expired) API key fails with expired_api_key (Crew's docs: "Key has been
//     revoked"); a malformed or unknown one with invalid_api_key. The rule is the use case's
//     parameter auth.Config.RevokedAPIKeyCode, set through ConfigureAuth (httpapi.AuthConfigurer);
//     the verification machinery is the native one, on every authenticated route and /v1/verify.
//   - The profile registers no routes of its own.
package crew
