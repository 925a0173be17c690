// Package app wires Gatehouse together: configuration → store → services → HTTP server. It is
// the only package besides cmd/ that imports the adapters (stores, rate limiters, mail).
//
// The store is store/sqlstore on the configured database; with the credential cache on (the
// default) OpenStore returns CachedStore, which routes the cached lookups through
// store/credcache and every other method, every write, straight to the SQL store.
//
// Main is the testable program: tests build a config with Addr "127.0.0.1:0" and a SQLite file
// in a temporary folder, call Start, talk to URL(), and Close. A Start that fails closes what
// its earlier steps opened (store, rate limiter, listener) before it returns. cmd/gatehouse is a
// thin cobra layer over it.
package app
