package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// mailColumns is the column list of outbox_mails that mailDest reads, in order.
const mailColumns = `id, kind, to_address, subject, text_body, html_body, created_at, attempts,
	next_attempt_at, sent_at, last_error, failed_at`

func mailTargets(m *gatehouse.OutboundMail) []any {
	return []any{&m.ID, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, timeCol{&m.CreatedAt},
		&m.Attempts, timeCol{&m.NextAttemptAt}, nullTimeCol{&m.SentAt}, &m.LastError, nullTimeCol{&m.FailedAt}}
}

// insertMail inserts the filled mail m.
func insertMail(ctx context.Context, tx conn, m *gatehouse.OutboundMail) error {
	_, err := tx.exec(ctx, `INSERT INTO outbox_mails (`+mailColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		m.ID, m.Kind, m.To, m.Subject, m.Text, m.HTML, m.CreatedAt, m.Attempts,
		m.NextAttemptAt, m.SentAt, m.LastError, m.FailedAt)
	return tx.d.mapError(err, "Mail")
}

// EnqueueMail adds m to the outbox. It fills an empty ID, a zero CreatedAt (now) and a zero
// NextAttemptAt (CreatedAt: due at once), and leaves m's times as stored. An ID in use →
// CodeConflict.
func (s *Store) EnqueueMail(ctx context.Context, m *gatehouse.OutboundMail) error {
	if err := record.FillMail(m); err != nil {
		return err
	}
	return s.autocommit(func(w conn) error { return insertMail(ctx, w, m) })
}

// ClaimMail leases up to limit unsent mails due at now, oldest (CreatedAt) first, by moving their
// NextAttemptAt to now+lease, and returns them as leased. The select and the update are one
// statement on the writer (BEGIN IMMEDIATE): no other claim, in this process or another, sees
// the mails as due in between. limit <= 0 claims nothing; lease must be positive.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]gatehouse.OutboundMail, error) {
	if lease <= 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A mail lease must be positive.")
	}
	out := []gatehouse.OutboundMail{}
	if limit <= 0 {
		return out, nil
	}
	err := s.inTx(ctx, func(tx conn) error {
		rows, err := tx.query(ctx, `UPDATE outbox_mails SET next_attempt_at = $1
			WHERE id IN (SELECT id FROM outbox_mails WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2
				ORDER BY created_at, id LIMIT $3`+tx.d.lock("FOR UPDATE SKIP LOCKED")+`)
			RETURNING `+mailColumns, now.Add(lease), now, limit)
		if err != nil {
			return tx.d.mapError(err, "Mail")
		}
		defer rows.Close()
		for rows.Next() {
			var m gatehouse.OutboundMail
			if err := rows.Scan(mailTargets(&m)...); err != nil {
				return tx.d.mapError(err, "Mail")
			}
			out = append(out, m)
		}
		return tx.d.mapError(rows.Err(), "Mail")
	})
	if err != nil {
		return nil, err
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
	return s.execOne(ctx, "Mail", `UPDATE outbox_mails SET sent_at = coalesce(sent_at, $1) WHERE id = $2`, at, id)
}

// MarkMailFailed counts a failed attempt and sets LastError (cut to 2000 bytes) and the next
// attempt.
func (s *Store) MarkMailFailed(ctx context.Context, id string, next time.Time, errText string) error {
	return s.execOne(ctx, "Mail", `UPDATE outbox_mails
		SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3`, record.ClipError(errText), next, id)
}

// MarkMailDead counts a last failed attempt, sets LastError (cut to 2000 bytes) and gives up on
// the mail (FailedAt): it is never claimed again.
func (s *Store) MarkMailDead(ctx context.Context, id string, at time.Time, errText string) error {
	return s.execOne(ctx, "Mail", `UPDATE outbox_mails
		SET attempts = attempts + 1, last_error = $1, failed_at = $2 WHERE id = $3 AND sent_at IS NULL`, record.ClipError(errText), at, id)
}
