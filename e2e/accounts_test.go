package e2e

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

const goodPassword = "correct horse battery staple"

func TestRegisterValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		s.register("Taken_Name", goodPassword, "taken@example.com")
		cases := []struct {
			name string
			body map[string]string
			code string
			want int
		}{
			{"username too short", map[string]string{"username": "a", "password": goodPassword}, "username_invalid", 400},
			{"username with space", map[string]string{"username": "a b", "password": goodPassword}, "username_invalid", 400},
			{"username too long", map[string]string{"username": strings.Repeat("a", 25), "password": goodPassword}, "username_invalid", 400},
			{"password too short", map[string]string{"username": "alice", "password": "short"}, "password_too_short", 400},
			{"password too long", map[string]string{"username": "alice", "password": strings.Repeat("x", 1025)}, "password_too_long", 400},
			{"common password", map[string]string{"username": "alice", "password": "password123"}, "password_breached", 400},
			{"username taken, other case", map[string]string{"username": "taken_name", "password": goodPassword}, "username_taken", 409},
			{"email taken, other case", map[string]string{"username": "bob", "password": goodPassword, "email": "TAKEN@example.com"}, "email_taken", 409},
			{"bad email", map[string]string{"username": "bob", "password": goodPassword, "email": "not-an-address"}, "invalid_request", 400},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.do("POST", "/v1/auth/register", "", c.body)
				mustStatus(t, r, c.want)
				if got := r.errorCode(t); got != c.code {
					t.Fatalf("error %q, want %q: %s", got, c.code, r.body)
				}
				if r.json(t)["request_id"] == "" {
					t.Fatal("error body has no request_id")
				}
			})
		}
		t.Run("1024-byte password accepted", func(t *testing.T) {
			pw := strings.Repeat("é", 512) // 1024 bytes
			r := s.do("POST", "/v1/auth/register", "", map[string]string{"username": "longpw", "password": pw})
			mustStatus(t, r, http.StatusCreated)
			r = s.do("POST", "/v1/auth/login", "", map[string]string{"username": "longpw", "password": pw})
			mustStatus(t, r, http.StatusOK)
		})
	})
}

func TestRegisterLoginMeLogout(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		tok, id := s.register("Alice", goodPassword, "Alice@Example.com")
		if !regexp.MustCompile(`^gth_ses_[0-9A-Za-z]{38}$`).MatchString(tok) {
			t.Fatalf("session token %q does not have the documented format", tok)
		}
		if !strings.HasPrefix(id, "usr_") {
			t.Fatalf("user id %q lacks the usr_ prefix", id)
		}

		me := s.do("GET", "/v1/me", tok, nil)
		mustStatus(t, me, 200)
		v := me.json(t)
		if v["username"] != "Alice" || v["kind"] != "user" || v["email"] != "Alice@Example.com" || v["email_verified"] != false {
			t.Fatalf("unexpected profile %v", v)
		}
		if strings.Contains(string(me.body), "argon2") || strings.Contains(string(me.body), "password") {
			t.Fatalf("profile leaks the password hash: %s", me.body)
		}

		for _, login := range []string{"alice", "ALICE", "alice@example.com"} {
			r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": login, "password": goodPassword})
			mustStatus(t, r, 200)
		}

		r := s.do("POST", "/v1/auth/logout", tok, nil)
		mustStatus(t, r, http.StatusNoContent)
		r = s.do("GET", "/v1/me", tok, nil)
		mustStatus(t, r, http.StatusUnauthorized)
		if r.errorCode(t) != "invalid_token" {
			t.Fatalf("revoked session: %s", r.body)
		}
		if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
			t.Fatalf("401 without a Bearer WWW-Authenticate header: %q", h)
		}
	})
}

func TestLoginFailuresAreIndistinguishable(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		s.register("carol", goodPassword, "carol@example.com")
		attempts := []struct {
			name            string
			login, password string
		}{
			{"wrong password", "carol", "not the password"},
			{"unknown username", "nobody", "not the password"},
			{"unknown email", "nobody@example.com", "not the password"},
			{"empty", "", ""},
		}
		var bodies []string
		for _, a := range attempts {
			r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": a.login, "password": a.password})
			mustStatus(t, r, http.StatusUnauthorized)
			v := r.json(t)
			delete(v, "request_id")
			bodies = append(bodies, canonical(t, v))
			if r.header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%s: no WWW-Authenticate", a.name)
			}
		}
		for i := range bodies {
			if bodies[i] != bodies[0] {
				t.Fatalf("%q answered %s but %q answered %s", attempts[i].name, bodies[i], attempts[0].name, bodies[0])
			}
		}
	})
}

