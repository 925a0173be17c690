package gatehouse

import "time"

// Audit event types written by the foundation. Later capabilities add their own.
const (
	EventLogin           = "auth.login"
	EventLoginFailed     = "auth.failed"
	EventLogout          = "auth.logout"
	EventUserRegistered  = "user.registered"
	EventSessionRevoked  = "session.revoked"
	EventPasswordChanged = "password.changed"
	EventAccountDeleted  = "account.deleted"
	EventProfileUpdated  = "user.updated"
)

// AuditEvent is one append-only record of something that happened. ActorID and SubjectID are
// plain strings, not foreign keys: events outlive the accounts they mention.
type AuditEvent struct {
	ID        string // evt_...; sorts by creation time
	Type      string
	ActorID   string // who did it ("" when unknown, e.g. a failed login for an unknown name)
	SubjectID string // what it was done to (a user, session, key ...)
	OrgID     string
	IP        string
	UserAgent string
	CreatedAt time.Time
	Details   map[string]any // never secrets
}

// AuditFilter selects audit events, newest first. Zero fields do not filter.
type AuditFilter struct {
	UserID  string // events whose actor or subject is this user
	ActorID string
	OrgID   string
	Types   []string
	Since   time.Time // inclusive
	Until   time.Time // exclusive
	Before  string    // cursor: only events with ID < Before
	Limit   int       // 1..1000; stores treat <= 0 as 100
}
