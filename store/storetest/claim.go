package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Tests of CredentialChangeStore: SetCredentialsChangedAt and ClaimAccount.

func claimTests() []test {
	return []test{
		{"CredentialsChangedAt", testSetCredentialsChangedAt},
		{"ClaimAccount", testClaimAccount},
		{"ClaimAccountRefused", testClaimAccountRefused},
	}
}

func testSetCredentialsChangedAt(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "changer")
	sess := mustCreateSession(t, s, u.ID, base, time.Hour)
	pat := mustCreatePAT(t, s, newPAT(u.ID, base))
	read := map[string]func() (*gatehouse.User, error){
		"UserByID": func() (*gatehouse.User, error) { return s.UserByID(ctx, u.ID) },
		"UserByUsername": func() (*gatehouse.User, error) {
			return s.UserByUsername(ctx, u.Username)
		},
		"SessionByTokenHash": func() (*gatehouse.User, error) {
			_, x, err := s.SessionByTokenHash(ctx, sess.TokenHash)
			return x, err
		},
		"PATByTokenHash": func() (*gatehouse.User, error) {
			_, x, err := s.PATByTokenHash(ctx, pat.TokenHash)
			return x, err
		},
	}
	expect := func(step string, want time.Time) {
		t.Helper()
		for name, r := range read {
			got, err := r()
			if err != nil {
				t.Fatalf("%s: %s: %v", step, name, err)
			}
			if !got.CredentialsChangedAt.Equal(want) || (!want.IsZero() && got.CredentialsChangedAt.Location() != time.UTC) {
				t.Errorf("%s: %s CredentialsChangedAt = %s, want %s", step, name, stamp(got.CredentialsChangedAt), stamp(want))
			}
		}
	}
	expect("new user", time.Time{})
	if err := s.SetCredentialsChangedAt(ctx, u.ID, at(time.Minute)); err != nil {
		t.Fatalf("SetCredentialsChangedAt: %v", err)
	}
	// Whole seconds, rounded up (base has milliseconds).
	first := gatehouse.CeilSecond(at(time.Minute))
	if first.Equal(at(time.Minute)) {
		t.Fatal("base has no fraction of a second: this test proves nothing")
	}
	expect("set", first)
	// A second change within the same second (or with an earlier time) still moves it: by a
	// second past the stored value, so that tokens issued between the two changes end too.
	if err := s.SetCredentialsChangedAt(ctx, u.ID, at(time.Minute+time.Millisecond)); err != nil {
		t.Fatalf("SetCredentialsChangedAt again: %v", err)
	}
	expect("a second change in the same second", first.Add(time.Second))
	if err := s.SetCredentialsChangedAt(ctx, u.ID, at(time.Second)); err != nil {
		t.Fatalf("SetCredentialsChangedAt earlier: %v", err)
	}
	expect("an earlier time", first.Add(2*time.Second))
	if err := s.SetCredentialsChangedAt(ctx, u.ID, at(time.Hour)); err != nil {
		t.Fatalf("SetCredentialsChangedAt later: %v", err)
	}
	expect("a later time", gatehouse.CeilSecond(at(time.Hour)))
	if err := s.SetCredentialsChangedAt(ctx, "usr_nobody", at(time.Hour)); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("SetCredentialsChangedAt of an unknown user: %v, want ErrNotFound", err)
	}
}

// claimFootprint is every credential of one account a claim must revoke.
type claimFootprint struct {
	user                 *gatehouse.User
	keep, other, expired *gatehouse.Session
	pat, revokedPAT      *gatehouse.PersonalAccessToken
	refresh              *gatehouse.RefreshToken
	agent                *gatehouse.Agent
	agentSession         *gatehouse.Session
	passkey              *gatehouse.Passkey
	identity             *gatehouse.Identity
}

