package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/config"
)

// Claiming an address (API.md "Claiming an address"): someone registers with another person's
// address, which stays unverified, and arms the account with every credential there is. When the
// owner of the address proves it (a password reset or a magic link), everything made before the
// proof stops working and the account's audit trail says what was revoked.

// claimServer starts a server that mails (to the in-process SMTP server) and whose public URL is
// the passkey tests' origin, so that one test can hold passkeys and follow mailed links.
func claimServer(t *testing.T, dbURL string) (*server, *inbox) {
	t.Helper()
	return startWithMail(t, dbURL, func(c *config.Config) {
		u, err := url.Parse(passkeyTestOrigin)
		if err != nil {
			t.Fatal(err)
		}
		c.PublicURL = u
	})
}

// mailedToken waits for the next mail to addr linking to page and returns the link's token.
func mailedToken(t *testing.T, in *inbox, addr, page string) string {
	t.Helper()
	link := in.next(addr, page+"?token=").Link()
	u, err := url.Parse(link)
	if err != nil || u.Path != page || u.Query().Get("token") == "" {
		t.Fatalf("no %s link in the mail: %q", page, link)
	}
	return u.Query().Get("token")
}

// jwtChecks are the places a JWT access token is accepted: each says whether tok was accepted.
func jwtChecks(t *testing.T, s *server, verifier, introspectID, introspectSecret string) map[string]func(tok string) bool {
	return map[string]func(tok string) bool{
		"GET /v1/me":       func(tok string) bool { return s.do("GET", "/v1/me", tok, nil).status == http.StatusOK },
		"/oauth2/userinfo": func(tok string) bool { return s.do("GET", "/oauth2/userinfo", tok, nil).status == http.StatusOK },
		"/oauth2/introspect": func(tok string) bool {
			r := formWith(t, s, "/oauth2/introspect", url.Values{"token": {tok}}, introspectID, introspectSecret, "")
			mustStatus(t, r, http.StatusOK)
			return r.json(t)["active"] == true
		},
		"/v1/verify": func(tok string) bool {
			r := s.verifyRaw(verifier, map[string]any{"token": tok})
			mustStatus(t, r, http.StatusOK)
			return r.json(t)["valid"] == true
		},
	}
}

// jwtFixture is what the JWT checks need: an administrator (verifier) and a client that
// introspects.
type jwtFixture struct {
	root, clientID, secret string
}

func newJWTFixture(t *testing.T, s *server) jwtFixture {
	t.Helper()
	root, rootID := s.register("root", goodPassword, "")
	s.patPromote(rootID)
	orgID := s.createOrg(root, "resource-servers")
	rs := s.createOAuthClient(root, orgID, map[string]any{
		"name": "API gateway", "grant_types": []string{"client_credentials"}, "scopes": []string{"calls:read", "gatehouse:introspect"},
	})
	return jwtFixture{root: root, clientID: rs["client_id"].(string), secret: rs["client_secret"].(string)}
}

// mustAccept and mustRefuse check a JWT at every place that takes one.
func (f jwtFixture) mustAccept(t *testing.T, s *server, what, tok string) {
	t.Helper()
	for place, ok := range jwtChecks(t, s, f.root, f.clientID, f.secret) {
		if !ok(tok) {
			t.Errorf("%s: refused at %s", what, place)
		}
	}
}

func (f jwtFixture) mustRefuse(t *testing.T, s *server, what, tok string) {
	t.Helper()
	for place, ok := range jwtChecks(t, s, f.root, f.clientID, f.secret) {
		if ok(tok) {
			t.Errorf("%s: still accepted at %s", what, place)
		}
	}
}

