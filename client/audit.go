package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse/apiwire"
)

// AuditEvent is one entry of an audit log (never secrets in Details).
type AuditEvent = apiwire.AuditEvent

// AuditPage is one page of an audit log, newest first; NextCursor is "" on the last page and
// otherwise goes into AuditQuery.Cursor for the next one.
type AuditPage = apiwire.List[AuditEvent]

// AuditQuery selects audit events. Zero fields do not filter.
type AuditQuery struct {
	Types  []string  // event types, e.g. "api_key.used", "auth.failed"
	Actor  string    // the user ID that did it
	Since  time.Time // inclusive
	Until  time.Time // exclusive
	Limit  int       // events per page, 1 to 200; 0: the server's default
	Cursor string    // AuditPage.NextCursor of the previous page
}

// values is the query string of q.
func (q AuditQuery) values() string {
	v := url.Values{}
	if len(q.Types) > 0 {
		v.Set("type", strings.Join(q.Types, ","))
	}
	if q.Actor != "" {
		v.Set("actor", q.Actor)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// ListMyAuditEvents returns one page of the caller's own audit trail (GET /v1/me/audit-events):
// the events the caller did or that were done to the caller.
func (c *Client) ListMyAuditEvents(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	return c.auditPage(ctx, "/v1/me/audit-events"+q.values())
}

// ListOrgAuditEvents returns one page of an organization's audit log (GET
// /v1/orgs/{org}/audit-events; owners and admins): API keys, members, agents and OAuth clients.
func (c *Client) ListOrgAuditEvents(ctx context.Context, orgID string, q AuditQuery) (*AuditPage, error) {
	return c.auditPage(ctx, "/v1/orgs/"+seg(orgID)+"/audit-events"+q.values())
}

func (c *Client) auditPage(ctx context.Context, path string) (*AuditPage, error) {
	var out AuditPage
	if err := c.do(ctx, http.MethodGet, path, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
