package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
)

// Audit list limits (gatehouse.AuditFilter.Limit).
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// AppendAuditEvent appends e. It fills an empty ID and a zero CreatedAt (now). Details are
// stored as a JSON object (NULL when empty).
func (s *Store) AppendAuditEvent(ctx context.Context, e *gatehouse.AuditEvent) error {
	e.CreatedAt = norm(orNow(e.CreatedAt))
	if e.ID == "" {
		e.ID = gatehouse.NewID(gatehouse.PrefixEvent, e.CreatedAt, nil)
	}
	var details any // NULL
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The audit details are not JSON.")
		}
		details = string(b)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_events
		(id, type, actor_id, subject_id, org_id, ip, user_agent, created_at, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.Type, e.ActorID, e.SubjectID, e.OrgID, e.IP, e.UserAgent, millis(e.CreatedAt), details)
	return mapError(err, "Audit event")
}

// ListAuditEvents returns the events matching f, highest ID first.
func (s *Store) ListAuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]gatehouse.AuditEvent, error) {
	var where []string
	var args []any
	if f.UserID != "" {
		where = append(where, "(actor_id = ? OR subject_id = ?)")
		args = append(args, f.UserID, f.UserID)
	}
	if f.ActorID != "" {
		where = append(where, "actor_id = ?")
		args = append(args, f.ActorID)
	}
	if f.OrgID != "" {
		where = append(where, "org_id = ?")
		args = append(args, f.OrgID)
	}
	if len(f.Types) > 0 {
		where = append(where, "type IN (?"+strings.Repeat(", ?", len(f.Types)-1)+")")
		for _, t := range f.Types {
			args = append(args, t)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, ceilMillis(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, ceilMillis(f.Until))
	}
	if f.Before != "" {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	query := `SELECT id, type, actor_id, subject_id, org_id, ip, user_agent, created_at, details FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT ?"
	args = append(args, auditLimit(f.Limit))

	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapError(err, "Audit event")
	}
	defer rows.Close()
	out := []gatehouse.AuditEvent{}
	for rows.Next() {
		var e gatehouse.AuditEvent
		var created int64
		var details sql.NullString
		if err := rows.Scan(&e.ID, &e.Type, &e.ActorID, &e.SubjectID, &e.OrgID, &e.IP, &e.UserAgent,
			&created, &details); err != nil {
			return nil, mapError(err, "Audit event")
		}
		e.CreatedAt = fromMillis(created)
		if details.Valid {
			if err := json.Unmarshal([]byte(details.String), &e.Details); err != nil {
				return nil, fmt.Errorf("sqlite: audit event %s: details: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, "Audit event")
	}
	return out, nil
}

// auditLimit applies the default and the ceiling of AuditFilter.Limit.
func auditLimit(n int) int {
	if n <= 0 {
		return defaultAuditLimit
	}
	return min(n, maxAuditLimit)
}
