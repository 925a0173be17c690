package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/web"
)

// The account page's re-authentication dialog. A form of /account that is a sensitive action
// (changing the email address) answers reauth_required when the session is not recent; the page
// then shows a dialog asking for the password, which posts to /account/reauth with the original
// form's fields; that handler re-authenticates the session (POST /v1/auth/reauth's use case) and
// runs the original action again with those fields. No JavaScript is needed.

// retryPrefix marks the retried form's fields in the dialog's form.
const retryPrefix = "retry."

// reauthRetries are the account forms the dialog may retry, by path.
func (s *Server) reauthRetries() map[string]struct {
	tab string
	h   accountSubmit
} {
	return map[string]struct {
		tab string
		h   accountSubmit
	}{
		"/account/profile": {tabProfile, s.accountProfileSubmit},
	}
}

// reauthDialog is the dialog for a form that failed with err, or nil when err is not
// reauth_required or the form is not one the dialog retries.
func reauthDialog(r *http.Request, err error) *web.AccountReauth {
	if gatehouse.ErrorCode(err) != gatehouse.CodeReauthRequired || r.Method != http.MethodPost || r.URL.Path != "/account/profile" {
		return nil
	}
	d := &web.AccountReauth{Action: r.URL.Path}
	for name, values := range r.PostForm {
		if strings.Contains(strings.ToLower(name), "password") {
			continue
		}
		for _, v := range values {
			d.Fields = append(d.Fields, web.AccountField{Name: retryPrefix + name, Value: v})
		}
	}
	return d
}

// accountReauthSubmit is POST /account/reauth {password, retry_action, retry.*}: re-authenticate
// the session with the password, then run the retried form with its fields.
func (s *Server) accountReauthSubmit(w http.ResponseWriter, r *http.Request) {
	p := s.accountSignedIn(w, r, tabProfile)
	if p == nil {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.renderAccountError(w, r, p, s.accountData(p, tabProfile), formError(err))
		return
	}
	action := r.PostForm.Get("retry_action")
	retry, ok := s.reauthRetries()[action]
	if !ok {
		s.renderAccountError(w, r, p, s.accountData(p, tabProfile), gatehouse.Errorf(gatehouse.CodeInvalidRequest, "Nothing to confirm."))
		return
	}
	fields := url.Values{}
	for name, values := range r.PostForm {
		if rest, ok := strings.CutPrefix(name, retryPrefix); ok {
			fields[rest] = values
		}
	}
	data := s.accountData(p, retry.tab)
	if _, err := s.SignIn.Reauthenticate(r.Context(), p, r.PostForm.Get("password"), s.meta(r)); err != nil {
		d := &web.AccountReauth{Action: action}
		for name, values := range fields {
			for _, v := range values {
				d.Fields = append(d.Fields, web.AccountField{Name: retryPrefix + name, Value: v})
			}
		}
		_, d.Error = s.pageFailure(w, r, err)
		data.Reauth = d
		s.renderAccountError(w, r, p, data, err)
		return
	}
	// The session is recent now: read it again, then run the form as if it had just been sent.
	fresh, err := s.pagePrincipal(w, r)
	if err != nil || fresh == nil {
		s.accountSignedIn(w, r, retry.tab)
		return
	}
	r.PostForm, r.Form = fields, fields
	r.URL.Path = action
	if err := retry.h(w, r, fresh, &data); err != nil {
		s.renderAccountError(w, r, fresh, data, err)
	}
}
