// Package auth holds the account and session use cases of Gatehouse: register, sign in, sign
// out, profile, change password, delete account, sessions, the caller's organizations and audit
// trail, and the operator's repairs (admin create-user, reset-password, revoke-sessions).
//
// Contract:
//   - It speaks the root package's types and its Store interface; it imports the pure libraries
//     token and password, never an I/O adapter (stores, rate limiters, HTTP).
//   - Every error it returns is a *gatehouse.Error with a contract code, or an internal error.
//     Sign-in failures of every kind are the same CodeInvalidCredentials error and take the same
//     time (unknown accounts verify against a dummy hash).
//   - Bearer secrets are generated here, returned once, and only their SHA-256 is stored.
//   - The clock and the random source are injected (Options) so expiry tests are deterministic.
package auth
