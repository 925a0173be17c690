package httpapi

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// agentRoutes registers the agent endpoints, the agent token exchange and the leaked-token
// report endpoint (secretscanning.go).
func (s *Server) agentRoutes(rt *router) {
	rt.authed("POST /v1/agents", authz.Write, s.createAgent)
	rt.authed("GET /v1/agents", authz.Read, s.listAgents)
	rt.authed("GET /v1/agents/{id}", authz.Read, s.getAgent)
	rt.authed("DELETE /v1/agents/{id}", authz.Write, s.deleteAgent)
	rt.authed("POST /v1/agents/{id}/verify", authz.Write, s.verifyAgent)
	rt.authed("POST /v1/agents/{id}/rotate", authz.Write, s.rotateAgent)
	rt.authed("POST /v1/agents/{id}/transfer", authz.Write, s.transferAgent)
	rt.public("POST /v1/auth/agent", s.serve(s.agentSignIn))
	rt.public("POST /v1/secret-scanning/report", s.serve(s.secretScanningReport))
}

// newAgentJSON is an agent as the API shows it: never its token, only the display prefix.
func newAgentJSON(a *gatehouse.Agent) apiwire.Agent {
	return apiwire.Agent{
		ID: a.ID, UserID: a.UserID, OwnerID: a.OwnerID, Name: a.Name, Role: a.Role,
		TokenPrefix: a.TokenPrefix, Verified: a.VerifiedAt != nil, VerifiedAt: a.VerifiedAt,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}

// agentTokenResponse carries an agent token, shown only in this response.
func agentTokenResponse(g *auth.AgentGrant) apiwire.AgentWithToken {
	return apiwire.AgentWithToken{Agent: newAgentJSON(g.Agent), AgentToken: g.Token}
}

func (s *Server) createAgent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.CreateAgentRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.Agents.Create(r.Context(), p, auth.AgentInput{Name: in.Name, Role: in.Role}, s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, agentTokenResponse(g))
	return nil
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	agents, err := s.Agents.List(r.Context(), p)
	if err != nil {
		return err
	}
	out := list[apiwire.Agent]{Data: make([]apiwire.Agent, 0, len(agents))}
	for i := range agents {
		out.Data = append(out.Data, newAgentJSON(&agents[i]))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	a, err := s.Agents.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newAgentJSON(a))
	return nil
}

func (s *Server) deleteAgent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.Agents.Delete(r.Context(), p, r.PathValue("id"), s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) verifyAgent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	a, err := s.Agents.Verify(r.Context(), p, r.PathValue("id"), s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newAgentJSON(a))
	return nil
}

func (s *Server) rotateAgent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	g, err := s.Agents.Rotate(r.Context(), p, r.PathValue("id"), s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, agentTokenResponse(g))
	return nil
}

func (s *Server) transferAgent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.TransferAgentRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Agents.Transfer(r.Context(), p, r.PathValue("id"), in.NewOwner, s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, newAgentJSON(a))
	return nil
}

// agentSignIn exchanges an agent token for an agent session (POST /v1/auth/agent). The session
// is returned in the body only: an agent is not a browser, so no cookie is set.
func (s *Server) agentSignIn(w http.ResponseWriter, r *http.Request) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in apiwire.AgentSignInRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.SignIn.AgentSignIn(r.Context(), in.AgentToken, s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, s.sessionResponse(g))
	return nil
}
