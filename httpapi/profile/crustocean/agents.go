package crustocean

import (
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/httpapi"
	"github.com/gatehouse-auth/gatehouse/httpapi/profile"
)

type createAgentRequest struct {
	Name string `json:"name"`
	Role string `json:"role,omitempty"`
}

type transferRequest struct {
	NewOwner string `json:"newOwner"` // username or user id
}

type addAgentRequest struct {
	AgentID string `json:"agentId"`
}

// crustoceanAgent is Crustocean's agent object.
type crustoceanAgent struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Verified bool   `json:"verified"`
}

// agentAnswer is { agent }, with agentToken only where one was just issued.
type agentAnswer struct {
	Agent      crustoceanAgent `json:"agent"`
	AgentToken string          `json:"agentToken,omitempty"`
}

type agency struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Role string `json:"role"`
}

type agencyList struct {
	Agencies []agency `json:"agencies"`
}

// agencyMember is the agent as a member of the agency.
type agencyMember struct {
	AgencyID string    `json:"agencyId"`
	UserID   string    `json:"userId"`
	Username string    `json:"username"`
	Type     string    `json:"type"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joinedAt"`
}

func toAgent(a *gatehouse.Agent) crustoceanAgent {
	return crustoceanAgent{ID: a.ID, Name: a.Name, Role: a.Role, Verified: a.VerifiedAt != nil}
}

func (h handlers) createAgent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in createAgentRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := h.s.Agents.Create(r.Context(), p, auth.AgentInput{Name: in.Name, Role: in.Role}, h.s.Meta(r))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, agentAnswer{Agent: toAgent(g.Agent), AgentToken: g.Token})
	return nil
}

func (h handlers) verifyAgent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	a, err := h.s.Agents.Verify(r.Context(), p, r.PathValue("id"), h.s.Meta(r))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, agentAnswer{Agent: toAgent(a)})
	return nil
}

func (h handlers) transferAgent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in transferRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := h.s.Agents.Transfer(r.Context(), p, r.PathValue("id"), in.NewOwner, h.s.Meta(r))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, agentAnswer{Agent: toAgent(a)})
	return nil
}

func (h handlers) listAgencies(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	orgs, err := h.s.Accounts.ListOrgs(r.Context(), p)
	if err != nil {
		return err
	}
	out := agencyList{Agencies: make([]agency, 0, len(orgs))}
	for _, m := range orgs {
		out.Agencies = append(out.Agencies, agency{ID: m.Org.ID, Name: m.Org.Name, Slug: profile.Slug(m.Org.Name), Role: string(m.Role)})
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h handlers) addAgentToAgency(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in addAgentRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	orgID := r.PathValue("id")
	m, err := h.s.Orgs.AddAgent(r.Context(), p, orgID, in.AgentID, "", h.s.Meta(r))
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, agencyMember{
		AgencyID: orgID, UserID: m.User.ID, Username: m.User.Username, Type: m.User.Kind,
		Role: string(m.Role), JoinedAt: m.JoinedAt,
	})
	return nil
}