func mustCreateClaimFootprint(t *testing.T, s gatehouse.Store, name string) claimFootprint {
	t.Helper()
	ctx := t.Context()
	u := newUser(name, base)
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	f := claimFootprint{user: u}
	f.keep = mustCreateSession(t, s, u.ID, base, 24*time.Hour)
	f.other = mustCreateSession(t, s, u.ID, base, 24*time.Hour)
	f.expired = mustCreateSession(t, s, u.ID, base.Add(-2*time.Hour), time.Hour)
	f.pat = mustCreatePAT(t, s, newPAT(u.ID, base))
	f.revokedPAT = mustCreatePAT(t, s, newPAT(u.ID, base))
	if err := s.RevokePAT(ctx, u.ID, f.revokedPAT.ID, base, "revoked"); err != nil {
		t.Fatalf("RevokePAT: %v", err)
	}
	fam := &gatehouse.RefreshFamily{ClientID: gatehouse.BuiltInCLIClientID, UserID: u.ID, Scopes: []string{"openid"},
		AuthTime: base, CreatedAt: base}
	f.refresh = newRefresh(base, time.Hour)
	if err := s.CreateRefreshFamily(ctx, fam, f.refresh); err != nil {
		t.Fatalf("CreateRefreshFamily: %v", err)
	}
	f.agent, _ = mustCreateAgent(t, s, u.ID, name+"-bot", base)
	if err := s.VerifyAgent(ctx, f.agent.ID, u.ID, base); err != nil {
		t.Fatalf("VerifyAgent: %v", err)
	}
	f.agentSession = mustCreateSession(t, s, f.agent.UserID, base, 24*time.Hour)
	f.passkey = mustCreatePasskey(t, s, newPasskey(u.ID, "key", base))
	f.identity = mustCreateIdentity(t, s, newIdentity(u.ID, "google", name+"-sub", base))
	if err := s.GrantConsent(ctx, &gatehouse.Consent{UserID: u.ID, ClientID: "cli_" + name + "app", Scopes: []string{"openid"}, GrantedAt: base}); err != nil {
		t.Fatalf("GrantConsent: %v", err)
	}
	return f
}

