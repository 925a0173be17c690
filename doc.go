// Package gatehouse holds the domain of the Gatehouse authentication server: the types every
// other package speaks (User, Session, Org, AuditEvent, ...), the interfaces adapters implement
// (Store, RateLimiter), and the error codes of the HTTP contract.
//
// The contract of this package: it imports nothing from the module, only the standard library.
// Adapters (store/sqlstore, password, token, httpapi, ...) import it and never each
// other; only cmd/ and app/ wire them together.
//
// Errors: every error that should reach a caller as something other than a 500 is a *Error with
// one of the Code constants. Stores map driver errors (unique violations, no rows) to *Error at
// their edge; httpapi maps codes to HTTP statuses in one place.
package gatehouse