// claimEvent returns the details of the account's one account.claimed event, read through the
// API with the claimant's session.
func claimEvent(t *testing.T, s *server, session string) map[string]any {
	t.Helper()
	r := s.do("GET", "/v1/me/audit-events?type=account.claimed", session, nil)
	mustStatus(t, r, http.StatusOK)
	var found []map[string]any
	for _, e := range r.json(t)["data"].([]any) {
		ev := e.(map[string]any)
		if ev["type"] == "account.claimed" {
			found = append(found, ev)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d account.claimed events, want 1: %s", len(found), r.body)
	}
	d, _ := found[0]["details"].(map[string]any)
	if d == nil {
		t.Fatalf("account.claimed has no details: %v", found[0])
	}
	return d
}

func TestClaimingAnAddressRevokesWhatCameBefore(t *testing.T) {
	const victim = "victim@example.com"
	cases := []struct {
		name  string
		claim func(t *testing.T, s *server, in *inbox) (session string)
	}{
		{"password reset", func(t *testing.T, s *server, in *inbox) string {
			mustStatus(t, s.do("POST", "/v1/auth/forgot-password", "", map[string]string{"email": victim}), http.StatusAccepted)
			tok := mailedToken(t, in, victim, "/reset-password")
			mustStatus(t, s.do("POST", "/v1/auth/reset-password", "", map[string]string{"token": tok, "new_password": "the victim's own passphrase"}), http.StatusOK)
			r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": victim, "password": "the victim's own passphrase"})
			mustStatus(t, r, http.StatusOK)
			return r.json(t)["token"].(string)
		}},
		{"magic link", func(t *testing.T, s *server, in *inbox) string {
			mustStatus(t, s.do("POST", "/v1/auth/magic-link", "", map[string]string{"email": victim}), http.StatusAccepted)
			tok := mailedToken(t, in, victim, "/magic-link")
			r := s.do("POST", "/v1/auth/magic-link/verify", "", map[string]string{"token": tok})
			mustStatus(t, r, http.StatusOK)
			return r.json(t)["token"].(string)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, dbURL string) {
				s, in := claimServer(t, dbURL)
				f := newJWTFixture(t, s)

				// The attacker registers with the victim's address (never verified) and arms
				// the account: sessions, a PAT, a verified agent with a session, a passkey
				// and OAuth tokens of the CLI (access and refresh).
				attacker, _ := s.register("squatter", goodPassword, victim)
				in.code(victim) // the sign-up's code goes to the victim, who ignores it
				r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "squatter", "password": goodPassword})
				mustStatus(t, r, http.StatusOK)
				attacker2 := r.json(t)["token"].(string)
				pat := s.patCreate(attacker, map[string]any{"name": "backdoor", "expires_in": "never"})["token"].(string)
				agentID, agentToken := s.makeAgent(attacker, "sleeper")
				mustStatus(t, s.do("POST", "/v1/agents/"+agentID+"/verify", attacker, nil), http.StatusOK)
				agentSession := s.agentMustExchange(agentToken)
				pk, _ := registerPasskey(t, s, attacker, "attacker's key")
				toks := s.deviceTokens(t, attacker, "openid profile offline_access")
				access, refresh := toks["access_token"].(string), toks["refresh_token"].(string)

				for _, tok := range []string{attacker, attacker2, pat, agentSession} {
					mustStatus(t, s.do("GET", "/v1/me", tok, nil), http.StatusOK)
				}
				f.mustAccept(t, s, "the attacker's access token before the claim", access)
				mustStatus(t, passkeyLogin(t, s, pk, "squatter", 1), http.StatusOK)

				claimant := tc.claim(t, s, in)

				for name, tok := range map[string]string{"session": attacker, "second session": attacker2, "PAT": pat, "agent session": agentSession} {
					if r := s.do("GET", "/v1/me", tok, nil); r.status != http.StatusUnauthorized {
						t.Errorf("the attacker's %s still works after the claim: %d %s", name, r.status, r.body)
					}
				}
				f.mustRefuse(t, s, "the attacker's access token after the claim", access)
				rr := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {"gatehouse-cli"}}, "", "", "")
				if rr.status != http.StatusBadRequest || rr.errorCode(t) != "invalid_grant" {
					t.Errorf("the attacker's refresh token after the claim: %d %s", rr.status, rr.body)
				}
				if r := s.agentExchange(agentToken); r.status != http.StatusUnauthorized {
					t.Errorf("the attacker's agent token still exchanges after the claim: %d %s", r.status, r.body)
				}
				if r := passkeyLogin(t, s, pk, "squatter", 2); r.status == http.StatusOK {
					t.Errorf("the attacker's passkey still signs in after the claim: %s", r.body)
				}

				// The claimant holds the account: verified address, no passkey, the agent unverified.
				me := s.me(claimant)
				if me["email_verified"] != true {
					t.Errorf("the claimed address is not verified: %v", me)
				}
				if n := len(passkeyList(t, s, claimant)); n != 0 {
					t.Errorf("%d passkeys left after the claim", n)
				}
				ag := s.do("GET", "/v1/agents/"+agentID, claimant, nil)
				mustStatus(t, ag, http.StatusOK)
				if v := ag.json(t); v["verified"] == true || v["verified_at"] != nil {
					t.Errorf("the agent is still verified after the claim: %s", ag.body)
				}
				if r := s.do("GET", "/v1/auth/tokens", claimant, nil); strings.Contains(string(r.body), `"id":"pat_`) {
					t.Errorf("the attacker's PAT is still listed: %s", r.body)
				}

				d := claimEvent(t, s, claimant)
				// Sessions: the sign-up's, the login's and the passkey sign-in's.
				want := map[string]float64{"sessions": 3, "pats": 1, "refresh_families": 1, "agents": 1, "passkeys": 1, "identities": 0, "consents": 0}
				for k, v := range want {
					if d[k] != v {
						t.Errorf("account.claimed %s = %v, want %v (details %v)", k, d[k], v, d)
					}
				}
				if d["access_tokens"] != true {
					t.Errorf("account.claimed does not say outstanding access tokens were revoked: %v", d)
				}

				// The claimant's own new credentials work.
				mustStatus(t, s.do("GET", "/v1/me", claimant, nil), http.StatusOK)
				fresh := s.deviceTokens(t, claimant, "openid profile")
				f.mustAccept(t, s, "an access token issued after the claim", fresh["access_token"].(string))
			})
		})
	}
}

