// Package auth holds the use cases of Gatehouse:
//
//   - accounts and sessions: register, sign in (throttled, enumeration-proof), sessions, profile,
//     change password, delete account, the caller's organizations and audit trail, and the
//     operator's repairs (admin create-user, reset-password, revoke-sessions);
//   - developer credentials: personal access tokens (pats.go), agents and the agent exchange
//     (agents.go), organizations and members (orgs.go), organizations' API keys (apikeys.go),
//     leaked-token reports (leaks.go: the LeakReports service);
//   - mailed secrets: email verification codes (emailverify.go), password reset and magic links
//     (recovery.go), composed through MailComposer and stored with the secret in one transaction;
//   - OAuth clients of organizations and the built-in gatehouse-cli client (oauthclients.go: the
//     OAuthClients service, which package oauth also uses to find and authenticate clients);
//   - other ways in: passkeys (passkeys.go, go-webauthn) and Google or any OIDC issuer
//     (google.go), with /v1/me/account's summary of the sign-in methods;
//   - the one verification machinery (verify.go, session.go): Authenticate for endpoints that act
//     as a user (sessions, agent sessions, PATs), Verify for /v1/verify and introspection (every
//     kind, API keys included, with scopes and client-address checks);
//   - batched last-used recording (usage.go): a check never writes to the database.
//
// Services: per-concern services share only base (base.go: clock, randomness, logger, audit
// writes) and authorizer (grant.go: Grant, Authorize, IsAdmin), and each takes the narrow store
// interface it uses, declared beside it: PATs (PATsStore), APIKeys (APIKeysStore), Agents
// (AgentsStore), Orgs (OrgsStore), OAuthClients (OAuthClientsStore), LeakReports (LeakStore).
// Service keeps, over the whole Store, what is left: accounts, every way of signing in (they all
// start sessions), re-authentication, mailed codes and links, passkeys, Google, the operator's
// repairs and the verification machinery — still to be split the same way.
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
