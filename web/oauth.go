package web

import "net/http"

// ConsentPage is the consent page: an application asks for scopes. Page.Username is the
// signed-in user.
type ConsentPage struct {
	Page
	ClientID   string
	ClientName string
	// RedirectHost is where the browser goes after the decision (the redirect URI's host, or
	// its scheme for a native app).
	RedirectHost string
	Scopes       []ScopeView
	// Request is the authorization request, for the form's hidden fields.
	Request []HiddenField
	// Remember is the "remember this decision" checkbox's state.
	Remember bool
}

// ScopeView is a scope as the consent and device pages show it: its name and what it lets the
// application do, in words.
type ScopeView struct {
	Name, Text string
}

// HiddenField is a hidden input of a form.
type HiddenField struct {
	Name, Value string
}

// DevicePage is the /device page. Page.Username is the signed-in user.
type DevicePage struct {
	Page
	// UserCode is the code entered (kept in the form after an error), or the pending one.
	UserCode string
	// Pending is the request waiting for a decision; nil shows the form to enter a code.
	Pending *DevicePending
}

// DevicePending is a device flow waiting for the user's decision.
type DevicePending struct {
	ClientID, ClientName string
	Scopes               []ScopeView
	Expires              AccountTime
}

// DeviceDonePage is the page after a device-flow decision.
type DeviceDonePage struct {
	Page
	Approved   bool
	ClientName string
}

// OAuthErrorPage is the failure of an authorization request that cannot go back to the
// application.
type OAuthErrorPage struct {
	Page
	// Code is the OAuth error code (invalid_request, unauthorized_client...).
	Code string
}

// Consent writes the consent page (templates/consent.html).
func (p *Pages) Consent(w http.ResponseWriter, r *http.Request, status int, d ConsentPage) {
	p.render(w, r, status, pageConsent, d)
}

// Device writes the page that takes a device flow's user code and its decision.
func (p *Pages) Device(w http.ResponseWriter, r *http.Request, status int, d DevicePage) {
	p.render(w, r, status, pageDevice, d)
}

// DeviceDone writes the page after a device-flow decision.
func (p *Pages) DeviceDone(w http.ResponseWriter, r *http.Request, status int, d DeviceDonePage) {
	p.render(w, r, status, pageDeviceDone, d)
}

// OAuthError writes the error page of an authorization request that cannot go back to its
// client.
func (p *Pages) OAuthError(w http.ResponseWriter, r *http.Request, status int, d OAuthErrorPage) {
	p.render(w, r, status, pageOAuthError, d)
}
