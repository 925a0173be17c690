package e2e

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/mail/mailtest"
)

// recoveryPublicURL is the public URL of the mail tests: every mailed link must start with it.
// The server listens elsewhere (127.0.0.1:port); a test follows a link by its path and query.
const recoveryPublicURL = "http://localhost:5999"

const recoveryPassword = "correct horse battery staple"

// mailWait bounds how long a test waits for a mail: a guard against a hang, not a speed check.
const mailWait = 30 * time.Second

// inbox reads the mails the test SMTP server received, each at most once.
type inbox struct {
	t    *testing.T
	smtp *mailtest.Server
	used map[int]bool
}

// startWithMail runs a server that sends its mails to a real in-process SMTP server.
func startWithMail(t *testing.T, dbURL string, configure func(*config.Config)) (*server, *inbox) {
	t.Helper()
	smtp := mailtest.Start(t, mailtest.Options{})
	s := start(t, dbURL, func(c *config.Config) {
		c.SMTPURL = smtp.URL("", "")
		u, err := url.Parse(recoveryPublicURL)
		if err != nil {
			t.Fatal(err)
		}
		c.PublicURL = u
		if configure != nil {
			configure(c)
		}
	})
	if !s.m.Auth.Accounts.MailEnabled() {
		t.Fatal("the server was started with an SMTP URL but sends no mail: app does not pass package mail's Composer to auth")
	}
	return s, &inbox{t: t, smtp: smtp, used: map[int]bool{}}
}

// next waits for the oldest unread mail to addr whose text contains substr and returns it decoded.
func (in *inbox) next(addr, substr string) *mailtest.Decoded {
	in.t.Helper()
	seen := 0
	for {
		msgs := in.smtp.WaitFor(seen+1, mailWait)
		for i := seen; i < len(msgs); i++ {
			if in.used[i] || !slices.Equal(msgs[i].To, []string{addr}) {
				continue
			}
			d, err := msgs[i].Decode()
			if err != nil {
				in.t.Fatalf("mail %d: %v", i, err)
			}
			if strings.Contains(d.Text, substr) {
				in.used[i] = true
				return d
			}
		}
		seen = len(msgs)
	}
}

// count is the number of mails received for addr so far.
func (in *inbox) count(addr string) int {
	n := 0
	for _, m := range in.smtp.Messages() {
		if slices.Contains(m.To, addr) {
			n++
		}
	}
	return n
}

// code waits for the next verification mail to addr and returns its code, as a person reads it.
func (in *inbox) code(addr string) string {
	in.t.Helper()
	d := in.next(addr, "verification code")
	code := d.Code()
	if code == "" {
		in.t.Fatalf("no code in the verification mail:\n%s", d.Text)
	}
	return code
}

// link waits for the next mail to addr with a link to page and returns the link's path and query
// on the server, checking that the link starts with the public URL.
func (in *inbox) link(addr, page string) string {
	in.t.Helper()
	d := in.next(addr, page+"?token=")
	link := d.Link()
	prefix := recoveryPublicURL + page + "?token="
	if !strings.HasPrefix(link, prefix) || len(link) == len(prefix) {
		in.t.Fatalf("link %q does not start with %q", link, prefix)
	}
	return strings.TrimPrefix(link, recoveryPublicURL)
}

// linkToken is the token of a link path from inbox.link.
func linkToken(t *testing.T, path string) string {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// settle waits until every mail the server will send for what happened so far has arrived:
// it drains the background tasks of the link requests (no more link requests work afterwards),
// then queues one more mail (a sign-up's code), which the worker sends after the earlier ones.
func (s *server) settle(in *inbox) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), mailWait)
	defer cancel()
	if err := s.m.Auth.Recovery.Drain(ctx); err != nil {
		s.t.Fatal(err)
	}
	addr := "sentinel-" + randomSuffix() + "@example.com"
	s.register("sentinel_"+randomSuffix(), recoveryPassword, addr)
	in.next(addr, "")
}

func (s *server) me(bearer string) map[string]any {
	s.t.Helper()
	r := s.do("GET", "/v1/me", bearer, nil)
	mustStatus(s.t, r, http.StatusOK)
	return r.json(s.t)
}

