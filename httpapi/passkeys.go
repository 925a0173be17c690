package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/authz"
	"github.com/gatehouse-auth/gatehouse/web"
)

// Passkeys (WebAuthn): the JSON API of the ceremonies (API.md) and the Passkeys tab of /account.
// The browser side of the ceremonies is web/static/passkey.js.

const tabPasskeys = "passkeys"

// passkeyRoutes registers the passkey endpoints and, with pages, the Passkeys tab.
func (s *Server) passkeyRoutes(rt *router) {
	rt.authed("POST /v1/auth/passkey/register/challenge", authz.Sensitive, s.passkeyRegisterChallenge)
	rt.authed("POST /v1/auth/passkey/register", authz.Sensitive, s.passkeyRegister)
	rt.public("POST /v1/auth/passkey/login/challenge", s.serve(s.passkeyLoginChallenge))
	rt.public("POST /v1/auth/passkey/login", s.serve(s.passkeyLogin))
	rt.authed("GET /v1/auth/passkeys", authz.Read, s.listPasskeys)
	rt.authed("PATCH /v1/auth/passkeys/{id}", authz.Write, s.renamePasskey)
	rt.authed("DELETE /v1/auth/passkeys/{id}", authz.Sensitive, s.deletePasskey)

	if s.Pages != nil {
		rt.page("GET /account/passkeys", s.passkeysPage)
		rt.page("POST /account/passkeys/{id}/rename", s.passkeyForm(s.accountPasskeyRename))
		rt.page("POST /account/passkeys/{id}/delete", s.passkeyForm(s.accountPasskeyDelete))
	}
}

// passkeyJSON is a passkey as the API shows it: never the credential record.
type passkeyJSON struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	CreatedAt      time.Time  `json:"created_at"`
	LastUsedAt     *time.Time `json:"last_used_at"`
	BackupEligible bool       `json:"backup_eligible"`
	BackupState    bool       `json:"backup_state"`
}

func toPasskeyJSON(p *gatehouse.Passkey) passkeyJSON {
	return passkeyJSON{
		ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt,
		BackupEligible: p.BackupEligible, BackupState: p.BackupState,
	}
}

// ceremonyJSON is the start of a ceremony: the handle and the options for
// navigator.credentials.create / .get ({"publicKey": {...}}, binary fields base64url).
type ceremonyJSON struct {
	ChallengeID string `json:"challenge_id"`
	Options     any    `json:"options"`
}

func (s *Server) passkeyRegisterChallenge(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	c, err := s.Passkeys.BeginRegistration(r.Context(), p)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, ceremonyJSON{ChallengeID: c.ChallengeID, Options: c.Options})
	return nil
}

// passkeyRegisterRequest is the body of POST /v1/auth/passkey/register: the answer to the challenge and an optional name.
type passkeyRegisterRequest struct {
	ChallengeID string          `json:"challenge_id"`
	Credential  json.RawMessage `json:"credential"`
	Name        string          `json:"name,omitempty"`
}

func (s *Server) passkeyRegister(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in passkeyRegisterRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Credential) == 0 {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "credential is required.")
	}
	pk, err := s.Passkeys.FinishRegistration(r.Context(), p, in.ChallengeID, in.Credential, in.Name, s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, toPasskeyJSON(pk))
	return nil
}

// passkeyLoginChallengeRequest is the optional body of POST /v1/auth/passkey/login/challenge.
type passkeyLoginChallengeRequest struct {
	Username string `json:"username,omitempty"`
}

func (s *Server) passkeyLoginChallenge(w http.ResponseWriter, r *http.Request) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in passkeyLoginChallengeRequest
	if r.ContentLength != 0 { // the body is optional: no username means a discoverable request
		if err := DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	c, err := s.Passkeys.BeginLogin(r.Context(), in.Username)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, ceremonyJSON{ChallengeID: c.ChallengeID, Options: c.Options})
	return nil
}

// passkeyAssertion is the body of POST /v1/auth/passkey/login and /v1/auth/reauth/passkey: the challenge and the authenticator's assertion.
type passkeyAssertion struct {
	ChallengeID string          `json:"challenge_id"`
	Credential  json.RawMessage `json:"credential"`
}

func (s *Server) passkeyLogin(w http.ResponseWriter, r *http.Request) error {
	if err := s.rateLimit(r, "auth"); err != nil {
		return err
	}
	var in passkeyAssertion
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.Credential) == 0 {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "credential is required.")
	}
	g, err := s.Passkeys.FinishLogin(r.Context(), in.ChallengeID, in.Credential, s.meta(r))
	if err != nil {
		return err
	}
	s.writeGrant(w, r, http.StatusOK, g)
	return nil
}

