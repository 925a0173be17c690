package auth

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// base is what every service of the package shares and nothing more: the clock (UTC,
// millisecond precision, as the stores keep times), randomness for IDs and tokens, the logger.
// Each service adds the narrow store interface it uses (LeakReports: LeakStore), so that what a
// use case may touch is stated by its type.
type base struct {
	now    func() time.Time
	random io.Reader // nil: crypto/rand
	log    *slog.Logger
}

// newBase fills in the defaults of opts.
func newBase(opts Options) base {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return base{now: func() time.Time { return now().UTC().Truncate(time.Millisecond) }, random: opts.Random, log: log}
}

// newID returns a new ID with prefix, time-ordered by the service's clock.
func (b base) newID(prefix string) string { return gatehouse.NewID(prefix, b.now(), b.random) }

// auditAppender is the one store call an audit event needs.
type auditAppender interface {
	AppendAuditEvent(ctx context.Context, e *gatehouse.AuditEvent) error
}

// writeAudit appends e, its ID and time filled in, and logs (never returns) a failure: the
// action it records has happened. It outlives the request (the caller may have hung up).
func (b base) writeAudit(ctx context.Context, store auditAppender, e *gatehouse.AuditEvent) {
	ctx = context.WithoutCancel(ctx)
	if e.ID == "" {
		e.ID = b.newID(gatehouse.PrefixEvent)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = b.now()
	}
	if err := store.AppendAuditEvent(ctx, e); err != nil {
		b.log.ErrorContext(ctx, "audit event not written", "type", e.Type, "err", err)
	}
}

// recorder is base with the audit trail of a service that acts for users: every service that
// writes user events embeds one, over its own store.
type recorder struct {
	base
	events auditAppender
}

// newRecorder returns the recorder of opts writing to events.
func newRecorder(opts Options, events auditAppender) recorder {
	return recorder{base: newBase(opts), events: events}
}

// audit appends an event of no organization. A failure to write it is logged, not returned: the
// action happened. The write does not inherit the request's cancellation: a client that hangs
// up after the action must not erase its trace.
func (r recorder) audit(ctx context.Context, typ, actor, subject string, meta Meta, details map[string]any) {
	r.writeAudit(ctx, r.events, userEvent(typ, actor, subject, meta, details))
}

// auditOrg appends an event of the organization orgID, like audit.
func (r recorder) auditOrg(ctx context.Context, typ, orgID, actor, subject string, meta Meta, details map[string]any) {
	r.writeAudit(ctx, r.events, orgEvent(typ, orgID, actor, subject, meta, details))
}
