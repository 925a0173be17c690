// Package sqlite opens Gatehouse's store on one SQLite file: store/sqlstore with its SQLite
// dialect (modernc.org/sqlite, no cgo). Everything the store does is documented there; this
// package only keeps the names callers open it by.
package sqlite
