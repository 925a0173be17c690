package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/client"
)

// wantCode fails unless err is a *client.Error with the status and code.
func wantCode(t *testing.T, err error, status int, code string) *client.Error {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want a *client.Error %d %s", err, status, code)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("error %d %s (%q), want %d %s", e.Status, e.Code, e.Description, status, code)
	}
	if e.Description == "" || e.RequestID == "" {
		t.Fatalf("error %+v lacks a description or a request ID", e)
	}
	return e
}

func TestAccountsAndSessions(t *testing.T) {
	ctx := context.Background()
	name := uniqueName("acct")
	anon := client.New(gh.url + "/") // a trailing slash is tolerated
	reg, err := anon.Register(ctx, client.RegisterRequest{Username: name, Password: testPassword, DisplayName: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Token == "" || reg.User.Username != name || reg.User.Kind != "user" || reg.User.DisplayName != "Ada" || !reg.ExpiresAt.After(time.Now()) {
		t.Fatalf("register answered %+v", reg)
	}
	login, err := anon.Login(ctx, name, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if login.User.ID != reg.User.ID || login.Token == reg.Token {
		t.Fatalf("login answered %+v", login)
	}
	c := anon.As(login.Token)
	if c.BaseURL() != gh.url {
		t.Fatalf("BaseURL %q, want %q", c.BaseURL(), gh.url)
	}

	me, err := c.Me(ctx)
	if err != nil || me.ID != reg.User.ID || me.Owner != nil {
		t.Fatalf("Me: %+v %v", me, err)
	}
	desc := "builds things"
	upd, err := c.UpdateProfile(ctx, client.ProfileUpdate{Description: &desc})
	if err != nil || upd.Description != desc || upd.DisplayName != "Ada" {
		t.Fatalf("UpdateProfile: %+v %v", upd, err)
	}
	// The email address is a confirmed change: ChangeEmail, then VerifyEmail with the mailed code.
	newAddr := "ada." + name + "@example.com"
	if _, err := c.UpdateProfile(ctx, client.ProfileUpdate{Email: &newAddr}); err == nil {
		t.Fatal("UpdateProfile sent an email change")
	}
	pending, err := c.ChangeEmail(ctx, newAddr)
	if err != nil || pending.PendingEmail != newAddr {
		t.Fatalf("ChangeEmail: %+v %v", pending, err)
	}
	if me, err := c.Me(ctx); err != nil || me.Email == newAddr {
		t.Fatalf("Me after ChangeEmail: %+v %v; want the address unchanged", me, err)
	}
	_, err = c.VerifyEmail(ctx, "12345x")
	wantCode(t, err, 400, client.CodeInvalidRequest)

	sessions, err := c.ListSessions(ctx)
	if err != nil || len(sessions) != 2 {
		t.Fatalf("ListSessions: %+v %v, want 2 sessions", sessions, err)
	}
	var other string
	for _, s := range sessions {
		if !s.Current {
			other = s.ID
		}
	}
	if other == "" {
		t.Fatalf("no other session than the current one in %+v", sessions)
	}
	if err := c.RevokeSession(ctx, other); err != nil {
		t.Fatal(err)
	}
	_, err = anon.As(reg.Token).Me(ctx)
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidToken)

	orgs, err := c.ListMyOrgs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 1 || orgs[0].Role != client.RoleMember {
		t.Fatalf("ListMyOrgs %+v, want the default organization as member", orgs)
	}

	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(ctx)
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidToken)
}

func TestPersonalAccessTokens(t *testing.T) {
	ctx := context.Background()
	c, s := signedIn(t, "pat")
	nt, err := c.CreateToken(ctx, client.CreateTokenRequest{Name: "ci", ExpiresIn: client.Expires30Days, Scopes: []string{"calls:read"}})
	if err != nil {
		t.Fatal(err)
	}
	if nt.Token == "" || nt.Prefix == "" || !strings.HasPrefix(nt.Token, strings.SplitN(nt.Prefix, "…", 2)[0]) || nt.ExpiresAt == nil || !slices.Equal(nt.Scopes, []string{"calls:read"}) {
		t.Fatalf("CreateToken answered %+v", nt)
	}
	never, err := c.CreateToken(ctx, client.CreateTokenRequest{Name: "forever", ExpiresIn: client.ExpiresNever})
	if err != nil || never.ExpiresAt != nil {
		t.Fatalf("CreateToken never: %+v %v", never, err)
	}

	list, err := c.ListTokens(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListTokens: %+v %v", list, err)
	}
	ids := []string{list[0].ID, list[1].ID}
	if !slices.Contains(ids, nt.ID) || !slices.Contains(ids, never.ID) {
		t.Fatalf("ListTokens %v lacks %s or %s", ids, nt.ID, never.ID)
	}

	// The PAT works as a bearer credential, and /v1/verify describes it.
	patClient := c.As(nt.Token)
	if me, err := patClient.Me(ctx); err != nil || me.ID != s.User.ID {
		t.Fatalf("Me with the PAT: %+v %v", me, err)
	}
	v, err := gh.verifier.Verify(ctx, client.VerifyRequest{Token: nt.Token, Scopes: []string{"calls:read"}, IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || v.Kind != "pat" || v.Principal.ID != s.User.ID || v.Unrestricted || !slices.Equal(v.Scopes, []string{"calls:read"}) {
		t.Fatalf("Verify answered %+v", v)
	}
	v, err = gh.verifier.Verify(ctx, client.VerifyRequest{Token: never.Token})
	if err != nil || !v.Valid || !v.Unrestricted || v.ExpiresAt != nil {
		t.Fatalf("Verify of an unscoped, unexpiring PAT: %+v %v", v, err)
	}

	if err := c.RevokeToken(ctx, nt.ID); err != nil {
		t.Fatal(err)
	}
	_, err = patClient.Me(ctx)
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidToken)
	v, err = gh.verifier.Verify(ctx, client.VerifyRequest{Token: nt.Token})
	if err != nil || v.Valid || v.Code != client.CodeInvalidToken {
		t.Fatalf("Verify of a revoked PAT: %+v %v", v, err)
	}
}

func TestAgents(t *testing.T) {
	ctx := context.Background()
	owner, os := signedIn(t, "owner")
	_, heir := signedIn(t, "heir")
	created, err := owner.CreateAgent(ctx, client.CreateAgentRequest{Name: "Deploy bot", Role: "deployer"})
	if err != nil {
		t.Fatal(err)
	}
	a := created.Agent
	if created.AgentToken == "" || a.Verified || a.OwnerID != os.User.ID || a.Role != "deployer" {
		t.Fatalf("CreateAgent answered %+v", created)
	}
	_, err = client.New(gh.url).AgentSignIn(ctx, created.AgentToken)
	wantCode(t, err, http.StatusForbidden, client.CodeAgentNotVerified)

	if v, err := owner.VerifyAgent(ctx, a.ID); err != nil || !v.Verified {
		t.Fatalf("VerifyAgent: %+v %v", v, err)
	}
	sess, err := client.New(gh.url).AgentSignIn(ctx, created.AgentToken)
	if err != nil {
		t.Fatal(err)
	}
	me, err := client.New(gh.url, client.WithToken(sess.Token)).Me(ctx)
	if err != nil || me.Kind != "agent" || me.Owner == nil || me.Owner.ID != os.User.ID {
		t.Fatalf("Me as the agent: %+v %v", me, err)
	}

	list, err := owner.ListAgents(ctx)
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("ListAgents: %+v %v", list, err)
	}
	if got, err := owner.GetAgent(ctx, a.ID); err != nil || got.Name != "Deploy bot" {
		t.Fatalf("GetAgent: %+v %v", got, err)
	}

	rotated, err := owner.RotateAgent(ctx, a.ID)
	if err != nil || rotated.AgentToken == "" || rotated.AgentToken == created.AgentToken {
		t.Fatalf("RotateAgent: %+v %v", rotated, err)
	}
	_, err = client.New(gh.url).AgentSignIn(ctx, created.AgentToken)
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidToken)
	_, err = client.New(gh.url, client.WithToken(sess.Token)).Me(ctx)
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidToken)

	org, err := owner.CreateOrg(ctx, uniqueName("Bots"))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := owner.AddAgentToOrg(ctx, org.ID, a.ID, ""); err != nil || m.Kind != "agent" {
		t.Fatalf("AddAgentToOrg: %+v %v", m, err)
	}

	moved, err := owner.TransferAgent(ctx, a.ID, heir.User.Username)
	if err != nil || moved.OwnerID != heir.User.ID || moved.Verified {
		t.Fatalf("TransferAgent: %+v %v", moved, err)
	}
	_, err = owner.GetAgent(ctx, a.ID)
	wantCode(t, err, http.StatusNotFound, client.CodeNotFound)

	other, err := owner.CreateAgent(ctx, client.CreateAgentRequest{Name: "Short-lived"})
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.DeleteAgent(ctx, other.Agent.ID); err != nil {
		t.Fatal(err)
	}
	_, err = owner.GetAgent(ctx, other.Agent.ID)
	wantCode(t, err, http.StatusNotFound, client.CodeNotFound)
}

