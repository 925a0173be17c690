// Package postgres opens Gatehouse's store on a PostgreSQL database: store/sqlstore with its
// PostgreSQL dialect (pgx's database/sql driver). Everything the store does is documented
// there; this package only keeps the names callers open it by. Its pgtest package is the
// PostgreSQL test support of every package.
package postgres
