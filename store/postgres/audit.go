package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
)

// Audit list limits (gatehouse.AuditFilter.Limit).
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// AppendAuditEvent appends e. It fills an empty ID and a zero CreatedAt (now). Details are
// stored as a jsonb object (NULL when empty).
func (s *Store) AppendAuditEvent(ctx context.Context, e *gatehouse.AuditEvent) error {
	e.CreatedAt = ts(orNow(e.CreatedAt))
	if e.ID == "" {
		e.ID = gatehouse.NewID(gatehouse.PrefixEvent, e.CreatedAt, nil)
	}
	var details []byte // NULL
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The audit details are not JSON.")
		}
		details = b
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_events
		(id, type, actor_id, subject_id, org_id, ip, user_agent, created_at, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.Type, e.ActorID, e.SubjectID, e.OrgID, e.IP, e.UserAgent, e.CreatedAt, details)
	return mapError(err, "Audit event")
}

// ListAuditEvents returns the events matching f, highest ID first.
func (s *Store) ListAuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]gatehouse.AuditEvent, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.UserID != "" {
		p := arg(f.UserID)
		where = append(where, "(actor_id = "+p+" OR subject_id = "+p+")")
	}
	if f.ActorID != "" {
		where = append(where, "actor_id = "+arg(f.ActorID))
	}
	if f.OrgID != "" {
		where = append(where, "org_id = "+arg(f.OrgID))
	}
	if len(f.Types) > 0 {
		where = append(where, "type = ANY("+arg(f.Types)+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= "+arg(ceilTS(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "created_at < "+arg(ceilTS(f.Until)))
	}
	if f.Before != "" {
		where = append(where, "id < "+arg(f.Before))
	}
	query := `SELECT id, type, actor_id, subject_id, org_id, ip, user_agent, created_at, details FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT " + arg(auditLimit(f.Limit))

	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapError(err, "Audit event")
	}
	defer rows.Close()
	out := []gatehouse.AuditEvent{}
	for rows.Next() {
		var e gatehouse.AuditEvent
		var details []byte
		if err := rows.Scan(&e.ID, &e.Type, &e.ActorID, &e.SubjectID, &e.OrgID, &e.IP, &e.UserAgent,
			&e.CreatedAt, &details); err != nil {
			return nil, mapError(err, "Audit event")
		}
		e.CreatedAt = e.CreatedAt.UTC()
		if details != nil {
			if err := json.Unmarshal(details, &e.Details); err != nil {
				return nil, fmt.Errorf("postgres: audit event %s: details: %w", e.ID, err)
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