func TestOrgsAndAPIKeys(t *testing.T) {
	ctx := context.Background()
	owner, _ := signedIn(t, "boss")
	member, ms := signedIn(t, "staff")
	orgName := uniqueName("Acme")
	org, err := owner.CreateOrg(ctx, orgName)
	if err != nil || org.Role != client.RoleOwner || org.Name != orgName {
		t.Fatalf("CreateOrg: %+v %v", org, err)
	}
	if got, err := owner.GetOrg(ctx, org.ID); err != nil || got.ID != org.ID {
		t.Fatalf("GetOrg: %+v %v", got, err)
	}
	if m, err := owner.AddMember(ctx, org.ID, client.AddMemberRequest{Username: ms.User.Username, Role: client.RoleAdmin}); err != nil || m.Role != client.RoleAdmin {
		t.Fatalf("AddMember: %+v %v", m, err)
	}
	if m, err := owner.SetMemberRole(ctx, org.ID, ms.User.ID, client.RoleMember); err != nil || m.Role != client.RoleMember {
		t.Fatalf("SetMemberRole: %+v %v", m, err)
	}
	members, err := owner.ListMembers(ctx, org.ID)
	if err != nil || len(members) != 2 {
		t.Fatalf("ListMembers: %+v %v", members, err)
	}
	_, err = member.CreateAPIKey(ctx, org.ID, client.CreateAPIKeyRequest{Name: "x", Scopes: []string{"calls:read"}, Environment: client.EnvironmentTest})
	wantCode(t, err, http.StatusForbidden, client.CodeInsufficientPerms)

	exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	key, err := owner.CreateAPIKey(ctx, org.ID, client.CreateAPIKeyRequest{
		Name: "backend", Scopes: []string{"calls:read", "*:write"}, Environment: client.EnvironmentTest,
		AllowedCIDRs: []string{"192.0.2.0/24", "2001:db8::/32"}, ExpiresAt: &exp, RateLimit: "100/m",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(key.Key, "_sk_test_") || key.Environment != "test" || len(key.AllowedCIDRs) != 2 ||
		key.RateLimit == nil || *key.RateLimit != "100/m" || key.ExpiresAt == nil || !key.ExpiresAt.Equal(exp) {
		t.Fatalf("CreateAPIKey answered %+v", key)
	}
	keys, err := owner.ListAPIKeys(ctx, org.ID)
	if err != nil || len(keys) != 1 || keys[0].ID != key.ID {
		t.Fatalf("ListAPIKeys: %+v %v", keys, err)
	}

	v, err := gh.verifier.Verify(ctx, client.VerifyRequest{Token: key.Key, Scopes: []string{"calls:write"}, IP: "192.0.2.9"})
	if err != nil || !v.Valid || v.Kind != "api_key" || v.Org != org.ID || v.Environment != "test" || v.Principal.KeyID != key.ID {
		t.Fatalf("Verify of the key: %+v %v", v, err)
	}
	v, err = gh.verifier.Verify(ctx, client.VerifyRequest{Token: key.Key, IP: "198.51.100.1"})
	if err != nil || v.Valid || v.Code != client.CodeIPNotAllowed {
		t.Fatalf("Verify from outside the CIDRs: %+v %v", v, err)
	}

	rot, err := owner.RotateAPIKey(ctx, org.ID, key.ID, "1h")
	if err != nil || rot.Key == "" || rot.Replaces != key.ID || !rot.ReplacesExpiresAt.After(time.Now()) {
		t.Fatalf("RotateAPIKey: %+v %v", rot, err)
	}
	for _, k := range []string{key.Key, rot.Key} {
		if v, err := gh.verifier.Verify(ctx, client.VerifyRequest{Token: k, IP: "192.0.2.9"}); err != nil || !v.Valid {
			t.Fatalf("during the overlap a key fails: %+v %v", v, err)
		}
	}
	if err := owner.RevokeAPIKey(ctx, org.ID, rot.ID); err != nil {
		t.Fatal(err)
	}
	v, err = gh.verifier.Verify(ctx, client.VerifyRequest{Token: rot.Key, IP: "192.0.2.9"})
	if err != nil || v.Valid || v.Code != client.CodeInvalidAPIKey {
		t.Fatalf("Verify of a revoked key: %+v %v", v, err)
	}

	if err := owner.RemoveMember(ctx, org.ID, ms.User.ID); err != nil {
		t.Fatal(err)
	}
	_, err = member.GetOrg(ctx, org.ID)
	if !client.IsCode(err, client.CodeNotFound) && !client.IsCode(err, client.CodeInsufficientPerms) {
		t.Fatalf("a removed member still reads the organization: %v", err)
	}
}

// TestErrorMapping checks that each kind of refusal becomes a *client.Error with the API's
// status, code, description, request ID and Retry-After.
func TestErrorMapping(t *testing.T) {
	ctx := context.Background()
	user, us := signedIn(t, "errs")
	limitedKey, err := gh.admin.CreateAPIKey(ctx, gh.orgID, client.CreateAPIKeyRequest{
		Name: "slow verifier", Scopes: []string{"gatehouse:verify"}, Environment: client.EnvironmentLive, RateLimit: "1/m",
	})
	if err != nil {
		t.Fatal(err)
	}
	slow := client.New(gh.url, client.WithToken(limitedKey.Key))
	if _, err := slow.Verify(ctx, client.VerifyRequest{Token: "x"}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"401 bad token", func() error { _, err := client.New(gh.url, client.WithToken("not-a-token")).Me(ctx); return err }, 401, client.CodeInvalidToken},
		{"401 bad password", func() error { _, err := client.New(gh.url).Login(ctx, us.User.Username, "wrong password!"); return err }, 401, client.CodeInvalidCredentials},
		{"403 verify as a plain user", func() error { _, err := user.Verify(ctx, client.VerifyRequest{Token: "x"}); return err }, 403, client.CodeInsufficientPerms},
		{"404 unknown agent", func() error { _, err := user.GetAgent(ctx, "agt_nope"); return err }, 404, client.CodeNotFound},
		{"409 username taken", func() error {
			_, err := client.New(gh.url).Register(ctx, client.RegisterRequest{Username: us.User.Username, Password: testPassword})
			return err
		}, 409, client.CodeUsernameTaken},
		{"400 bad expiry", func() error {
			_, err := user.CreateToken(ctx, client.CreateTokenRequest{Name: "x", ExpiresIn: "2w"})
			return err
		}, 400, client.CodeInvalidRequest},
		{"429 rate-limited key", func() error { _, err := slow.Verify(ctx, client.VerifyRequest{Token: "x"}); return err }, 429, client.CodeRateLimited},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			e := wantCode(t, err, c.status, c.code)
			if !errors.Is(err, &client.Error{Code: c.code}) || !client.IsCode(err, c.code) || client.ErrorCode(err) != c.code {
				t.Fatalf("errors.Is / IsCode / ErrorCode do not match %s", c.code)
			}
			if errors.Is(err, &client.Error{Code: c.code, Status: 599}) {
				t.Fatal("errors.Is matched a different status")
			}
			if c.status == 429 && e.RetryAfter <= 0 {
				t.Fatalf("429 without RetryAfter: %+v", e)
			}
			if !strings.Contains(e.Error(), c.code) || !strings.Contains(e.Error(), e.Description) {
				t.Fatalf("Error() = %q lacks the code or description", e.Error())
			}
		})
	}

	t.Run("409 token limit", func(t *testing.T) {
		c, _ := signedIn(t, "limit")
		for i := range 10 {
			if _, err := c.CreateToken(ctx, client.CreateTokenRequest{Name: "t", ExpiresIn: client.Expires30Days}); err != nil {
				t.Fatalf("token %d: %v", i+1, err)
			}
		}
		_, err := c.CreateToken(ctx, client.CreateTokenRequest{Name: "eleventh", ExpiresIn: client.Expires30Days})
		wantCode(t, err, http.StatusConflict, client.CodeTokenLimitReached)
	})
}

