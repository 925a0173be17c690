// Package client is the Go SDK of Gatehouse: a typed client for its HTTP API (accounts and
// sessions, password changes and account deletion, personal access tokens, agents,
// organizations, API keys, audit logs and /v1/verify) and net/http middleware that protects a
// resource server with Gatehouse credentials.
//
// The package depends on the standard library and package apiwire (which imports only the
// standard library), where the API's JSON types are defined once for the server and the SDK;
// importing it pulls in nothing else.
//
// # Client
//
// New returns a *Client for a Gatehouse base URL. A Client is immutable and safe for concurrent
// use; WithToken sets the bearer credential it sends (a session token, a personal access token,
// an agent session or an API key) and Client.As returns a copy with another one. Every method
// takes a context first and makes exactly the HTTP requests it documents.
//
// Lists return every item as a slice. Where the API paginates ({"data": [...], "next_cursor":
// "..."}), the client follows next_cursor itself until it is empty.
//
// # Errors
//
// Every answer outside 2xx becomes a *Error carrying the HTTP status, the API's stable code
// (the Code* constants), its description, the request ID and, for 429 and 503, the delay from
// Retry-After. Match codes with IsCode(err, CodeNotFound) or errors.Is(err, &Error{Code:
// CodeNotFound}). Transport failures (Gatehouse unreachable, a cancelled context) are returned
// wrapped, never as a *Error.
//
// Verify is the exception to "failure is an error": a credential that is not valid is a normal
// answer (Verification.Valid false, Verification.Code says why); an error means the question
// could not be answered.
//
// Secrets (new tokens, agent tokens, API keys) appear only in the values returned by the calls
// that create them and never in an error's text.
//
// # Middleware
//
// Client.Middleware checks the Authorization: Bearer credential of every request through
// POST /v1/verify, with the required scopes and the client's address, and hands a valid
// request to the next handler with the *Verification in its context (VerificationFrom). The
// Client must authenticate as an API key holding the reserved scope gatehouse:verify (or an
// instance administrator). Refusals use Gatehouse's JSON error shape:
//
//   - no, invalid or expired credential → 401 with WWW-Authenticate: Bearer error="invalid_token"
//   - insufficient_permissions, ip_not_allowed, agent_not_verified → 403
//   - rate_limited → 429 with Retry-After
//   - Gatehouse unreachable or refusing the middleware's own credential → 503: it fails closed
//     and never lets an unchecked request through.
//
// Results are never cached: every request is checked by Gatehouse, so a revoked credential
// fails on the very next request.
//
// The client address sent to Gatehouse (checked against API keys' allowed CIDRs) is
// Request.RemoteAddr unless TrustForwardedFor names the proxies whose X-Forwarded-For may be
// believed; then the rightmost address not inside those prefixes is the client.
package client