func TestEmailVerificationByMail(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
		tok, _ := s.register("vera", recoveryPassword, "vera@example.com")
		code := in.code("vera@example.com")
		if v := s.me(tok)["email_verified"]; v != false {
			t.Fatalf("email_verified before the code: %v", v)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		mustError(t, s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": wrong}), http.StatusBadRequest, "invalid_request")
		mustError(t, s.do("POST", "/v1/auth/verify-email", "", map[string]string{"code": code}), http.StatusUnauthorized, "invalid_token")
		r := s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": code})
		mustStatus(t, r, http.StatusOK)
		if v := s.me(tok)["email_verified"]; v != true {
			t.Fatalf("email_verified after the code: %v", v)
		}
		// The code works once.
		mustError(t, s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": code}), http.StatusBadRequest, "invalid_request")

		// A new address through PATCH /v1/me waits for its own code (emailchange_test.go); the
		// verified address stays in force until then.
		mustStatus(t, s.do("PATCH", "/v1/me", tok, map[string]string{"email": "vera@new.example.com"}), http.StatusAccepted)
		if me := s.me(tok); me["email"] != "vera@example.com" || me["email_verified"] != true {
			t.Fatalf("right after asking for a new address: %v", me)
		}
		code = in.code("vera@new.example.com")
		mustStatus(t, s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": code}), http.StatusOK)
		if me := s.me(tok); me["email"] != "vera@new.example.com" || me["email_verified"] != true {
			t.Fatalf("the new address is not verified after its code: %v", me)
		}
	})
}

func TestVerificationCodeDiesAfterFiveWrongTries(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
		tok, _ := s.register("wanda", recoveryPassword, "wanda@example.com")
		code := in.code("wanda@example.com")
		wrong := "123456"
		if code == wrong {
			wrong = "654321"
		}
		for i := range 5 {
			r := s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": wrong})
			if r.status != http.StatusBadRequest {
				t.Fatalf("wrong try %d: status %d: %s", i+1, r.status, r.body)
			}
		}
		// The sixth try of the hour is refused before any comparison, the right code included.
		mustError(t, s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": code}), http.StatusTooManyRequests, "rate_limited")

		// Resend within the minute of the sign-up's code: 202 and nothing sent (one new code a
		// minute per address), and the same answer twice.
		first := s.do("POST", "/v1/auth/resend-verification", tok, nil)
		mustStatus(t, first, http.StatusAccepted)
		second := s.do("POST", "/v1/auth/resend-verification", tok, nil)
		mustStatus(t, second, http.StatusAccepted)
		if string(first.body) != string(second.body) {
			t.Fatalf("throttled resend answers differently: %s vs %s", first.body, second.body)
		}

		// A new code buys no new tries (API.md "Limits": 5 wrong codes an hour across all codes;
		// the review's attack asked for new codes to get fresh guesses): a code for another
		// address, mailed at once, is refused all the same.
		changed := s.do("PATCH", "/v1/me", tok, map[string]string{"email": "wanda@new.example.com"})
		if changed.status != http.StatusOK && changed.status != http.StatusAccepted {
			t.Fatalf("change of address: %d %s", changed.status, changed.body)
		}
		code = in.code("wanda@new.example.com")
		r := s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": code})
		mustError(t, r, http.StatusTooManyRequests, "rate_limited")
		if r.header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		if v := s.me(tok)["email_verified"]; v != false {
			t.Fatalf("email_verified after a try beyond the budget: %v", v)
		}
		s.settle(in)
		// The sign-up's code and the change's notice; the resends were within the code's minute.
		if n := in.count("wanda@example.com"); n != 2 {
			t.Fatalf("%d mails to the first address, want 2 (the sign-up's code, the change's notice)", n)
		}
	})
}

// withoutRequestID is a response without what differs per request: the request ID and the date.
func withoutRequestID(r response) (int, string, http.Header) {
	h := r.header.Clone()
	h.Del("Date")
	h.Del("X-Request-ID")
	body := regexp.MustCompile(`"request_id":"[^"]*"`).ReplaceAllString(string(r.body), `"request_id":""`)
	return r.status, body, h
}

func mustAnswerAlike(t *testing.T, what string, a, b response) {
	t.Helper()
	sa, ba, ha := withoutRequestID(a)
	sb, bb, hb := withoutRequestID(b)
	if sa != sb || ba != bb || !maps.EqualFunc(ha, hb, slices.Equal) {
		t.Fatalf("%s: the answers differ:\n%d %v %s\n%d %v %s", what, sa, ha, ba, sb, hb, bb)
	}
}

func TestMailRequestsAnswerAlikeForUnknownAccounts(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
		known, _ := s.register("kim", recoveryPassword, "kim@example.com")
		in.code("kim@example.com")
		noEmail, _ := s.register("nomail", recoveryPassword, "")
		for _, path := range []string{"/v1/auth/forgot-password", "/v1/auth/magic-link"} {
			a := s.do("POST", path, "", map[string]string{"email": "kim@example.com"})
			b := s.do("POST", path, "", map[string]string{"email": "nobody@example.com"})
			mustStatus(t, a, http.StatusAccepted)
			mustAnswerAlike(t, path, a, b)
		}
		a := s.do("POST", "/v1/auth/resend-verification", known, nil)
		b := s.do("POST", "/v1/auth/resend-verification", noEmail, nil)
		mustStatus(t, a, http.StatusAccepted)
		mustAnswerAlike(t, "resend-verification", a, b)
		mustError(t, s.do("POST", "/v1/auth/forgot-password", "", map[string]string{"email": "not an address"}), http.StatusBadRequest, "invalid_request")

		s.settle(in)
		if n := in.count("nobody@example.com"); n != 0 {
			t.Fatalf("%d mails to an address without an account", n)
		}
		in.next("kim@example.com", "/reset-password?token=")
		in.next("kim@example.com", "/magic-link?token=")
		// The resend came within the minute of the sign-up's code: one new code a minute per
		// address, so it sent nothing (and answered exactly as for an account without an address).
		if n := in.count("kim@example.com"); n != 3 {
			t.Fatalf("%d mails to the known address, want 3 (sign-up, reset, magic link)", n)
		}
	})
}

