// Package auth holds the use cases of Gatehouse, one service per concern:
//
//   - Sessions (sessions.go, session.go, verify.go, credentials.go, accesstoken.go, usage.go):
//     the one verification machinery — Authenticate for endpoints that act as a user (sessions,
//     agent sessions, PATs, OAuth access tokens), Verify for /v1/verify and introspection (every
//     kind, API keys included, with scopes and client-address checks) — the sessions every
//     sign-in starts, logout and session lists, batched last-used recording (a check never
//     writes to the database), and a principal's grant (Grant, Authorize, IsAdmin);
//   - SignIn (signin.go, login.go, signin_agent.go, reauth.go): password sign-in (throttled,
//     enumeration-proof), the agent exchange, password re-authentication and RequireRecent;
//   - Accounts (accounts.go, register.go, account.go, emailchange.go, emailverify.go,
//     emailcodes.go, claim.go, signin_methods.go): registration and the default organization,
//     profile, password change, deletion, the confirmed email change, verification codes and the
//     address claims they prove, /v1/me/account's sign-in methods, the caller's organizations
//     and audit trail;
//   - Recovery (recovery.go): password reset and magic links, composed through MailComposer
//     (mailer.go) and stored with the secret in one transaction;
//   - Passkeys (passkeys*.go, go-webauthn) and Google (google*.go, Google or any OIDC issuer);
//   - Admin (admin.go): the operator's repairs (create-user, reset-password, revoke-sessions)
//     and the periodic pruning;
//   - developer credentials: PATs (pats.go), Agents (agents.go), Orgs (orgs.go), APIKeys
//     (apikeys.go), LeakReports (leaks.go), OAuthClients (oauthclients*.go, which package oauth
//     also uses to find and authenticate clients, the built-in gatehouse-cli client included).
//
// Services share only recorder (base.go: clock, randomness, logger, audit writes), authorizer
// (grant.go) and mailer (mailer.go), and each takes the narrow store interface it uses, declared
// beside it (SessionsStore, SignInStore, AccountsStore, ..., LeakStore); no service holds the
// whole gatehouse.Store (TestServicesHoldNarrowStores). The ones that start sessions or check
// passwords take Sessions and SignIn by constructor. New wires them all over one store into
// Services, which app.Main builds once and package httpapi serves.
//
// Contract:
//   - It speaks the root package's types and its Store interface (or a narrow part of it); it
//     imports the pure libraries authz, token and password, never an I/O adapter (stores, rate
//     limiters, HTTP).
//   - Every error it returns is a *gatehouse.Error with a contract code, or an internal error.
//     Sign-in failures of every kind are the same CodeInvalidCredentials error and take the same
//     time (unknown accounts verify against a dummy hash).
//   - Bearer secrets are generated here, returned once, and only their SHA-256 is stored. A
//     token's checksum is checked before any database access.
//   - It caches no credential itself (store/credcache does, exactly): revocation takes effect on
//     the next request, on every instance.
//   - The clock, the random source and the rate limiter are injected (Options) so expiry and
//     rotation tests are deterministic.
//   - Audit event types beyond the root package's (token.*, agent.*, org.*, api_key.*,
//     credential.leaked) are constants in the file of their use case.
package auth
