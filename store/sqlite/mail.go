package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// mailColumns is the column list of outbox_mails that mailDest reads, in order.
const mailColumns = `id, kind, to_address, subject, text_body, html_body, created_at, attempts,
	next_attempt_at, sent_at, last_error, failed_at`

// mailDest holds the scan targets of the mailColumns.
type mailDest struct {
	m             gatehouse.OutboundMail
	created, next int64
	sent, failed  sql.NullInt64
}

func (d *mailDest) targets() []any {
	return []any{&d.m.ID, &d.m.Kind, &d.m.To, &d.m.Subject, &d.m.Text, &d.m.HTML, &d.created,
		&d.m.Attempts, &d.next, &d.sent, &d.m.LastError, &d.failed}
}

func (d *mailDest) mail() gatehouse.OutboundMail {
	d.m.CreatedAt, d.m.NextAttemptAt, d.m.SentAt = fromMillis(d.created), fromMillis(d.next), fromNullMillis(d.sent)
	d.m.FailedAt = fromNullMillis(d.failed)
	return d.m
}

// insertMail inserts the filled mail m.
func insertMail(ctx context.Context, db execer, m *gatehouse.OutboundMail) error {
	_, err := db.ExecContext(ctx, `INSERT INTO outbox_mails (`+mailColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Kind, m.To, m.Subject, m.Text, m.HTML, millis(m.CreatedAt), m.Attempts,
		millis(m.NextAttemptAt), nullMillis(m.SentAt), m.LastError, nullMillis(m.FailedAt))
	return mapError(err, "Mail")
}

// EnqueueMail adds m to the outbox. It fills an empty ID, a zero CreatedAt (now) and a zero
// NextAttemptAt (CreatedAt: due at once), and leaves m's times as stored. An ID in use →
// CodeConflict.
func (s *Store) EnqueueMail(ctx context.Context, m *gatehouse.OutboundMail) error {
	if err := record.FillMail(m); err != nil {
		return err
	}
	return insertMail(ctx, s.w, m)
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE outbox_mails SET next_attempt_at = ?
			WHERE id IN (SELECT id FROM outbox_mails WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
				ORDER BY created_at, id LIMIT ?)
			RETURNING `+mailColumns, millis(now.Add(lease)), millis(now), limit)
		if err != nil {
			return mapError(err, "Mail")
		}
		defer rows.Close()
		for rows.Next() {
			var d mailDest
			if err := rows.Scan(d.targets()...); err != nil {
				return mapError(err, "Mail")
			}
			out = append(out, d.mail())
		}
		return mapError(rows.Err(), "Mail")
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
	res, err := s.w.ExecContext(ctx, `UPDATE outbox_mails SET sent_at = coalesce(sent_at, ?) WHERE id = ?`,
		millis(at), id)
	return affectedOne(res, err, "Mail")
}

// MarkMailFailed counts a failed attempt and sets LastError (cut to 2000 bytes) and the next
// attempt.
func (s *Store) MarkMailFailed(ctx context.Context, id string, next time.Time, errText string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE outbox_mails
		SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`,
		record.ClipError(errText), millis(next), id)
	return affectedOne(res, err, "Mail")
}

// MarkMailDead counts a last failed attempt, sets LastError (cut to 2000 bytes) and gives up on
// the mail (FailedAt): it is never claimed again.
func (s *Store) MarkMailDead(ctx context.Context, id string, at time.Time, errText string) error {
	res, err := s.w.ExecContext(ctx, `UPDATE outbox_mails
		SET attempts = attempts + 1, last_error = ?, failed_at = ? WHERE id = ? AND sent_at IS NULL`,
		record.ClipError(errText), millis(at), id)
	return affectedOne(res, err, "Mail")
}