func TestCookieSessionAndCrossSiteProtection(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		s.register("dave", goodPassword, "")
		c := browser(t)
		req, _ := http.NewRequest("POST", s.base+"/v1/auth/login", strings.NewReader(`{"username":"dave","password":"`+goodPassword+`"}`))
		req.Header.Set("Content-Type", "application/json")
		r := s.send(c, req)
		mustStatus(t, r, 200)
		setCookie := r.header.Get("Set-Cookie")
		for _, want := range []string{"gatehouse_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(setCookie, want) {
				t.Fatalf("session cookie %q lacks %q", setCookie, want)
			}
		}

		req, _ = http.NewRequest("GET", s.base+"/v1/me", nil)
		mustStatus(t, s.send(c, req), 200)

		// A cross-site POST carrying the cookie is refused; the session survives.
		req, _ = http.NewRequest("POST", s.base+"/v1/auth/logout", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		r = s.send(c, req)
		mustStatus(t, r, http.StatusForbidden)
		req, _ = http.NewRequest("GET", s.base+"/v1/me", nil)
		mustStatus(t, s.send(c, req), 200)

		// A same-origin POST logs out.
		req, _ = http.NewRequest("POST", s.base+"/v1/auth/logout", nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		mustStatus(t, s.send(c, req), http.StatusNoContent)
		req, _ = http.NewRequest("GET", s.base+"/v1/me", nil)
		mustStatus(t, s.send(c, req), http.StatusUnauthorized)
	})
}

func TestLogoutRedirect(t *testing.T) {
	s := start(t, backends()[0].dbURL(t), func(c *configT) { c.LogoutRedirectOrigins = []string{"https://app.example.com"} })
	cases := []struct {
		name, target, want string
	}{
		{"relative path", "/after", "/after"},
		{"allowed origin", "https://app.example.com/bye", "https://app.example.com/bye"},
		{"other origin", "https://evil.example.com/", "/"},
		{"scheme-relative", "//evil.example.com/", "/"},
		{"backslash trick", "/\\evil.example.com", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"none", "", "/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, _ := s.register("u"+randomSuffix(), goodPassword, "")
			req, _ := http.NewRequest("GET", s.base+"/v1/auth/logout?redirect_to="+urlQueryEscape(c.target), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			r := s.send(browser(t), req)
			mustStatus(t, r, http.StatusSeeOther)
			if got := r.header.Get("Location"); got != c.want {
				t.Fatalf("Location %q, want %q", got, c.want)
			}
			mustStatus(t, s.do("GET", "/v1/me", tok, nil), http.StatusUnauthorized)
		})
	}
}

func TestProfileUpdate(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		tok, _ := s.register("erin", goodPassword, "erin@example.com")
		r := s.do("PATCH", "/v1/me", tok, map[string]any{"display_name": "Erin E.", "theme": "dark", "avatar_url": "https://img.example.com/a.png"})
		mustStatus(t, r, 200)
		v := r.json(t)
		if v["display_name"] != "Erin E." || v["theme"] != "dark" || v["email"] != "erin@example.com" {
			t.Fatalf("unexpected profile after PATCH: %v", v)
		}
		bad := []struct {
			name string
			body map[string]any
		}{
			{"avatar not a URL", map[string]any{"avatar_url": "javascript:alert(1)"}},
			{"display name too long", map[string]any{"display_name": strings.Repeat("x", 65)}},
			{"wrong type", map[string]any{"theme": 7}},
			{"unknown field", map[string]any{"is_admin": true}},
		}
		for _, c := range bad {
			t.Run(c.name, func(t *testing.T) {
				r := s.do("PATCH", "/v1/me", tok, c.body)
				mustStatus(t, r, 400)
				if r.errorCode(t) != "invalid_request" {
					t.Fatalf("got %s", r.body)
				}
			})
		}
		r = s.do("GET", "/v1/me", tok, nil)
		if v := r.json(t); v["display_name"] != "Erin E." || v["is_admin"] != false {
			t.Fatalf("a refused PATCH changed the profile: %v", v)
		}
	})
}