// A code mailed to the address proves it too: the caller's session stays, every other credential
// made before the proof goes.
func TestClaimingByEmailCodeKeepsTheCallersSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := claimServer(t, dbURL)
		f := newJWTFixture(t, s)
		const addr = "coder@example.com"
		first, _ := s.register("coder", goodPassword, addr)
		code := in.code(addr)
		r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": "coder", "password": goodPassword})
		mustStatus(t, r, http.StatusOK)
		other := r.json(t)["token"].(string)
		pat := s.patCreate(other, map[string]any{"name": "early", "expires_in": "30d"})["token"].(string)
		access := s.deviceTokens(t, other, "openid profile")["access_token"].(string)

		mustStatus(t, s.do("POST", "/v1/auth/verify-email", first, map[string]string{"code": code}), http.StatusOK)

		mustStatus(t, s.do("GET", "/v1/me", first, nil), http.StatusOK)
		for name, tok := range map[string]string{"other session": other, "PAT": pat} {
			if r := s.do("GET", "/v1/me", tok, nil); r.status != http.StatusUnauthorized {
				t.Errorf("the %s made before the proof still works: %d", name, r.status)
			}
		}
		f.mustRefuse(t, s, "an access token made before the proof", access)
		d := claimEvent(t, s, first)
		if d["sessions"] != float64(1) || d["pats"] != float64(1) {
			t.Errorf("account.claimed details %v, want 1 session and 1 PAT", d)
		}
		// A verified account proves nothing new: a later code claims nothing.
		if me := s.me(first); me["email_verified"] != true {
			t.Fatalf("not verified: %v", me)
		}
	})
}

// A password reset of an account whose address is verified is no claim: sessions, refresh
// families and outstanding access tokens end, PATs stay (docs/security.md).
func TestPasswordResetOfVerifiedAccountKeepsPATs(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s, in := claimServer(t, dbURL)
		f := newJWTFixture(t, s)
		const addr = "vera@example.com"
		ses, _ := s.register("vera", goodPassword, addr)
		mustStatus(t, s.do("POST", "/v1/auth/verify-email", ses, map[string]string{"code": in.code(addr)}), http.StatusOK)
		pat := s.patCreate(ses, map[string]any{"name": "ci", "expires_in": "30d"})["token"].(string)
		toks := s.deviceTokens(t, ses, "openid profile offline_access")

		mustStatus(t, s.do("POST", "/v1/auth/forgot-password", "", map[string]string{"email": addr}), http.StatusAccepted)
		tok := mailedToken(t, in, addr, "/reset-password")
		mustStatus(t, s.do("POST", "/v1/auth/reset-password", "", map[string]string{"token": tok, "new_password": "vera's next passphrase"}), http.StatusOK)

		mustError(t, s.do("GET", "/v1/me", ses, nil), http.StatusUnauthorized, "invalid_token")
		mustStatus(t, s.do("GET", "/v1/me", pat, nil), http.StatusOK)
		f.mustRefuse(t, s, "an access token after the reset", toks["access_token"].(string))
		rr := formWith(t, s, "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {toks["refresh_token"].(string)}, "client_id": {"gatehouse-cli"}}, "", "", "")
		if rr.status != http.StatusBadRequest {
			t.Errorf("the refresh token after the reset: %d %s", rr.status, rr.body)
		}
		// The one claim is the code's, which verified the address (and found nothing to revoke).
		if d := claimEvent(t, s, pat); d["method"] != "email_code" {
			t.Errorf("a reset of a verified account recorded a claim: %v", d)
		}
	})
}

