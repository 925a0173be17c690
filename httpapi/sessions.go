package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
)

// list is the envelope of every list response (API.md: {"data": [...], "next_cursor": "..."}),
// defined in apiwire.
type list[T any] = apiwire.List[T]

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	sessions, err := s.Sessions.ListSessions(r.Context(), p)
	if err != nil {
		return err
	}
	out := list[apiwire.SessionInfo]{Data: make([]apiwire.SessionInfo, 0, len(sessions))}
	for _, x := range sessions {
		out.Data = append(out.Data, apiwire.SessionInfo{
			ID: x.ID, Prefix: x.TokenPrefix, CreatedAt: x.CreatedAt, ExpiresAt: x.ExpiresAt,
			LastSeenAt: x.LastSeenAt, IP: x.IP, UserAgent: x.UserAgent,
			Current: p.Session != nil && p.Session.ID == x.ID,
		})
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	id := r.PathValue("id")
	if err := s.Sessions.RevokeSession(r.Context(), p, id, s.meta(r)); err != nil {
		return err
	}
	if p.Session != nil && p.Session.ID == id {
		s.clearSessionCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// orgJSON is an organization with the caller's role in it.
func orgJSON(org *gatehouse.Org, role gatehouse.Role, joinedAt time.Time) apiwire.Org {
	return apiwire.Org{ID: org.ID, Name: org.Name, Role: string(role), JoinedAt: joinedAt, CreatedAt: org.CreatedAt}
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	orgs, err := s.Accounts.ListOrgs(r.Context(), p)
	if err != nil {
		return err
	}
	out := list[apiwire.Org]{Data: make([]apiwire.Org, 0, len(orgs))}
	for _, m := range orgs {
		out.Data = append(out.Data, orgJSON(&m.Org, m.Role, m.JoinedAt))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	f, err := parseAuditFilter(r)
	if err != nil {
		return err
	}
	events, next, err := s.Accounts.ListAuditEvents(r.Context(), p, f)
	if err != nil {
		return err
	}
	out := list[apiwire.AuditEvent]{Data: make([]apiwire.AuditEvent, 0, len(events)), NextCursor: next}
	for _, e := range events {
		out.Data = append(out.Data, apiwire.AuditEvent(e))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

// parseAuditFilter reads ?type=a,b&actor=&since=&until=&limit=&cursor=.
func parseAuditFilter(r *http.Request) (gatehouse.AuditFilter, error) {
	q := r.URL.Query()
	f := gatehouse.AuditFilter{ActorID: q.Get("actor"), Before: q.Get("cursor")}
	for _, t := range q["type"] {
		for _, x := range strings.Split(t, ",") {
			if x = strings.TrimSpace(x); x != "" {
				f.Types = append(f.Types, x)
			}
		}
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "%s must be an RFC 3339 time.", name)
			}
			*dst = t.UTC()
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return f, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "limit must be a whole number from 1 to 200.")
		}
		f.Limit = n
	}
	return f, nil
}