func (s *Server) listPasskeys(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	keys, err := s.Passkeys.List(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]passkeyJSON, 0, len(keys))
	for i := range keys {
		out = append(out, toPasskeyJSON(&keys[i]))
	}
	WriteJSON(w, http.StatusOK, list[passkeyJSON]{Data: out})
	return nil
}

// renamePasskeyRequest is the body of PATCH /v1/auth/passkeys/{id}.
type renamePasskeyRequest struct {
	Name string `json:"name"`
}

func (s *Server) renamePasskey(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	var in renamePasskeyRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.Passkeys.Rename(r.Context(), p, id, in.Name, s.meta(r)); err != nil {
		return passkeyNotFound(err)
	}
	keys, err := s.Passkeys.List(r.Context(), p)
	if err != nil {
		return err
	}
	for i := range keys {
		if keys[i].ID == id {
			WriteJSON(w, http.StatusOK, toPasskeyJSON(&keys[i]))
			return nil
		}
	}
	return passkeyNotFound(gatehouse.ErrNotFound)
}

func (s *Server) deletePasskey(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	if err := s.Passkeys.Delete(r.Context(), p, r.PathValue("id"), s.meta(r)); err != nil {
		return passkeyNotFound(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func passkeyNotFound(err error) error {
	if errors.Is(err, gatehouse.ErrNotFound) {
		return gatehouse.Errorf(gatehouse.CodeNotFound, "No such passkey.")
	}
	return err
}

// passkeysPage is GET /account/passkeys.
func (s *Server) passkeysPage(w http.ResponseWriter, r *http.Request) {
	p := s.accountSignedIn(w, r, tabPasskeys)
	if p == nil {
		return
	}
	data := s.accountData(p, tabPasskeys)
	switch q := r.URL.Query(); {
	case q.Get("added") == "1":
		data.Notice = "Your passkey was added."
	case q.Get("renamed") == "1":
		data.Notice = "The passkey was renamed."
	case q.Get("deleted") == "1":
		data.Notice = "The passkey was deleted. It no longer signs you in."
	}
	s.renderPasskeys(w, r, p, http.StatusOK, data)
}

// renderPasskeys renders the Passkeys tab with the user's passkeys.
func (s *Server) renderPasskeys(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, status int, data web.AccountPage) {
	keys, err := s.Passkeys.List(r.Context(), p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	data.Passkeys = make([]web.AccountPasskey, 0, len(keys))
	for _, k := range keys {
		data.Passkeys = append(data.Passkeys, web.AccountPasskey{
			ID: k.ID, Name: k.Name, Created: accountTime(k.CreatedAt), LastUsed: accountTimePtr(k.LastUsedAt),
			Synced: k.BackupState, BackupEligible: k.BackupEligible,
		})
	}
	s.Pages.Account(w, r, status, data)
}

// passkeyForm wraps a form of the Passkeys tab: the signed-in check, reading the form, and
// showing the tab again with the error (accountForm's rendering does not know this tab's list).
func (s *Server) passkeyForm(h accountSubmit) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.accountSignedIn(w, r, tabPasskeys)
		if p == nil {
			return
		}
		data := s.accountData(p, tabPasskeys)
		err := r.ParseForm()
		if err != nil {
			err = formError(err)
		} else {
			err = h(w, r, p, &data)
		}
		if err != nil {
			s.passkeyFormError(w, r, p, data, passkeyNotFound(err))
		}
	}
}

// accountPasskeyRename is POST /account/passkeys/{id}/rename.
func (s *Server) accountPasskeyRename(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, _ *web.AccountPage) error {
	if err := s.Passkeys.Rename(r.Context(), p, r.PathValue("id"), r.PostForm.Get("name"), s.meta(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/account/passkeys?renamed=1", http.StatusSeeOther)
	return nil
}

// accountPasskeyDelete is POST /account/passkeys/{id}/delete.
func (s *Server) accountPasskeyDelete(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, _ *web.AccountPage) error {
	if err := s.Passkeys.Delete(r.Context(), p, r.PathValue("id"), s.meta(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/account/passkeys?deleted=1", http.StatusSeeOther)
	return nil
}

// passkeyFormError shows the Passkeys tab again with the friendly message of err and its status.
func (s *Server) passkeyFormError(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, data web.AccountPage, err error) {
	status := s.failedPage(w, r, &data.Page, err)
	s.renderPasskeys(w, r, p, status, data)
}
