// Package e2e holds end-to-end tests: each starts the real server (app.Main on port 0) on a real
// SQLite file, and again on PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL names a server, and talks
// to it over HTTP like any client would. The browser tests drive real headless Chromium; the
// crash test runs the built binary and kills it.
package e2e