func testClaimAccount(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := mustCreateClaimFootprint(t, s, "claimed")
	bystander := mustCreateClaimFootprint(t, s, "bystander")
	when := at(time.Minute)
	hash := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$new"
	got, err := s.ClaimAccount(ctx, gatehouse.AccountClaim{
		UserID: f.user.ID, Email: "CLAIMED@example.com", KeepSessionID: f.keep.ID, PasswordHash: &hash,
		At: when, Reason: "account_claimed",
	})
	if err != nil {
		t.Fatalf("ClaimAccount: %v", err)
	}
	want := gatehouse.ClaimCounts{Sessions: 1, PATs: 1, RefreshFamilies: 1, Agents: 1, Passkeys: 1, Identities: 1, Consents: 1}
	if got != want {
		t.Errorf("ClaimAccount counted %+v, want %+v", got, want)
	}

	u, err := s.UserByID(ctx, f.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !u.EmailVerified || u.PasswordHash != hash || !u.CredentialsChangedAt.Equal(gatehouse.CeilSecond(when)) {
		t.Errorf("claimed user: verified %v, hash %q, credentials changed %s", u.EmailVerified, u.PasswordHash, stamp(u.CredentialsChangedAt))
	}
	checkClaimed(t, s, f, true)
	checkClaimed(t, s, bystander, false)
}

// checkClaimed checks f's credentials after a claim of another account (claimed false: all
// intact) or of f's (claimed true: all revoked, the kept session alive).
func checkClaimed(t *testing.T, s gatehouse.Store, f claimFootprint, claimed bool) {
	t.Helper()
	ctx := t.Context()
	revoked := func(what string, sess *gatehouse.Session, want bool) {
		t.Helper()
		x, _, err := s.SessionByTokenHash(ctx, sess.TokenHash)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if (x.RevokedAt != nil) != want {
			t.Errorf("%s of %s: revoked %v, want %v", what, f.user.Username, x.RevokedAt != nil, want)
		}
		if want && x.RevokeReason != "account_claimed" {
			t.Errorf("%s of %s: reason %q", what, f.user.Username, x.RevokeReason)
		}
	}
	revoked("kept session", f.keep, false)
	revoked("other session", f.other, claimed)
	revoked("agent's session", f.agentSession, claimed)
	if x, _, err := s.SessionByTokenHash(ctx, f.expired.TokenHash); err != nil || x.RevokedAt != nil {
		t.Errorf("an expired session was revoked (or lost): %v %v", x, err)
	}
	pat, _, err := s.PATByTokenHash(ctx, f.pat.TokenHash)
	if err != nil || (pat.RevokedAt != nil) != claimed {
		t.Errorf("PAT of %s after the claim: %v %v", f.user.Username, pat, err)
	}
	if rt := mustRefresh(t, s, f.refresh.TokenHash); (rt.FamilyRevokedAt != nil) != claimed {
		t.Errorf("refresh family of %s: revoked %v, want %v", f.user.Username, rt.FamilyRevokedAt != nil, claimed)
	}
	a, err := s.AgentByID(ctx, f.agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if claimed == (a.VerifiedAt != nil) || claimed == bytes.Equal(a.TokenHash, f.agent.TokenHash) {
		t.Errorf("agent of %s: verified %v, same token hash %v; claimed %v", f.user.Username, a.VerifiedAt != nil,
			bytes.Equal(a.TokenHash, f.agent.TokenHash), claimed)
	}
	if _, _, err := s.AgentByTokenHash(ctx, f.agent.TokenHash); claimed != errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("the agent's old token of %s after the claim: %v", f.user.Username, err)
	}
	if pks, err := s.ListPasskeys(ctx, f.user.ID); err != nil || (len(pks) == 0) != claimed {
		t.Errorf("passkeys of %s: %d %v", f.user.Username, len(pks), err)
	}
	if ids, err := s.ListIdentities(ctx, f.user.ID); err != nil || (len(ids) == 0) != claimed {
		t.Errorf("identities of %s: %d %v", f.user.Username, len(ids), err)
	}
	if cs, err := s.ListConsents(ctx, f.user.ID); err != nil || (len(cs) == 0) != claimed {
		t.Errorf("consents of %s: %d %v", f.user.Username, len(cs), err)
	}
}

func testClaimAccountRefused(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := mustCreateClaimFootprint(t, s, "refused")
	verified := mustCreateClaimFootprint(t, s, "verified")
	if _, err := s.UpdateUser(ctx, verified.user.ID, gatehouse.UserUpdate{EmailVerified: ptr(true), UpdatedAt: base}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		claim gatehouse.AccountClaim
		code  gatehouse.Code // "" for ErrNotFound
	}{
		{"address verified already", gatehouse.AccountClaim{UserID: verified.user.ID, Email: verified.user.Email}, gatehouse.CodeConflict},
		{"another address", gatehouse.AccountClaim{UserID: f.user.ID, Email: "someone@example.com"}, gatehouse.CodeConflict},
		{"no address", gatehouse.AccountClaim{UserID: f.user.ID}, gatehouse.CodeConflict},
		{"unknown user", gatehouse.AccountClaim{UserID: "usr_nobody", Email: "x@example.com"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.claim.At, c.claim.Reason = at(time.Minute), "account_claimed"
			_, err := s.ClaimAccount(ctx, c.claim)
			if c.code == "" && !errors.Is(err, gatehouse.ErrNotFound) || c.code != "" && gatehouse.ErrorCode(err) != c.code {
				t.Fatalf("ClaimAccount: %v, want %q", err, c.code)
			}
		})
	}
	checkClaimed(t, s, f, false)
	checkClaimed(t, s, verified, false)
	if u, err := s.UserByID(ctx, f.user.ID); err != nil || u.EmailVerified || !u.CredentialsChangedAt.IsZero() {
		t.Errorf("a refused claim changed the user: %+v %v", u, err)
	}
}
