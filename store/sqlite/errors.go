package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Domain errors the store returns. Their messages are safe to show to callers.
var (
	errUsernameTaken = gatehouse.Errorf(gatehouse.CodeUsernameTaken, "That username is taken.")
	errEmailTaken    = gatehouse.Errorf(gatehouse.CodeEmailTaken, "That email address is already in use.")
	errConflict      = gatehouse.Errorf(gatehouse.CodeConflict, "It already exists.")
	errPasskeyTaken  = gatehouse.Errorf(gatehouse.CodeConflict, "That passkey is already registered.")
	errIdentityTaken = gatehouse.Errorf(gatehouse.CodeConflict, "That account is already linked to a user.")
	errProviderTaken = gatehouse.Errorf(gatehouse.CodeConflict, "The user already has an account linked at that provider.")
	errBusy          = &gatehouse.Error{Code: gatehouse.CodeUnavailable, Message: "The database is busy; try again shortly.", RetryAfter: time.Second}
)

// notFound returns the not-found error for a kind of thing ("User", "Session" ...).
func notFound(what string) error {
	return gatehouse.Errorf(gatehouse.CodeNotFound, "%s not found.", what)
}

// mapError turns a driver error into a domain error at the edge of the store: no rows and
// foreign-key violations become not found (naming what), unique violations the matching code,
// lock timeouts CodeUnavailable. Anything else is wrapped as an internal error.
func mapError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch code := se.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			// The message names the columns: "UNIQUE constraint failed: users.username_lower".
			msg := se.Error()
			switch {
			case strings.Contains(msg, "users.username_lower"):
				return errUsernameTaken
			case strings.Contains(msg, "users.email_lower"):
				return errEmailTaken
			case strings.Contains(msg, "passkeys.credential_id"):
				return errPasskeyTaken
			case strings.Contains(msg, "identities.provider, identities.subject"):
				return errIdentityTaken
			case strings.Contains(msg, "identities.user_id, identities.provider"):
				return errProviderTaken
			}
			return errConflict
		case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return notFound(what)
		case isBusy(err):
			return errBusy
		}
	}
	return fmt.Errorf("sqlite: %s: %w", strings.ToLower(what), err)
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED (any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}
