package crewkit

import (
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/httpapi"
	"github.com/gatehouse-auth/gatehouse/httpapi/profile"
	"github.com/gatehouse-auth/gatehouse/oauth"
)

// Profile is the crewkit seed API profile.
type Profile struct{}

// Name is "crewkit".
func (Profile) Name() string { return "crewkit" }

// Mount registers crewkit's routes (only with the OAuth provider, which issues the tokens).
func (Profile) Mount(pr *httpapi.ProfileRouter) {
	h := handlers{s: pr.Server}
	if h.s.OAuth == nil {
		return
	}
	pr.PublicOAuth("POST /api/v1/auth/device", h.device)
	pr.PublicOAuth("POST /api/v1/auth/token", h.token)
	pr.PublicOAuth("POST /api/v1/auth/refresh", h.refresh)
	pr.Public("POST /api/v1/auth/revoke", h.s.Logout)
	pr.Public("DELETE /api/v1/auth/logout", h.s.Logout)
	pr.Authed("GET /api/v1/auth/me", authz.Me, h.s.GetMe)
	pr.Authed("PATCH /api/v1/auth/me", authz.Profile, h.s.PatchMe)
	pr.Authed("GET /api/v1/auth/organizations", authz.Read, h.organizations)
	pr.Public("POST /api/v1/auth/magic_link", h.s.RequestMagicLink)
	pr.Public("POST /api/v1/auth/magic_link/verify", h.verifyMagicLink)
	pr.Authed("POST /api/v1/auth/passkey/register/challenge", authz.Sensitive, h.s.PasskeyRegisterChallenge)
	pr.Authed("POST /api/v1/auth/passkey/register", authz.Sensitive, h.s.PasskeyRegister)
	pr.Public("POST /api/v1/auth/passkey/login/challenge", h.s.PasskeyLoginChallenge)
	pr.Public("POST /api/v1/auth/passkey/login", h.passkeyLogin)
	pr.Authed("GET /api/v1/auth/passkeys", authz.Read, h.s.ListPasskeys)
	pr.Authed("DELETE /api/v1/auth/passkeys/{id}", authz.Sensitive, h.s.DeletePasskey)
}

type handlers struct{ s *httpapi.Server }

// cliScopes are the scopes the CLI's device flow asks for: the profile and a refresh token.
const cliScopes = auth.ScopeProfile + " " + auth.ScopeEmail + " " + auth.ScopeOfflineAccess

var cli = oauth.ClientAuth{ClientID: gatehouse.BuiltInCLIClientID, Method: "none"}

type deviceRequest struct{}

// deviceAnswer is crewkit's device flow start.
type deviceAnswer struct {
	DeviceCode      string `json:"device_code"`
	UserCode        string `json:"user_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int64  `json:"expires_in"`
	Interval        int64  `json:"interval"`
}

type tokenRequest struct {
	DeviceCode string `json:"device_code"`
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// tokenAnswer is the poll's success: access and refresh tokens.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// refreshAnswer is a refresh's answer (crewkit's docs name no token_type there).
type refreshAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

type organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Role string `json:"role"`
}

type organizationList struct {
	Data []organization `json:"data"`
}

// decodeOptional decodes a JSON body when there is one ("POST /api/v1/auth/device" is sent
// with {} or nothing).
func decodeOptional(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return httpapi.DecodeJSON(w, r, dst)
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// device is POST /api/v1/auth/device: the CLI client's device authorization.
func (h handlers) device(w http.ResponseWriter, r *http.Request) error {
	if err := h.s.RateLimit(r, "device"); err != nil {
		return err
	}
	var in deviceRequest
	if err := decodeOptional(w, r, &in); err != nil {
		return err
	}
	res, err := h.s.OAuth.DeviceAuthorization(r.Context(), cli, cliScopes, h.s.Meta(r))
	if err != nil {
		return err
	}
	noStore(w)
	httpapi.WriteJSON(w, http.StatusOK, deviceAnswer{
		DeviceCode: res.DeviceCode, UserCode: res.UserCode, VerificationURI: res.VerificationURI,
		ExpiresIn: res.ExpiresIn, Interval: res.Interval,
	})
	return nil
}

// token is POST /api/v1/auth/token: the device code poll (RFC 8628 errors with status 400).
func (h handlers) token(w http.ResponseWriter, r *http.Request) error {
	var in tokenRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	return writeTokens(w)(h.s.OAuth.Token(r.Context(), oauth.TokenRequest{GrantType: auth.GrantDeviceCode, DeviceCode: in.DeviceCode, Client: cli}, h.s.Meta(r)))
}

// writeTokens answers crewkit's {access_token, token_type, expires_in, refresh_token} (no-store)
// for what a token use case returned, or passes its error on.
func writeTokens(w http.ResponseWriter) func(*oauth.TokenResponse, error) error {
	return func(res *oauth.TokenResponse, err error) error {
		if err != nil {
			return err
		}
		noStore(w)
		httpapi.WriteJSON(w, http.StatusOK, tokenAnswer{AccessToken: res.AccessToken, TokenType: res.TokenType, ExpiresIn: res.ExpiresIn, RefreshToken: res.RefreshToken})
		return nil
	}
}

// refresh is POST /api/v1/auth/refresh: single use; a reused refresh token revokes its family.
func (h handlers) refresh(w http.ResponseWriter, r *http.Request) error {
	var in refreshRequest
	if err := httpapi.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := h.s.OAuth.Token(r.Context(), oauth.TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: in.RefreshToken, Client: cli}, h.s.Meta(r))
	if err != nil {
		return err
	}
	noStore(w)
	httpapi.WriteJSON(w, http.StatusOK, refreshAnswer{AccessToken: res.AccessToken, RefreshToken: res.RefreshToken, ExpiresIn: res.ExpiresIn})
	return nil
}

func (h handlers) organizations(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	orgs, err := h.s.Accounts.ListOrgs(r.Context(), p)
	if err != nil {
		return err
	}
	out := organizationList{Data: make([]organization, 0, len(orgs))}
	for _, m := range orgs {
		out.Data = append(out.Data, organization{ID: m.Org.ID, Name: m.Org.Name, Slug: profile.Slug(m.Org.Name), Role: string(m.Role)})
	}
	httpapi.WriteJSON(w, http.StatusOK, out)
	return nil
}
