package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/oauth"
)

// oauthDeviceAuthorization is POST /oauth2/device_authorization (RFC 8628 3.1): a client (a
// public one by its client_id alone) starts a device flow. 200 with device_code, user_code,
// verification_uri(_complete), expires_in and interval, no-store.
func (s *Server) oauthDeviceAuthorization(w http.ResponseWriter, r *http.Request) error {
	if err := s.rateLimit(r, "device"); err != nil { // anyone may start one: bounded per address
		return err
	}
	form, err := oauthForm(r)
	if err != nil {
		return err
	}
	client, err := requireClient(r, form)
	if err != nil {
		return err
	}
	res, err := s.OAuth.DeviceAuthorization(r.Context(), client, form.Get("scope"), s.meta(r))
	if err != nil {
		return err
	}
	writeOAuthJSON(w, res)
	return nil
}

// pendingDeviceJSON is a device flow waiting for the signed-in user's decision.
type pendingDeviceJSON struct {
	UserCode   string    `json:"user_code"`
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Scopes     []string  `json:"scopes"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// maxUserCodeLen bounds what is passed on as a user code (ABCD-EFGH is 9).
const maxUserCodeLen = 32

// normalizeUserCode forgives how people type a user code: spaces, lower case, a missing dash.
func normalizeUserCode(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) == 8 && !strings.Contains(s, "-") {
		s = s[:4] + "-" + s[4:]
	}
	return s
}

// userCodeOf checks a user code taken from a request.
func userCodeOf(raw string) (string, error) {
	code := normalizeUserCode(raw)
	if code == "" {
		return "", gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Enter the code shown on your device.")
	}
	if len(code) > maxUserCodeLen {
		return "", gatehouse.Errorf(gatehouse.CodeInvalidRequest, "That is not a valid code.")
	}
	return code, nil
}

// getPendingDevice is GET /v1/device?user_code=ABCD-EFGH: the pending request of that code for
// the signed-in user. A wrong code is 404 and counts towards the per-user and per-IP limits.
func (s *Server) getPendingDevice(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
	code, err := userCodeOf(r.URL.Query().Get("user_code"))
	if err != nil {
		return err
	}
	pd, err := s.OAuth.PendingDevice(r.Context(), p, code, s.meta(r))
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, toPendingDeviceJSON(pd))
	return nil
}

func toPendingDeviceJSON(pd *oauth.PendingDevice) pendingDeviceJSON {
	out := pendingDeviceJSON{UserCode: pd.UserCode, ClientID: pd.ClientID, ClientName: pd.ClientName, Scopes: pd.Scopes, ExpiresAt: pd.ExpiresAt.UTC()}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	return out
}

// deviceDecision is the body of POST /v1/device/approve and /v1/device/deny.
type deviceDecision struct {
	UserCode string `json:"user_code"`
}

// decideDevice is POST /v1/device/approve and POST /v1/device/deny with {user_code}: 200
// {"status": "approved"} or {"status": "denied"}.
func (s *Server) decideDevice(approve bool) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal) error {
		var in deviceDecision
		if err := DecodeJSON(w, r, &in); err != nil {
			return err
		}
		code, err := userCodeOf(in.UserCode)
		if err != nil {
			return err
		}
		if err := s.OAuth.DecideDevice(r.Context(), p, code, approve, s.meta(r)); err != nil {
			return err
		}
		status := "denied"
		if approve {
			status = "approved"
		}
		WriteJSON(w, http.StatusOK, statusJSON{Status: status})
		return nil
	}
}
