package postgres

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// mailColumns is the column list of outbox_mails that mailTargets reads, in order.
const mailColumns = `id, kind, to_address, subject, text_body, html_body, created_at, attempts,
	next_attempt_at, sent_at, last_error, failed_at`

func mailTargets(m *gatehouse.OutboundMail) []any {
	return []any{&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, &m.CreatedAt, &m.Attempts,
		&m.NextAttemptAt, &m.SentAt, &m.LastError, &m.FailedAt}
}

// mailUTC converts the times of a scanned mail to UTC.
func mailUTC(m *gatehouse.OutboundMail) {
	m.CreatedAt, m.NextAttemptAt, m.SentAt = m.CreatedAt.UTC(), m.NextAttemptAt.UTC(), utcPtr(m.SentAt)
	m.FailedAt = utcPtr(m.FailedAt)
}

// insertMail inserts the filled mail m.
func insertMail(ctx context.Context, db querier, m *gatehouse.OutboundMail) error {
	_, err := db.Exec(ctx, `INSERT INTO outbox_mails (`+mailColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		m.ID, m.Kind, m.To, m.Subject, m.Text, m.HTML, m.CreatedAt, m.Attempts, m.NextAttemptAt,
		m.SentAt, m.LastError, m.FailedAt)
	return mapError(err, "Mail")
}

// EnqueueMail adds m to the outbox. It fills an empty ID, a zero CreatedAt (now) and a zero
// NextAttemptAt (CreatedAt: due at once), and leaves m's times as stored. An ID in use →
// CodeConflict.
func (s *Store) EnqueueMail(ctx context.Context, m *gatehouse.OutboundMail) error {
	if err := record.FillMail(m); err != nil {
		return err
	}
	return insertMail(ctx, s.pool, m)
}

// ClaimMail leases up to limit unsent mails due at now, oldest (CreatedAt) first, by moving their
// NextAttemptAt to now+lease, and returns them as leased. One statement selects the due mails
// FOR UPDATE SKIP LOCKED and moves them: a mail another instance is claiming at that moment is
// skipped, and one it has just claimed is no longer due when its row lock is re-checked.
// limit <= 0 claims nothing; lease must be positive.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]gatehouse.OutboundMail, error) {
	if lease <= 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A mail lease must be positive.")
	}
	out := []gatehouse.OutboundMail{}
	if limit <= 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `UPDATE outbox_mails SET next_attempt_at = $3
		WHERE id IN (SELECT id FROM outbox_mails WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
			ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING `+mailColumns, now, limit, ts(now.Add(lease)))
	if err != nil {
		return nil, mapError(err, "Mail")
	}
	defer rows.Close()
	for rows.Next() {
		var m gatehouse.OutboundMail
		if err := rows.Scan(mailTargets(&m)...); err != nil {
			return nil, mapError(err, "Mail")
		}
		mailUTC(&m)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Mail")
	}
	sortMails(out)
	return out, nil
}

// sortMails orders mails oldest first (RETURNING has no order).
func sortMails(ms []gatehouse.OutboundMail) {
	slices.SortFunc(ms, func(a, b gatehouse.OutboundMail) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// MarkMailSent records that the mail was sent at at; a mail sent already keeps its first time.
func (s *Store) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_mails SET sent_at = coalesce(sent_at, $2) WHERE id = $1`, id, ts(at))
	return affected(tag.RowsAffected(), err, "Mail")
}

// MarkMailFailed counts a failed attempt and sets LastError (cut to 2000 bytes) and the next
// attempt.
func (s *Store) MarkMailFailed(ctx context.Context, id string, next time.Time, errText string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_mails
		SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1`,
		id, record.ClipError(errText), ts(next))
	return affected(tag.RowsAffected(), err, "Mail")
}

// MarkMailDead counts a last failed attempt, sets LastError (cut to 2000 bytes) and gives up on
// the mail (FailedAt): it is never claimed again.
func (s *Store) MarkMailDead(ctx context.Context, id string, at time.Time, errText string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox_mails
		SET attempts = attempts + 1, last_error = $2, failed_at = $3 WHERE id = $1 AND sent_at IS NULL`,
		id, record.ClipError(errText), ts(at))
	return affected(tag.RowsAffected(), err, "Mail")
}

// affected maps the result of a single-row statement: no row affected is not found.
func affected(n int64, err error, what string) error {
	if err != nil {
		return mapError(err, what)
	}
	if n == 0 {
		return notFound(what)
	}
	return nil
}
