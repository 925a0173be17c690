package httpapi

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/oauth"
	"github.com/gatehouse-auth/gatehouse/web"
)

// The /device page (templates web/templates/device.html and device_done.html), where a person
// signed in on this browser approves a device flow started by a CLI or a TV (RFC 8628 3.3): enter
// the user code, see which application asks for what, approve or deny. No JavaScript. A wrong
// code shows the form again with the error; the provider counts it towards the per-user and
// per-IP limits, and the rate_limited answer is shown the same way (429).

// devicePage is GET /device, optionally ?user_code=ABCD-EFGH (the verification_uri_complete).
func (s *Server) devicePage(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("user_code")
	p := s.deviceSignedIn(w, r, raw)
	if p == nil {
		return
	}
	data := web.DevicePage{Page: web.Page{Username: p.User.Username, DisplayName: p.User.DisplayName}}
	if raw == "" {
		s.Pages.Device(w, r, http.StatusOK, data)
		return
	}
	s.showPendingDevice(w, r, p, data, raw)
}

// deviceSubmit is POST /device: user_code alone looks the request up (the form to enter the
// code); with action=approve or action=deny it records the decision and shows the result.
func (s *Server) deviceSubmit(w http.ResponseWriter, r *http.Request) {
	err := r.ParseForm() // r.PostForm holds what could be read even when it fails
	raw := r.PostForm.Get("user_code")
	p := s.deviceSignedIn(w, r, raw)
	if p == nil {
		return
	}
	data := web.DevicePage{Page: web.Page{Username: p.User.Username, DisplayName: p.User.DisplayName}, UserCode: normalizeUserCode(raw)}
	if err != nil {
		s.renderDeviceError(w, r, data, formError(err))
		return
	}
	var approve bool
	switch r.PostForm.Get("action") {
	case "":
		s.showPendingDevice(w, r, p, data, raw)
		return
	case "approve":
		approve = true
	case "deny":
	default:
		s.renderDeviceError(w, r, data, gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Choose Approve or Deny."))
		return
	}
	code, err := userCodeOf(raw)
	if err != nil {
		s.renderDeviceError(w, r, data, err)
		return
	}
	// Look the request up first: it names the application on the result page, and a code that
	// is not pending any more shows the form again instead of a bare error.
	pd, err := s.OAuth.PendingDevice(r.Context(), p, code, s.meta(r))
	if err != nil {
		s.renderDeviceError(w, r, data, err)
		return
	}
	if err := s.OAuth.DecideDevice(r.Context(), p, code, approve, s.meta(r)); err != nil {
		s.renderDeviceError(w, r, data, err)
		return
	}
	done := web.DeviceDonePage{Page: data.Page, Approved: approve, ClientName: pd.ClientName}
	s.Pages.DeviceDone(w, r, http.StatusOK, done)
}

// showPendingDevice looks up the code and shows its request with the Approve and Deny buttons,
// or the form again with the error.
func (s *Server) showPendingDevice(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, data web.DevicePage, raw string) {
	data.UserCode = normalizeUserCode(raw)
	code, err := userCodeOf(raw)
	if err != nil {
		s.renderDeviceError(w, r, data, err)
		return
	}
	pd, err := s.OAuth.PendingDevice(r.Context(), p, code, s.meta(r))
	if err != nil {
		s.renderDeviceError(w, r, data, err)
		return
	}
	data.UserCode = pd.UserCode
	data.Pending = pendingDeviceView(pd)
	s.Pages.Device(w, r, http.StatusOK, data)
}

func pendingDeviceView(pd *oauth.PendingDevice) *web.DevicePending {
	return &web.DevicePending{ClientID: pd.ClientID, ClientName: pd.ClientName, Scopes: scopeViews(pd.Scopes), Expires: accountTime(pd.ExpiresAt)}
}

// renderDeviceError shows the form to enter a code again with the error: a wrong or expired
// code is said in words people understand.
func (s *Server) renderDeviceError(w http.ResponseWriter, r *http.Request, data web.DevicePage, err error) {
	data.Pending = nil
	switch gatehouse.ErrorCode(err) {
	case gatehouse.CodeNotFound, gatehouse.CodeExpiredToken, gatehouse.CodeInvalidGrant:
		err = &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: "That code is not valid or has expired. Check the code on your device and try again."}
	}
	status := s.failedPage(w, r, &data.Page, err)
	s.Pages.Device(w, r, status, data)
}

// deviceSignedIn returns the visitor signed in by the session cookie. When there is none it
// answers 303 to /login, coming back to /device with the code, and returns nil; on a failure it
// shows the error page and returns nil.
func (s *Server) deviceSignedIn(w http.ResponseWriter, r *http.Request, rawCode string) *gatehouse.Principal {
	p, err := s.pagePrincipal(w, r)
	if err != nil {
		s.renderError(w, r, err)
		return nil
	}
	if p == nil || p.User == nil {
		next := "/device"
		if code := normalizeUserCode(rawCode); code != "" && len(code) <= maxUserCodeLen {
			next += "?user_code=" + url.QueryEscape(code)
		}
		loginFor(w, r, next)
		return nil
	}
	return p
}
