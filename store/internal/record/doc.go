// Package record holds the rules the store applies to a record before writing it, whatever the
// database, so that SQLite and PostgreSQL behave identically; the dialect-specific encoding
// stays in store/sqlstore's dialect.
//
// The Check functions reject a record a store must not write with a *gatehouse.Error of
// CodeInvalidRequest (or CodeConflict for a reserved ID). The Fill functions run the checks
// and then fill in the defaults: an empty ID (a new one of the record's prefix, from its
// creation time), a zero creation time (now), nil lists (empty), and every time normalised
// by Time — UTC, truncated to the millisecond, the precision both stores keep — so the
// record the caller holds equals what a later read returns.
package record