func TestChangePasswordRevokesEverySession(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		first, _ := s.register("frank", goodPassword, "")
		r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "frank", "password": goodPassword})
		second := r.json(t)["token"].(string)

		r = s.do("POST", "/v1/me/change-password", first, map[string]string{"current_password": "wrong one", "new_password": "a brand new secret"})
		mustStatus(t, r, http.StatusUnauthorized)
		if r.errorCode(t) != "invalid_credentials" {
			t.Fatalf("wrong current password: %s", r.body)
		}

		r = s.do("POST", "/v1/me/change-password", first, map[string]string{"current_password": goodPassword, "new_password": "a brand new secret"})
		mustStatus(t, r, 200)
		fresh := r.json(t)["token"].(string)
		for name, tok := range map[string]string{"caller's old session": first, "other session": second} {
			if r := s.do("GET", "/v1/me", tok, nil); r.status != http.StatusUnauthorized {
				t.Fatalf("%s still works after a password change: %d", name, r.status)
			}
		}
		mustStatus(t, s.do("GET", "/v1/me", fresh, nil), 200)
		mustStatus(t, s.do("POST", "/v1/auth/login", "", map[string]string{"username": "frank", "password": goodPassword}), http.StatusUnauthorized)
		mustStatus(t, s.do("POST", "/v1/auth/login", "", map[string]string{"username": "frank", "password": "a brand new secret"}), 200)
	})
}

func TestSessionsListAndRevoke(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		a, _ := s.register("gina", goodPassword, "")
		r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "gina", "password": goodPassword}, "User-Agent", "second-device/1.0")
		b := r.json(t)["token"].(string)
		other, _ := s.register("hank", goodPassword, "")

		r = s.do("GET", "/v1/me/sessions", a, nil)
		mustStatus(t, r, 200)
		data := r.json(t)["data"].([]any)
		if len(data) != 2 {
			t.Fatalf("want 2 sessions, got %d: %s", len(data), r.body)
		}
		var bID string
		currents := 0
		for _, x := range data {
			m := x.(map[string]any)
			if m["current"] == true {
				currents++
			}
			if m["user_agent"] == "second-device/1.0" {
				bID = m["id"].(string)
			}
			if strings.Contains(string(r.body), a) || strings.Contains(string(r.body), b) {
				t.Fatal("the session list contains a session token")
			}
		}
		if currents != 1 || bID == "" {
			t.Fatalf("want exactly one current session and the second device listed: %s", r.body)
		}

		// Another user cannot revoke it.
		r = s.do("DELETE", "/v1/me/sessions/"+bID, other, nil)
		mustStatus(t, r, http.StatusNotFound)
		mustStatus(t, s.do("GET", "/v1/me", b, nil), 200)

		mustStatus(t, s.do("DELETE", "/v1/me/sessions/"+bID, a, nil), http.StatusNoContent)
		mustStatus(t, s.do("GET", "/v1/me", b, nil), http.StatusUnauthorized)
		mustStatus(t, s.do("GET", "/v1/me", a, nil), 200)
	})
}

func TestDeleteAccount(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		tok, _ := s.register("ivan", goodPassword, "ivan@example.com")
		r := s.do("DELETE", "/v1/me", tok, map[string]string{"password": "wrong"})
		mustStatus(t, r, http.StatusUnauthorized)
		mustStatus(t, s.do("GET", "/v1/me", tok, nil), 200)

		mustStatus(t, s.do("DELETE", "/v1/me", tok, map[string]string{"password": goodPassword}), http.StatusNoContent)
		mustStatus(t, s.do("GET", "/v1/me", tok, nil), http.StatusUnauthorized)
		mustStatus(t, s.do("POST", "/v1/auth/login", "", map[string]string{"username": "ivan", "password": goodPassword}), http.StatusUnauthorized)
		// The username and email are free again.
		s.register("IVAN", goodPassword, "ivan@example.com")
	})
}

