package httpapi

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/redirect"
)

// sessionResponse is the answer of every endpoint that signs someone in.
func (s *Server) sessionResponse(g *auth.SessionGrant) apiwire.Session {
	return apiwire.Session{Token: g.Token, ExpiresAt: g.ExpiresAt, User: s.userJSON(g.User)}
}

func (s *Server) writeGrant(w http.ResponseWriter, r *http.Request, status int, g *auth.SessionGrant) {
	s.startSession(w, r, g)
	WriteJSON(w, status, s.sessionResponse(g))
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in apiwire.RegisterRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.Accounts.Register(r.Context(), auth.RegisterInput{Username: in.Username, Password: in.Password, Email: in.Email, DisplayName: in.DisplayName}, s.meta(r))
	if err != nil {
		return err
	}
	s.writeGrant(w, r, http.StatusCreated, g)
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in apiwire.LoginRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.SignIn.Login(r.Context(), in.Username, in.Password, s.meta(r))
	if err != nil {
		return err
	}
	if s.loginAnswer == nil {
		s.writeGrant(w, r, http.StatusOK, g)
		return nil
	}
	s.startSession(w, r, g)
	WriteJSON(w, http.StatusOK, s.loginAnswer(s.sessionResponse(g)))
	return nil
}

// endSession revokes the request's session, if it carries a valid one, and clears the cookie.
// Logging out with no or a dead credential is not an error: the outcome is the same.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	defer s.clearSessionCookie(w)
	tok, _ := s.credential(r)
	if tok == "" {
		return nil
	}
	p, err := s.Sessions.Authenticate(r.Context(), tok, s.meta(r))
	if err != nil {
		return nil
	}
	return s.Sessions.Logout(r.Context(), p, s.meta(r))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) logoutRedirect(w http.ResponseWriter, r *http.Request) error {
	if err := s.endSession(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, redirect.Target(r.URL.Query().Get("redirect_to"), s.LogoutRedirectOrigins), http.StatusSeeOther)
	return nil
}