// hiddenToken is the token a page's form carries, as a browser submits it.
var hiddenToken = regexp.MustCompile(`name="token" value="([^"]*)"`)

// postForm submits a form of a page with the client c.
func (s *server) postForm(c *http.Client, path string, form url.Values) response {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.send(c, req)
}

func (s *server) getPage(c *http.Client, path string) response {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.send(c, req)
}

func TestPasswordResetByMail(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
		first, _ := s.register("rita", recoveryPassword, "rita@example.com")
		r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "rita", "password": recoveryPassword})
		mustStatus(t, r, http.StatusOK)
		second := r.json(t)["token"].(string)

		mustStatus(t, s.do("POST", "/v1/auth/forgot-password", "", map[string]string{"email": "rita@example.com"}), http.StatusAccepted)
		path := in.link("rita@example.com", "/reset-password")

		// The person opens the link and submits the form of the page, without JavaScript.
		b := browser(t)
		page := s.getPage(b, path)
		mustStatus(t, page, http.StatusOK)
		m := hiddenToken.FindSubmatch(page.body)
		if m == nil || !contains(page.body, `name="new_password"`) {
			t.Fatalf("the reset page has no form with the token and new_password:\n%s", page.body)
		}
		const next = "a fresh passphrase for rita"
		done := s.postForm(b, "/reset-password", url.Values{"token": {string(m[1])}, "new_password": {next}})
		mustStatus(t, done, http.StatusOK)
		if !contains(done.body, `href="/login"`) {
			t.Fatalf("the success page has no link to /login:\n%s", done.body)
		}
		for _, tok := range []string{first, second} {
			mustError(t, s.do("GET", "/v1/me", tok, nil), http.StatusUnauthorized, "invalid_token")
		}
		mustStatus(t, s.do("POST", "/v1/auth/login", "", map[string]string{"username": "rita", "password": next}), http.StatusOK)
		mustError(t, s.do("POST", "/v1/auth/login", "", map[string]string{"username": "rita", "password": recoveryPassword}), http.StatusUnauthorized, "invalid_credentials")

		// The link works once, on the page and in the API.
		again := s.postForm(b, "/reset-password", url.Values{"token": {string(m[1])}, "new_password": {"yet another passphrase"}})
		mustStatus(t, again, http.StatusBadRequest)
		mustError(t, s.do("POST", "/v1/auth/reset-password", "", map[string]string{"token": linkToken(t, path), "new_password": "yet another passphrase"}),
			http.StatusBadRequest, "invalid_request")

		// The API flow with a new link.
		mustStatus(t, s.do("POST", "/v1/auth/forgot-password", "", map[string]string{"email": "rita@example.com"}), http.StatusAccepted)
		tok := linkToken(t, in.link("rita@example.com", "/reset-password"))
		mustError(t, s.do("POST", "/v1/auth/reset-password", "", map[string]string{"token": tok, "new_password": "short"}), http.StatusBadRequest, "password_too_short")
		mustStatus(t, s.do("POST", "/v1/auth/reset-password", "", map[string]string{"token": tok, "new_password": "the third passphrase"}), http.StatusOK)
		mustStatus(t, s.do("POST", "/v1/auth/login", "", map[string]string{"username": "rita", "password": "the third passphrase"}), http.StatusOK)
	})
}