func TestOrgsAndAuditTrail(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		tok, id := s.register("judy", goodPassword, "")
		r := s.do("GET", "/v1/me/orgs", tok, nil)
		mustStatus(t, r, 200)
		orgs := r.json(t)["data"].([]any)
		if len(orgs) != 1 || orgs[0].(map[string]any)["name"] != "lobby" || orgs[0].(map[string]any)["role"] != "member" {
			t.Fatalf("new users join lobby as members: %s", r.body)
		}

		s.do("POST", "/v1/auth/login", "", map[string]string{"username": "judy", "password": "wrong password"})
		for i := 0; i < 3; i++ {
			mustStatus(t, s.do("POST", "/v1/auth/login", "", map[string]string{"username": "judy", "password": goodPassword}), 200)
		}
		r = s.do("GET", "/v1/me/audit-events", tok, nil)
		mustStatus(t, r, 200)
		types := map[string]int{}
		for _, e := range r.json(t)["data"].([]any) {
			m := e.(map[string]any)
			types[m["type"].(string)]++
			if m["actor_id"] != id && m["subject_id"] != id {
				t.Fatalf("someone else's event in my trail: %v", m)
			}
		}
		if types["user.registered"] != 1 || types["auth.login"] != 3 || types["auth.failed"] != 1 {
			t.Fatalf("unexpected audit trail: %v", types)
		}

		// Filter and paginate: 3 logins, 2 per page.
		r = s.do("GET", "/v1/me/audit-events?type=auth.login&limit=2", tok, nil)
		mustStatus(t, r, 200)
		page := r.json(t)
		if n := len(page["data"].([]any)); n != 2 || page["next_cursor"] == "" {
			t.Fatalf("first page: %s", r.body)
		}
		r = s.do("GET", "/v1/me/audit-events?type=auth.login&limit=2&cursor="+page["next_cursor"].(string), tok, nil)
		page = r.json(t)
		if n := len(page["data"].([]any)); n != 1 || page["next_cursor"] != "" {
			t.Fatalf("last page: %s", r.body)
		}
		mustStatus(t, s.do("GET", "/v1/me/audit-events?since=yesterday", tok, nil), 400)
	})
}

func TestMalformedRequests(t *testing.T) {
	s := start(t, backends()[0].dbURL(t), nil)
	cases := []struct {
		name        string
		method      string
		path        string
		body        []byte
		contentType string
		want        int
		code        string
	}{
		{"malformed JSON", "POST", "/v1/auth/login", []byte(`{"username":`), "application/json", 400, "invalid_request"},
		{"wrong type", "POST", "/v1/auth/login", []byte(`{"username":1,"password":"x"}`), "application/json", 400, "invalid_request"},
		{"invalid UTF-8", "POST", "/v1/auth/login", []byte("{\"username\":\"\xff\xfe\",\"password\":\"x\"}"), "application/json", 400, "invalid_request"},
		{"over 1 MiB", "POST", "/v1/auth/register", append(append([]byte(`{"username":"`), bytes.Repeat([]byte("a"), 1<<20)...), []byte(`"}`)...), "application/json", 413, "request_too_large"},
		{"unknown route", "GET", "/v1/nope", nil, "", 404, "not_found"},
		{"wrong method", "PUT", "/v1/me", nil, "", 405, "method_not_allowed"},
		{"no credential", "GET", "/v1/me", nil, "", 401, "invalid_token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var headers []string
			if c.contentType != "" {
				headers = []string{"Content-Type", c.contentType}
			}
			var body any
			if c.body != nil {
				body = c.body
			}
			r := s.do(c.method, c.path, "", body, headers...)
			mustStatus(t, r, c.want)
			if got := r.errorCode(t); got != c.code {
				t.Fatalf("error %q, want %q", got, c.code)
			}
			for _, leak := range []string{"goroutine", "sql", "SQL", ".go:"} {
				if strings.Contains(string(r.body), leak) {
					t.Fatalf("error body leaks internals (%q): %s", leak, r.body)
				}
			}
		})
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	s := start(t, backends()[0].dbURL(t), nil)
	tok, _ := s.register("kate", goodPassword, "")
	s.do("GET", "/v1/me", tok, nil)
	s.do("POST", "/v1/auth/login", "", map[string]string{"username": "kate", "password": "wrong password!"})
	logs := s.logText()
	if logs == "" {
		t.Fatal("the server logged nothing; the access log is missing")
	}
	for _, secret := range []string{tok, goodPassword, "wrong password!"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a secret appears in the logs")
		}
	}
	if !strings.Contains(logs, `"request_id"`) {
		t.Fatal("log lines carry no request_id")
	}
}
