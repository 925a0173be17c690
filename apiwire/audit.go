package apiwire

import "time"

// AuditEvent is one entry of an audit log (GET /v1/me/audit-events,
// GET /v1/orgs/{org}/audit-events), newest first. Empty fields are left out.
type AuditEvent struct {
	ID        string         `json:"id"` // evt_...; sorts by creation time
	Type      string         `json:"type"`
	ActorID   string         `json:"actor_id,omitempty"`   // who did it ("" when unknown)
	SubjectID string         `json:"subject_id,omitempty"` // what it was done to
	OrgID     string         `json:"org_id,omitempty"`
	IP        string         `json:"ip,omitempty"`
	UserAgent string         `json:"user_agent,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	Details   map[string]any `json:"details,omitempty"` // never secrets
}
