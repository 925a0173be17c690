package httpapi

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// orgRoutes registers the endpoints of organizations, their members, API keys (apikeys.go) and
// audit events (API.md, "Developer credentials").
func (s *Server) orgRoutes(rt *router) {
	rt.authed("POST /v1/orgs", authz.Write, s.createOrg)
	rt.authed("GET /v1/orgs/{org}", authz.Read, s.getOrg)
	rt.authed("GET /v1/orgs/{org}/members", authz.Read, s.listMembers)
	rt.authed("POST /v1/orgs/{org}/members", authz.Write, s.addMember)
	rt.authed("PATCH /v1/orgs/{org}/members/{user}", authz.Write, s.setMemberRole)
	rt.authed("DELETE /v1/orgs/{org}/members/{user}", authz.Write, s.removeMember)
	rt.authed("POST /v1/orgs/{org}/agents", authz.Write, s.addAgentToOrg)
	rt.authed("GET /v1/orgs/{org}/audit-events", authz.Read, s.listOrgAuditEvents)
	s.apiKeyRoutes(rt)
	s.oauthClientRoutes(rt)
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.CreateOrgRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	org, err := s.Orgs.Create(r.Context(), p, in.Name, s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, orgJSON(org, gatehouse.RoleOwner, org.CreatedAt))
	return nil
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	m, err := s.Orgs.Get(r.Context(), p, r.PathValue("org"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, orgJSON(&m.Org, m.Role, m.JoinedAt))
	return nil
}

// toMemberJSON is one member of an organization.
func toMemberJSON(m *gatehouse.Member) apiwire.Member {
	return apiwire.Member{UserID: m.User.ID, Username: m.User.Username, Kind: m.User.Kind, Role: string(m.Role), JoinedAt: m.JoinedAt}
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	members, err := s.Orgs.ListMembers(r.Context(), p, r.PathValue("org"))
	if err != nil {
		return err
	}
	out := list[apiwire.Member]{Data: make([]apiwire.Member, 0, len(members))}
	for i := range members {
		out.Data = append(out.Data, toMemberJSON(&members[i]))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.AddMemberRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Orgs.AddMember(r.Context(), p, r.PathValue("org"), auth.MemberInput{UserID: in.UserID, Username: in.Username, Role: gatehouse.Role(in.Role)}, s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, toMemberJSON(m))
	return nil
}

func (s *Server) setMemberRole(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.SetMemberRoleRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Orgs.SetMemberRole(r.Context(), p, r.PathValue("org"), r.PathValue("user"), gatehouse.Role(in.Role), s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toMemberJSON(m))
	return nil
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.Orgs.RemoveMember(r.Context(), p, r.PathValue("org"), r.PathValue("user"), s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) addAgentToOrg(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.AddAgentToOrgRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Orgs.AddAgent(r.Context(), p, r.PathValue("org"), in.AgentID, gatehouse.Role(in.Role), s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, toMemberJSON(m))
	return nil
}

func (s *Server) listOrgAuditEvents(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	f, err := parseAuditFilter(r)
	if err != nil {
		return err
	}
	events, next, err := s.Orgs.AuditEvents(r.Context(), p, r.PathValue("org"), f)
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
