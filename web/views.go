package web

import "net/http"

// The pages, one method each, with the data its template reads. A handler can only give a page
// the data the page was written for: a missing field is a compile error, not a 500 at run time.

// Template names of the pages (templates/<name>.html).
const (
	pageLogin         = "login"
	pageRegister      = "register"
	pageLogout        = "logout"
	pageHome          = "home"
	pageError         = "error"
	pageAccount       = "account"
	pageVerifyEmail   = "verify_email"
	pageResetPassword = "reset_password"
	pageMagicLink     = "magic_link"
	pageConsent       = "consent"
	pageDevice        = "device"
	pageDeviceDone    = "device_done"
	pageOAuthError    = "oauth_error"
)

// Page is what every page may show; a handler fills the fields that apply to its page.
type Page struct {
	// Error is the friendly message shown in the page's role="alert" element ("" for none).
	Error string
	// Username, Email and DisplayName are the form values kept after a failed submission (never
	// the password), or the signed-in user.
	Username    string
	Email       string
	DisplayName string
	// Next is the local path the sign-in forms continue to ("/" by default).
	Next string
	// Status and RequestID describe a failure (the error page shows them).
	Status    int
	RequestID string
}

// LoginPage is the sign-in page.
type LoginPage struct {
	Page
	// GoogleStartURL is set when Google sign-in is configured: the "Continue with Google"
	// button leads there.
	GoogleStartURL string
}

// RecoveryPage is the verify-email, reset-password or magic-link page. Page carries Error,
// Status and RequestID of a failure and Email (the signed-in user's address on the verify-email
// page, the typed address on the request forms).
type RecoveryPage struct {
	Page
	// Token is the link token the form carries (from ?token= of the mailed link).
	Token string
	// Notice is a success message shown with role="status" ("" for none).
	Notice string
	// Done means the flow is finished: the page shows Notice and a link onward, no form.
	Done bool
	// EmailVerified tells whether the signed-in user's address is verified (verify-email page).
	EmailVerified bool
	// PendingEmail is the new address of the user's email change waiting for its code
	// (verify-email page; "" for none).
	PendingEmail string
}

// Login writes the sign-in page (templates/login.html).
func (p *Pages) Login(w http.ResponseWriter, r *http.Request, status int, d LoginPage) {
	p.render(w, r, status, pageLogin, d)
}

// Register writes the sign-up page (templates/register.html).
func (p *Pages) Register(w http.ResponseWriter, r *http.Request, status int, d Page) {
	p.render(w, r, status, pageRegister, d)
}

// Logout writes the page that asks a signed-in visitor to confirm signing out.
func (p *Pages) Logout(w http.ResponseWriter, r *http.Request, status int, d Page) {
	p.render(w, r, status, pageLogout, d)
}

// Home writes the signed-in landing page.
func (p *Pages) Home(w http.ResponseWriter, r *http.Request, status int, d Page) {
	p.render(w, r, status, pageHome, d)
}

// Error writes the error page: d.Error, d.Status and d.RequestID.
func (p *Pages) Error(w http.ResponseWriter, r *http.Request, status int, d Page) {
	p.render(w, r, status, pageError, d)
}

// VerifyEmail writes the page that takes a mailed email-verification code.
func (p *Pages) VerifyEmail(w http.ResponseWriter, r *http.Request, status int, d RecoveryPage) {
	p.render(w, r, status, pageVerifyEmail, d)
}

// ResetPassword writes the page that asks for a reset link or, with a token, a new password.
func (p *Pages) ResetPassword(w http.ResponseWriter, r *http.Request, status int, d RecoveryPage) {
	p.render(w, r, status, pageResetPassword, d)
}

// MagicLink writes the page that asks for a sign-in link or, with a token, confirms it.
func (p *Pages) MagicLink(w http.ResponseWriter, r *http.Request, status int, d RecoveryPage) {
	p.render(w, r, status, pageMagicLink, d)
}
