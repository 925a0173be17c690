// Package app wires Gatehouse together: configuration → store → services → HTTP server. It is
// the only package besides cmd/ that imports the adapters (stores, rate limiters, mail).
//
// Main is the testable program: tests build a config with Addr "127.0.0.1:0" and a SQLite file
// in a temporary folder, call Start, talk to URL(), and Close. A Start that fails closes what
// its earlier steps opened (store, rate limiter, listener) before it returns. cmd/gatehouse is a
// thin cobra layer over it.
package app
