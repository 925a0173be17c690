package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// dialect is what differs between the two databases for the shared SQL: how Go values are
// bound (the time and list codecs), whether a read-modify-write locks its rows, and how driver
// errors are classified. How a write transaction begins is a property of the writer pool each
// Open function builds (SQLite: one connection, BEGIN IMMEDIATE; PostgreSQL: the pool).
// Reading needs no dialect: the column scanners (columns.go) accept either database's form.
type dialect struct {
	name string // "sqlite" or "postgres"

	// millis: times are bound as INTEGER Unix milliseconds (SQLite) instead of timestamptz
	// values (PostgreSQL); lists as JSON text (SQLite) instead of text[] (PostgreSQL).
	millis bool

	// locks: the database has row locks that a read-modify-write transaction must take
	// (PostgreSQL). SQLite's writer holds the write lock of the whole file from BEGIN IMMEDIATE.
	locks bool

	// classify sorts a driver error; detail names the violated unique constraint.
	classify func(err error) (c errClass, detail string)
}

// errClass is the kind of a driver error that the store maps to a domain error.
type errClass int

const (
	errOther  errClass = iota
	errUnique          // a unique or primary key violation
	errForeignKey
	errTransient // busy, locked, serialization failure, too many connections...
)

// args converts the arguments of a statement in place to the dialect's forms: time.Time and
// *time.Time to the stored time (truncated to the millisecond: record.Time), []string and
// []netip.Prefix to the stored list (nil as empty).
func (d *dialect) args(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = d.time(v)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = d.time(*v)
			}
		case []string:
			args[i] = d.list(v)
		case []netip.Prefix:
			list := make([]string, len(v))
			for j, p := range v {
				list[j] = p.String()
			}
			args[i] = d.list(list)
		}
	}
	return args
}

func (d *dialect) time(t time.Time) any {
	if d.millis {
		return t.UnixMilli()
	}
	return record.Time(t)
}

func (d *dialect) list(list []string) any {
	if list == nil {
		list = []string{}
	}
	if !d.millis {
		return list
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic("sqlstore: encoding a []string cannot fail: " + err.Error())
	}
	return string(b)
}

// lock returns clause (FOR UPDATE ...) where the dialect has row locks, else nothing.
func (d *dialect) lock(clause string) string {
	if d.locks {
		return " " + clause
	}
	return ""
}

// pick returns the statement of the dialect, for the few that differ.
func (d *dialect) pick(sqlite, postgres string) string {
	if d.name == "sqlite" {
		return sqlite
	}
	return postgres
}

// Domain errors the store returns. Their messages are safe to show to callers.
var (
	errUsernameTaken = gatehouse.Errorf(gatehouse.CodeUsernameTaken, "That username is taken.")
	errEmailTaken    = gatehouse.Errorf(gatehouse.CodeEmailTaken, "That email address is already in use.")
	errConflict      = gatehouse.Errorf(gatehouse.CodeConflict, "It already exists.")
	errPasskeyTaken  = gatehouse.Errorf(gatehouse.CodeConflict, "That passkey is already registered.")
	errIdentityTaken = gatehouse.Errorf(gatehouse.CodeConflict, "That account is already linked to a user.")
	errProviderTaken = gatehouse.Errorf(gatehouse.CodeConflict, "The user already has an account linked at that provider.")
	errBusy          = &gatehouse.Error{Code: gatehouse.CodeUnavailable, Message: "The database is busy; try again shortly.", RetryAfter: time.Second}
	errClosed        = errors.New("sqlstore: store closed")
)

// uniqueErrors names the unique constraints with an answer of their own: SQLite's message
// names the columns ("UNIQUE constraint failed: users.username_lower"), PostgreSQL's error the
// constraint.
var uniqueErrors = []struct {
	sqlite, postgres string
	err              error
}{
	{"users.username_lower", "users_username_lower_key", errUsernameTaken},
	{"users.email_lower", "users_email_lower_key", errEmailTaken},
	{"passkeys.credential_id", "passkeys_credential_id_key", errPasskeyTaken},
	{"identities.provider, identities.subject", "identities_provider_subject_key", errIdentityTaken},
	{"identities.user_id, identities.provider", "identities_user_provider_key", errProviderTaken},
	{"oauth_device_authorizations.user_code_hash", "oauth_device_authorizations_user_code_hash_key", record.ErrUserCodeInUse},
}

// notFound returns the not-found error for a kind of thing ("User", "Session" ...).
func notFound(what string) error {
	return gatehouse.Errorf(gatehouse.CodeNotFound, "%s not found.", what)
}

// mapError turns a driver error into a domain error at the edge of the store: no rows and
// foreign-key violations become not found (naming what), unique violations the code of their
// constraint, transient conditions CodeUnavailable. Anything else is wrapped as an internal
// error.
func (d *dialect) mapError(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	var ge *gatehouse.Error
	if errors.As(err, &ge) {
		return err // already a domain error (a column scanner's, a step's)
	}
	switch class, detail := d.classify(err); class {
	case errUnique:
		for _, u := range uniqueErrors {
			if detail == u.postgres || strings.Contains(detail, u.sqlite) {
				return u.err
			}
		}
		return errConflict
	case errForeignKey:
		return notFound(what)
	case errTransient:
		return errBusy
	}
	return d.wrap(err, what)
}

// wrap wraps an unexpected error, naming the database and what was done.
func (d *dialect) wrap(err error, what string) error {
	return fmt.Errorf("%s: %s: %w", d.name, strings.ToLower(what), err)
}