// Outstanding access tokens die with a password change, an operator's revoke-sessions and the
// account's deletion; a token issued afterwards (even within the same second) works.
func TestAccessTokensDieWithCredentialChanges(t *testing.T) {
	cases := []struct {
		name string
		// change acts on the account of session (username u) and returns a session for the
		// account afterwards ("" when there is no account any more).
		change func(t *testing.T, s *server, session, u string) string
	}{
		{"password change", func(t *testing.T, s *server, session, u string) string {
			r := s.do("POST", "/v1/me/change-password", session, map[string]string{"current_password": goodPassword, "new_password": "a changed passphrase"})
			mustStatus(t, r, http.StatusOK)
			return r.json(t)["token"].(string)
		}},
		{"admin revoke-sessions", func(t *testing.T, s *server, session, u string) string {
			if _, err := s.m.Auth.Admin.RevokeSessions(context.Background(), u); err != nil {
				t.Fatal(err)
			}
			r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": u, "password": goodPassword})
			mustStatus(t, r, http.StatusOK)
			return r.json(t)["token"].(string)
		}},
		{"admin password reset", func(t *testing.T, s *server, session, u string) string {
			if err := s.m.Auth.Admin.ResetPassword(context.Background(), u, "the operator's passphrase"); err != nil {
				t.Fatal(err)
			}
			r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": u, "password": "the operator's passphrase"})
			mustStatus(t, r, http.StatusOK)
			return r.json(t)["token"].(string)
		}},
		{"deletion", func(t *testing.T, s *server, session, u string) string {
			mustStatus(t, s.do("DELETE", "/v1/me", session, map[string]string{"password": goodPassword}), http.StatusNoContent)
			return ""
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, dbURL string) {
				s := start(t, dbURL, nil)
				f := newJWTFixture(t, s)
				ses, _ := s.register("jay", goodPassword, "")
				access := s.deviceTokens(t, ses, "openid profile")["access_token"].(string)
				f.mustAccept(t, s, "the access token before the change", access)

				after := tc.change(t, s, ses, "jay")
				f.mustRefuse(t, s, "the access token after the "+tc.name, access)
				if after == "" {
					return
				}
				// At once (the same second as the change): a new token works.
				fresh := s.deviceTokens(t, after, "openid profile")["access_token"].(string)
				f.mustAccept(t, s, "an access token issued right after the "+tc.name, fresh)
			})
		})
	}
}

// The credentials change is seen by every instance: the second instance cached the user when it
// accepted the token, and refuses it once the first instance has revoked, within the window the
// design gives (crossInstanceWindow: none on SQLite, one notification's delivery on PostgreSQL,
// allowed 2 s); the revoking instance refuses it at once.
func TestAccessTokenRevocationSeenByASecondInstance(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		a := start(t, dbURL, nil)
		b := start(t, dbURL, nil)
		f := newJWTFixture(t, a)
		ses, _ := a.register("twin", goodPassword, "")
		access := a.deviceTokens(t, ses, "openid profile")["access_token"].(string)
		f.mustAccept(t, b, "the token on the second instance", access)
		if _, err := a.m.Auth.Admin.RevokeSessions(context.Background(), "twin"); err != nil {
			t.Fatal(err)
		}
		seenWithin(t, dbURL, "the second instance refuses the token after revoke-sessions", func() bool {
			for _, ok := range jwtChecks(t, b, f.root, f.clientID, f.secret) {
				if ok(access) {
					return false
				}
			}
			return true
		})
		f.mustRefuse(t, a, "the token on the revoking instance", access)
	})
}

// A grant made before the change yields no token after it: a device flow approved before a
// password change is refused when polled afterwards (else a thief's pending approval would mint
// fresh tokens past the change).
func TestDeviceApprovalBeforeAPasswordChangeYieldsNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		ses, _ := s.register("dora", goodPassword, "")
		startResp := formWith(t, s, "/oauth2/device_authorization", url.Values{"client_id": {"gatehouse-cli"}, "scope": {"openid profile"}}, "", "", "")
		mustStatus(t, startResp, http.StatusOK)
		d := startResp.json(t)
		mustStatus(t, s.do("POST", "/v1/device/approve", ses, map[string]any{"user_code": d["user_code"]}), http.StatusOK)

		mustStatus(t, s.do("POST", "/v1/me/change-password", ses, map[string]string{"current_password": goodPassword, "new_password": "a changed passphrase"}), http.StatusOK)

		poll := formWith(t, s, "/oauth2/token", url.Values{
			"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {d["device_code"].(string)},
			"client_id": {"gatehouse-cli"},
		}, "", "", "")
		if poll.status == http.StatusOK {
			t.Fatalf("a device approval made before the password change yielded tokens: %s", poll.body)
		}
		if code := poll.errorCode(t); code != "access_denied" {
			t.Errorf("poll after the change: %d %s, want access_denied", poll.status, poll.body)
		}
	})
}