func TestMagicLinkByMail(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
		s.register("milo", recoveryPassword, "milo@example.com")
		in.code("milo@example.com")
		mustStatus(t, s.do("POST", "/v1/auth/magic-link", "", map[string]string{"email": "milo@example.com"}), http.StatusAccepted)
		path := in.link("milo@example.com", "/magic-link")

		// Opening the link (a mail scanner does it too) signs nobody in and uses nothing up.
		b := browser(t)
		var form []byte
		for range 2 {
			page := s.getPage(b, path)
			mustStatus(t, page, http.StatusOK)
			if !contains(page.body, `name="action" value="approve"`) {
				t.Fatalf("the magic-link page has no confirm button:\n%s", page.body)
			}
			if len(page.header.Values("Set-Cookie")) != 0 {
				t.Fatalf("opening the link set a cookie: %v", page.header.Values("Set-Cookie"))
			}
			form = page.body
		}
		m := hiddenToken.FindSubmatch(form)
		if m == nil {
			t.Fatalf("the confirm form carries no token:\n%s", form)
		}
		r := s.postForm(b, "/magic-link", url.Values{"token": {string(m[1])}, "action": {"approve"}})
		mustStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/" {
			t.Fatalf("redirect to %q, want /", loc)
		}
		home := s.getPage(b, "/")
		mustStatus(t, home, http.StatusOK)
		if !contains(home.body, "milo") {
			t.Fatalf("the home page does not show the signed-in user:\n%s", home.body)
		}
		// A second use fails and signs nobody in.
		other := browser(t)
		mustStatus(t, s.postForm(other, "/magic-link", url.Values{"token": {string(m[1])}, "action": {"approve"}}), http.StatusBadRequest)
		if r := s.getPage(other, "/"); r.status != http.StatusSeeOther {
			t.Fatalf("a second use of the link signed in (status %d)", r.status)
		}

		// For apps: the token for a session; it also works once. The sign-in proved control of
		// the address, so it is verified now.
		mustStatus(t, s.do("POST", "/v1/auth/magic-link", "", map[string]string{"email": "milo@example.com"}), http.StatusAccepted)
		tok := linkToken(t, in.link("milo@example.com", "/magic-link"))
		r = s.do("POST", "/v1/auth/magic-link/verify", "", map[string]string{"token": tok})
		mustStatus(t, r, http.StatusOK)
		v := r.json(t)
		user, _ := v["user"].(map[string]any)
		if v["token"] == nil || v["expires_at"] == nil || user["username"] != "milo" || user["email_verified"] != true {
			t.Fatalf("magic-link verify answered %s", r.body)
		}
		if got := s.me(v["token"].(string))["username"]; got != "milo" {
			t.Fatalf("the magic-link session is %v's", got)
		}
		mustError(t, s.do("POST", "/v1/auth/magic-link/verify", "", map[string]string{"token": tok}), http.StatusBadRequest, "invalid_request")
	})
}