// TestUnreachable checks that a server nobody answers on is a transport error, not a *Error,
// and that the message carries no credential.
func TestUnreachable(t *testing.T) {
	url := deadURL(t)
	_, err := client.New(url, client.WithToken("secret-token-value")).Me(context.Background())
	if err == nil {
		t.Fatal("no error from a dead server")
	}
	var e *client.Error
	if errors.As(err, &e) || client.ErrorCode(err) != "" {
		t.Fatalf("a transport failure became a *client.Error: %v", err)
	}
	if strings.Contains(err.Error(), "secret-token-value") {
		t.Fatalf("the error leaks the credential: %v", err)
	}
}

// TestOptions checks the user agent and HTTP client options reach the wire.
func TestOptions(t *testing.T) {
	var gotUA string
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		gotUA = r.Header.Get("User-Agent")
		return http.DefaultTransport.RoundTrip(r)
	})
	c := client.New(gh.url, client.WithUserAgent("my-app/1.0"), client.WithHTTPClient(&http.Client{Transport: rt}))
	if _, err := c.Login(context.Background(), "nobody-here", "whatever pw"); !client.IsCode(err, client.CodeInvalidCredentials) {
		t.Fatalf("login: %v", err)
	}
	if gotUA != "my-app/1.0" {
		t.Fatalf("User-Agent %q, want my-app/1.0", gotUA)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// deadURL is the URL of a local port nothing listens on.
func deadURL(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}
