package postgres

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// SQLSTATE codes the store maps (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	uniqueViolation      = "23505"
	foreignKeyViolation  = "23503"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
	lockNotAvailable     = "55P03"
	tooManyConnections   = "53300"
	cannotConnectNow     = "57P03"
)

// mapError turns a driver error into a domain error at the edge of the store: no rows and
// foreign-key violations become not found (naming what), unique violations the code of their
// constraint, transient server conditions CodeUnavailable. Anything else is wrapped as an
// internal error.
func mapError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(what)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case uniqueViolation:
			switch pe.ConstraintName {
			case "users_username_lower_key":
				return errUsernameTaken
			case "users_email_lower_key":
				return errEmailTaken
			case "passkeys_credential_id_key":
				return errPasskeyTaken
			case "identities_provider_subject_key":
				return errIdentityTaken
			case "identities_user_provider_key":
				return errProviderTaken
			}
			return errConflict
		case foreignKeyViolation:
			return notFound(what)
		case serializationFailure, deadlockDetected, lockNotAvailable, tooManyConnections, cannotConnectNow:
			return errBusy
		}
	}
	return fmt.Errorf("postgres: %s: %w", strings.ToLower(what), err)
}