func TestMailedTokensSingleUseUnderConcurrency(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
		s.register("cora", recoveryPassword, "cora@example.com")
		in.code("cora@example.com")
		mustStatus(t, s.do("POST", "/v1/auth/magic-link", "", map[string]string{"email": "cora@example.com"}), http.StatusAccepted)
		magic := linkToken(t, in.link("cora@example.com", "/magic-link"))
		mustStatus(t, s.do("POST", "/v1/auth/forgot-password", "", map[string]string{"email": "cora@example.com"}), http.StatusAccepted)
		reset := linkToken(t, in.link("cora@example.com", "/reset-password"))

		tests := []struct {
			name string
			path string
			body map[string]string
		}{
			{"magic link", "/v1/auth/magic-link/verify", map[string]string{"token": magic}},
			{"reset token", "/v1/auth/reset-password", map[string]string{"token": reset, "new_password": "a parallel passphrase"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var wg sync.WaitGroup
				statuses := make([]int, 10)
				for i := range statuses {
					wg.Go(func() { statuses[i] = s.do("POST", tc.path, "", tc.body).status })
				}
				wg.Wait()
				ok := 0
				for _, st := range statuses {
					switch st {
					case http.StatusOK:
						ok++
					case http.StatusBadRequest, http.StatusServiceUnavailable: // used up; the hasher busy
					default:
						t.Errorf("unexpected status %d", st)
					}
				}
				if ok != 1 {
					t.Fatalf("%d of 10 parallel uses succeeded (%v), want exactly 1", ok, statuses)
				}
			})
		}
	})
}

func TestRecoveryPagesWithoutJavaScript(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
		b := browser(t)
		r := s.postForm(b, "/register", url.Values{"username": {"paula"}, "password": {recoveryPassword}, "email": {"paula@example.com"}})
		mustStatus(t, r, http.StatusSeeOther)

		// /verify-email: the code form, then the verified notice.
		page := s.getPage(b, "/verify-email")
		mustStatus(t, page, http.StatusOK)
		if !contains(page.body, `name="code"`) || !contains(page.body, "paula@example.com") {
			t.Fatalf("the verify-email page has no code form for the address:\n%s", page.body)
		}
		code := in.code("paula@example.com")
		done := s.postForm(b, "/verify-email", url.Values{"code": {code}})
		mustStatus(t, done, http.StatusOK)
		if !contains(done.body, "is verified") {
			t.Fatalf("no verified notice:\n%s", done.body)
		}
		if r := s.getPage(browser(t), "/verify-email"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Fatalf("signed out /verify-email: status %d to %q, want a redirect to /login", r.status, r.header.Get("Location"))
		}

		// The request forms of /reset-password and /magic-link mail their links.
		for _, page := range []string{"/reset-password", "/magic-link"} {
			form := s.getPage(browser(t), page)
			mustStatus(t, form, http.StatusOK)
			if !contains(form.body, `name="email"`) {
				t.Fatalf("%s without a token has no email form:\n%s", page, form.body)
			}
			sent := s.postForm(browser(t), page, url.Values{"email": {"paula@example.com"}})
			mustStatus(t, sent, http.StatusOK)
			unknown := s.postForm(browser(t), page, url.Values{"email": {"nobody@example.com"}})
			if sent.status != unknown.status || !strings.Contains(string(sent.body), "If an account has that address") || string(sent.body) != string(unknown.body) {
				t.Fatalf("%s answers known and unknown addresses differently", page)
			}
			in.link("paula@example.com", page)
		}
		// A dead link on the confirm page says so and offers a new one.
		dead := s.postForm(browser(t), "/magic-link", url.Values{"token": {strings.Repeat("a", 32)}, "action": {"approve"}})
		mustStatus(t, dead, http.StatusBadRequest)
		if !contains(dead.body, `role="alert"`) || !contains(dead.body, `name="email"`) {
			t.Fatalf("the dead-link page has no alert and no request form:\n%s", dead.body)
		}
	})
}
