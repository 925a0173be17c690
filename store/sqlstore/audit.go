package sqlstore

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
// stored as a JSON object (NULL when empty): text on SQLite, jsonb on PostgreSQL.
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
	_, err := s.exec(ctx, `INSERT INTO audit_events
		(id, type, actor_id, subject_id, org_id, ip, user_agent, created_at, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.Type, e.ActorID, e.SubjectID, e.OrgID, e.IP, e.UserAgent, e.CreatedAt, details)
	return s.d.mapError(err, "Audit event")
}

// ListAuditEvents returns the events matching f, highest ID first.
func (s *Store) ListAuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]gatehouse.AuditEvent, error) {
	var where []string
	var p params
	if f.UserID != "" {
		n := p.add(f.UserID)
		where = append(where, "(actor_id = "+n+" OR subject_id = "+n+")")
	}
	if f.ActorID != "" {
		where = append(where, "actor_id = "+p.add(f.ActorID))
	}
	if f.OrgID != "" {
		where = append(where, "org_id = "+p.add(f.OrgID))
	}
	if len(f.Types) > 0 {
		in := make([]string, len(f.Types))
		for i, t := range f.Types {
			in[i] = p.add(t)
		}
		where = append(where, "type IN ("+strings.Join(in, ", ")+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= "+p.add(ceilMillis(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, "created_at < "+p.add(ceilMillis(f.Until)))
	}
	if f.Before != "" {
		where = append(where, "id < "+p.add(f.Before))
	}
	query := `SELECT id, type, actor_id, subject_id, org_id, ip, user_agent, created_at, details FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT " + p.add(auditLimit(f.Limit))
	rows, err := s.read().query(ctx, query, p...)
	return collect(s.d, rows, err, "Audit event", func(r rowScanner) (gatehouse.AuditEvent, error) {
		var e gatehouse.AuditEvent
		var details sql.NullString
		if err := r.Scan(&e.ID, &e.Type, &e.ActorID, &e.SubjectID, &e.OrgID, &e.IP, &e.UserAgent,
			timeCol{&e.CreatedAt}, &details); err != nil {
			return e, err
		}
		if details.Valid {
			if err := json.Unmarshal([]byte(details.String), &e.Details); err != nil {
				return e, fmt.Errorf("audit event %s: details: %w", e.ID, err)
			}
		}
		return e, nil
	})
}

// auditLimit applies the default and the ceiling of AuditFilter.Limit.
func auditLimit(n int) int {
	if n <= 0 {
		return defaultAuditLimit
	}
	return min(n, maxAuditLimit)
}
