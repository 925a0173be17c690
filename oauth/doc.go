// Package oauth is Gatehouse's OAuth 2.0 / OpenID Connect authorization server: the use cases
// behind /oauth2/* and the discovery document, without HTTP (package httpapi maps requests and
// answers onto the exported API of this package).
//
// Contract:
//   - Issuer is Config.Issuer (GATEHOUSE_PUBLIC_URL), never a Host header; every endpoint URL of
//     Metadata and the "iss" of every token and redirect derive from it.
//   - The authorization endpoint and the consent page's answers are decided by
//     Provider.Authorize, which returns one AuthorizeOutcome: a redirect to the client (a code,
//     or an error with state and iss), the sign-in page with the request to continue with, the
//     consent page with what it asks, or an error to show (never redirected when the client or
//     its redirect URI is in doubt). prompt=none, prompt=login, prompt=consent and max_age are
//     applied there (OpenID Connect Core 3.1.2.1, 3.1.2.6); package httpapi only reads the
//     request and the session cookie and renders the outcome.
//   - Grants: authorization_code with PKCE S256 required of every client (plain and missing
//     challenges are refused), refresh_token, client_credentials (confidential clients only) and
//     the device code grant (RFC 8628). No implicit, no password grant. CLITokensForSignIn
//     issues the built-in CLI client's tokens for a sign-in another use case just completed
//     (magic link, passkey; the crewkit profile) and ends the session that sign-in started.
//   - Access tokens are JWTs (RFC 9068: typ at+jwt, kid) signed by the current key of package
//     keys in Config.AccessTokenAlg: ES256 by default (a P-256 signature costs ~40 µs, an
//     RSA-2048 one ~1.1 ms: docs/benchmarks.md), RS256 when the operator sets
//     GATEHOUSE_ACCESS_TOKEN_ALG=RS256. Claims: iss, sub (the user, or the client for
//     client_credentials), aud (Config.Audience, default the issuer), exp, iat, nbf, jti,
//     client_id and scope. VerifyAccessToken accepts only RS256/ES256 signatures by a published
//     key and only the alg that key was made for, typ at+jwt, the issuer and audience, an
//     unexpired exp, and a jti not on the denylist. A token whose signature checked out is
//     remembered (verifiedcache.go) so that only the signature check is skipped when it comes
//     back; everything else is checked on every call.
//   - ID tokens (typ JWT, always RS256, as OpenID Connect requires by default) carry iss, sub, aud and azp (the client), exp, iat, auth_time, nonce,
//     at_hash and the profile / email claims the scopes allow.
//   - Every other secret (authorization codes, refresh tokens `<brand>_rt_…`, device codes,
//     user codes) is random from Options.Random (crypto/rand) and stored only as SHA-256.
//     Codes live Config.CodeTTL (60 s) and work once: a second redemption fails (invalid_grant)
//     and revokes what the first issued. Refresh tokens rotate on every use; presenting a used
//     one revokes its whole family.
//   - A refresh token is issued only when the client has the refresh_token grant and the user
//     granted offline_access (OpenID Connect Core 11), for the code and device grants alike.
//   - Errors are *gatehouse.Error with the RFC codes (invalid_client, invalid_grant, ...);
//     ParseAuthorize's are *AuthorizeError, redirectable or not. Errors and logs never carry a
//     secret.
//   - Audit events: token.issued, token.refreshed, token.revoked, oauth.consent_granted,
//     oauth.consent_revoked, device.approved, device.denied, with the client's organization.
//     client_credentials issuances and refreshes are counted in memory and written as one event
//     per client (and user) with a count every flush (RunTokenEventFlusher, 10 s, and at
//     shutdown), so that token traffic never becomes a database write per token.
//   - Time comes from Options.Now and randomness from Options.Random, so that expiry and
//     rotation tests are deterministic.
package oauth
