package httpapi

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/apiwire"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
)

// credentialRoutes registers personal access tokens and /v1/verify (API.md, "Developer
// credentials").
func (s *Server) credentialRoutes(rt *router) {
	rt.authed("POST /v1/auth/tokens", authz.Mint, s.createPAT)
	rt.authed("GET /v1/auth/tokens", authz.Read, s.listPATs)
	rt.authed("DELETE /v1/auth/tokens/{id}", authz.Write, s.revokePAT)
	rt.authed("POST /v1/verify", authz.Verify, s.verify)
}

// toPATJSON is a personal access token as lists show it: never the token itself.
func toPATJSON(t *gatehouse.PersonalAccessToken) apiwire.Token {
	scopes := t.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return apiwire.Token{
		ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scopes: scopes,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt,
	}
}

func (s *Server) createPAT(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in apiwire.CreateTokenRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	g, err := s.PATs.Create(r.Context(), p, auth.PATInput(in), s.meta(r))
	if err != nil {
		return err
	}
	// The answer to a creation: the only time the token is shown.
	j := toPATJSON(g.PAT)
	WriteJSON(w, http.StatusCreated, apiwire.NewToken{
		ID: j.ID, Name: j.Name, Token: g.Token, Prefix: j.Prefix, Scopes: j.Scopes,
		CreatedAt: j.CreatedAt, ExpiresAt: j.ExpiresAt,
	})
	return nil
}

func (s *Server) listPATs(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	pats, err := s.PATs.List(r.Context(), p)
	if err != nil {
		return err
	}
	out := list[apiwire.Token]{Data: make([]apiwire.Token, 0, len(pats))}
	for i := range pats {
		out.Data = append(out.Data, toPATJSON(&pats[i]))
	}
	WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) revokePAT(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.PATs.Revoke(r.Context(), p, r.PathValue("id"), s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Bounds on the scopes a resource server may ask /v1/verify about.
const (
	maxVerifyScopes   = 32
	maxVerifyScopeLen = 128
)

// verifyFailures are the codes /v1/verify reports as {"valid": false, "code": ...} about the
// checked token; any other error is an error response about the request itself.
var verifyFailures = map[gatehouse.Code]bool{
	gatehouse.CodeInvalidToken:      true,
	gatehouse.CodeExpiredToken:      true,
	gatehouse.CodeInvalidAPIKey:     true,
	gatehouse.CodeExpiredAPIKey:     true,
	gatehouse.CodeInsufficientPerms: true,
	gatehouse.CodeIPNotAllowed:      true,
	gatehouse.CodeRateLimited:       true,
	gatehouse.CodeAgentNotVerified:  true,
}

// verify is POST /v1/verify: a resource server asks whether a credential is valid (with these
// scopes, from this client address). The caller itself must authenticate with the
// Authorization header as an instance administrator or with an API key holding the reserved
// scope gatehouse:verify; no credential or an invalid one → 401, a valid one without that
// right → 403. The checked token is never logged: it travels only in the body, which nothing
// logs, and errors about it carry codes, not values.
func (s *Server) verify(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	var in apiwire.VerifyRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Token == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "token is required.")
	}
	if err := checkVerifyScopes(in.Scopes); err != nil {
		return err
	}
	vin := auth.VerifyInput{Token: in.Token, Scopes: in.Scopes}
	if in.IP != "" {
		ip, err := netip.ParseAddr(in.IP)
		if err != nil || ip.Zone() != "" {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "ip must be an IPv4 or IPv6 address.")
		}
		vin.IP = ip.Unmap()
	}
	// The checked credential's own use is from the client address the resource server names.
	meta := auth.Meta{UserAgent: r.UserAgent()}
	if vin.IP.IsValid() {
		meta.IP = vin.IP.String()
	}
	v, err := s.Sessions.Verify(r.Context(), vin, meta)
	if err != nil {
		code := gatehouse.ErrorCode(err)
		if !verifyFailures[code] {
			return err
		}
		// The answer for an unusable credential: {"valid": false, "code"}, with "retry_after"
		// (whole seconds) for rate_limited.
		out := apiwire.VerifyFailure{Code: string(code)}
		if code == gatehouse.CodeRateLimited {
			_, _, retry := describe(err)
			out.RetryAfter = retryAfterSeconds(retry)
		}
		WriteJSON(w, http.StatusOK, out)
		return nil
	}
	WriteJSON(w, http.StatusOK, toVerifyJSON(v))
	return nil
}

// checkVerifyScopes bounds the scopes a resource server asks about: each "resource:action".
func checkVerifyScopes(scopes []string) error {
	if len(scopes) > maxVerifyScopes {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "At most %d scopes may be asked for.", maxVerifyScopes)
	}
	for _, sc := range scopes {
		res, action, ok := strings.Cut(sc, ":")
		if !ok || res == "" || action == "" || len(sc) > maxVerifyScopeLen {
			return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Each scope must be resource:action.")
		}
	}
	return nil
}

// toVerifyJSON is the answer of /v1/verify for a valid credential. org and environment are null
// except for API keys; scopes is null when the credential is not limited by scopes (sessions,
// PATs made without scopes); expires_at is null when it never expires.
func toVerifyJSON(v *auth.Verification) apiwire.VerifyValid {
	out := apiwire.VerifyValid{Valid: true, Kind: v.Kind, ExpiresAt: v.ExpiresAt, ClientID: v.ClientID}
	p := v.Principal
	switch {
	case p.APIKey != nil:
		out.Principal = apiwire.VerifiedPrincipal{OrgID: p.APIKey.OrgID, KeyID: p.APIKey.ID}
		org, env := v.OrgID, v.Environment
		out.Org, out.Environment = &org, &env
	case p.User != nil:
		out.Principal = apiwire.VerifiedPrincipal{ID: p.User.ID, Kind: p.User.Kind, Username: p.User.Username}
		if p.Agent != nil {
			out.Principal.AgentID, out.Principal.OwnerID = p.Agent.ID, p.Agent.OwnerID
		}
	}
	if p.Access != nil && v.OrgID != "" { // an OAuth client's token: the client's organization
		org := v.OrgID
		out.Org = &org
	}
	if scopes, limited := p.Scopes(); limited {
		out.Scopes = append([]string{}, scopes...)
	}
	return out
}
