package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A browser that signs in again (a second sign-in, prompt=login, another account) gets a new
// session cookie; the session its old cookie named is revoked (reason "superseded"), not left
// valid and unused until it expires. Other sessions of the person are untouched.
func TestSignInAgainEndsTheBrowsersSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		aliceElsewhere, _ := s.register("alice", goodPassword, "")
		s.register("bob", goodPassword, "")

		apiSignIn := func(t *testing.T, b *http.Client, user string) {
			t.Helper()
			req, _ := http.NewRequest("POST", s.base+"/v1/auth/login", strings.NewReader(`{"username":"`+user+`","password":"`+goodPassword+`"}`))
			req.Header.Set("Content-Type", "application/json")
			mustStatus(t, s.send(b, req), http.StatusOK)
		}
		pageSignIn := func(t *testing.T, b *http.Client, user string) {
			t.Helper()
			form := url.Values{"username": {user}, "password": {goodPassword}, "next": {"/account"}}
			req, _ := http.NewRequest("POST", s.base+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", s.base)
			r := s.send(b, req)
			mustStatus(t, r, http.StatusSeeOther)
			if loc := r.header.Get("Location"); loc != "/account" {
				t.Fatalf("signed in to %q", loc)
			}
		}
		garbageCookie := func(t *testing.T, b *http.Client, _ string) {
			u, _ := url.Parse(s.base)
			b.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse_session", Value: "gth_ses_not-a-session", Path: "/"}})
		}
		cookie := func(t *testing.T, b *http.Client) string {
			t.Helper()
			u, _ := url.Parse(s.base)
			for _, c := range b.Jar.Cookies(u) {
				if c.Name == "gatehouse_session" {
					return c.Value
				}
			}
			t.Fatal("no session cookie")
			return ""
		}
		tests := []struct {
			name           string
			first          func(*testing.T, *http.Client, string)
			firstUser      string
			second         func(*testing.T, *http.Client, string)
			secondUser     string
			wantSuperseded bool // the first cookie named a live session, which must now be revoked
		}{
			{"API sign-in, then the sign-in page", apiSignIn, "alice", pageSignIn, "alice", true},
			{"the sign-in page twice", pageSignIn, "alice", pageSignIn, "alice", true},
			{"the API twice", apiSignIn, "alice", apiSignIn, "alice", true},
			{"another account", pageSignIn, "alice", pageSignIn, "bob", true},
			{"a cookie that names no session", garbageCookie, "", pageSignIn, "alice", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := browser(t)
				tt.first(t, b, tt.firstUser)
				old := cookie(t, b)
				tt.second(t, b, tt.secondUser)
				fresh := cookie(t, b)
				if fresh == old {
					t.Fatal("the cookie was not replaced")
				}
				mustStatus(t, s.do("GET", "/v1/me", fresh, nil), http.StatusOK)
				if tt.wantSuperseded {
					mustError(t, s.do("GET", "/v1/me", old, nil), http.StatusUnauthorized, "invalid_token")
				}
				// The person's session in another browser is not touched.
				mustStatus(t, s.do("GET", "/v1/me", aliceElsewhere, nil), http.StatusOK)
			})
		}

		// The trail says why: session.revoked with reason superseded.
		r := s.do("GET", "/v1/me/audit-events?type=session.revoked", aliceElsewhere, nil)
		mustStatus(t, r, http.StatusOK)
		superseded := 0
		for _, e := range r.json(t)["data"].([]any) {
			if m, _ := e.(map[string]any)["details"].(map[string]any); m["reason"] == "superseded" {
				superseded++
			}
		}
		if superseded != 4 {
			t.Errorf("%d session.revoked events with reason superseded in alice's trail, want 4: %s", superseded, r.body)
		}
	})
}
