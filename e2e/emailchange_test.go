package e2e

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestEmailChangeIsConfirmed reproduces the review's takeover: PATCH /v1/me {email} used to move
// the account to the new address at once, so the next password reset went to whoever typed it.
// Now the answer is 202 {pending_email}, a code goes to the new address, the old one is told and
// stays in force (resets go there) until the code is typed; the other fields apply at once.
func TestEmailChangeIsConfirmed(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
		tok, _ := s.register("ella", recoveryPassword, "ella@example.com")
		mustStatus(t, s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": in.code("ella@example.com")}), http.StatusOK)

		r := s.do("PATCH", "/v1/me", tok, map[string]string{"email": "ella@attacker.example.net", "display_name": "Ella"})
		mustStatus(t, r, http.StatusAccepted)
		if got := r.json(t); got["pending_email"] != "ella@attacker.example.net" || len(got) != 1 {
			t.Fatalf("202 body %s, want {pending_email}", r.body)
		}
		me := s.me(tok)
		if me["email"] != "ella@example.com" || me["email_verified"] != true || me["display_name"] != "Ella" {
			t.Fatalf("after the request: %v; want the old, verified address and the new display name", me)
		}
		notice := in.next("ella@example.com", "ella@attacker.example.net")
		if notice.Code() != "" {
			t.Fatalf("the notice to the old address carries a code:\n%s", notice.Text)
		}

		// The reset goes to the address in force, never to the unconfirmed one.
		mustStatus(t, s.do("POST", "/v1/auth/forgot-password", "", map[string]string{"email": "ella@attacker.example.net"}), http.StatusAccepted)
		mustStatus(t, s.do("POST", "/v1/auth/forgot-password", "", map[string]string{"email": "ella@example.com"}), http.StatusAccepted)
		in.link("ella@example.com", "/reset-password")
		code := in.code("ella@attacker.example.net")
		s.settle(in)
		if n := in.count("ella@attacker.example.net"); n != 1 {
			t.Fatalf("%d mails to the unconfirmed address, want 1 (the code)", n)
		}
		mustError(t, s.do("POST", "/v1/auth/login", "", map[string]string{"username": "ella@attacker.example.net", "password": recoveryPassword}),
			http.StatusUnauthorized, "invalid_credentials")

		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		mustError(t, s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": wrong}), http.StatusBadRequest, "invalid_request")
		if me := s.me(tok); me["email"] != "ella@example.com" {
			t.Fatalf("a wrong code changed the address: %v", me)
		}
		r = s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": code})
		mustStatus(t, r, http.StatusOK)
		if me := r.json(t); me["email"] != "ella@attacker.example.net" || me["email_verified"] != true {
			t.Fatalf("after the code: %v; want the new address, verified", me)
		}
		mustError(t, s.do("POST", "/v1/auth/verify-email", tok, map[string]string{"code": code}), http.StatusBadRequest, "invalid_request")
		mustStatus(t, s.do("POST", "/v1/auth/login", "", map[string]string{"username": "ella@attacker.example.net", "password": recoveryPassword}), http.StatusOK)
	})
}

// TestEmailChangeToATakenAddress: asking for an address another account holds answers exactly
// like asking for a free one (202, same shape), changes nothing, and the address's mail says it is
// in use (no code). An unverified address of the account can still be verified meanwhile.
func TestEmailChangeToATakenAddress(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := startWithMail(t, dbURL, nil)
		tara, _ := s.register("tara", recoveryPassword, "tara@example.com")
		taraCode := in.code("tara@example.com")
		olga, _ := s.register("olga", recoveryPassword, "olga@example.com")
		in.code("olga@example.com")

		free := s.do("PATCH", "/v1/me", tara, map[string]string{"email": "tara@free.example.com"})
		taken := s.do("PATCH", "/v1/me", tara, map[string]string{"email": "OLGA@example.com"})
		mustStatus(t, free, http.StatusAccepted)
		mustStatus(t, taken, http.StatusAccepted)
		fs, ts := free.json(t), taken.json(t)
		if !slices.Equal(slices.Sorted(maps.Keys(fs)), slices.Sorted(maps.Keys(ts))) || ts["pending_email"] != "OLGA@example.com" {
			t.Fatalf("the answers differ: %s vs %s", free.body, taken.body)
		}
		if free.header.Get("Content-Type") != taken.header.Get("Content-Type") {
			t.Fatalf("content types differ")
		}
		inUse := in.next("OLGA@example.com", "in use")
		if inUse.Code() != "" {
			t.Fatalf("the in-use mail carries a code:\n%s", inUse.Text)
		}
		if !strings.Contains(inUse.Text, "tara") && !strings.Contains(inUse.Text, "account") {
			t.Fatalf("in-use mail:\n%s", inUse.Text)
		}
		// Only the newest request counts: the free address's code is dead now.
		freeCode := in.code("tara@free.example.com")
		mustError(t, s.do("POST", "/v1/auth/verify-email", tara, map[string]string{"code": freeCode}), http.StatusBadRequest, "invalid_request")
		if me := s.me(tara); me["email"] != "tara@example.com" {
			t.Fatalf("tara's address is now %v", me["email"])
		}
		if me := s.me(olga); me["email"] != "olga@example.com" {
			t.Fatalf("olga's address is now %v", me["email"])
		}
		// The pending change does not lock the owner out of verifying the address in force.
		r := s.do("POST", "/v1/auth/verify-email", tara, map[string]string{"code": taraCode})
		mustStatus(t, r, http.StatusOK)
		if me := r.json(t); me["email"] != "tara@example.com" || me["email_verified"] != true {
			t.Fatalf("verify the address in force: %v", me)
		}
	})
}
