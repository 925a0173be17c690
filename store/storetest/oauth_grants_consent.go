package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// consentView renders a consent for comparison.
func consentView(c gatehouse.Consent) string {
	return fmt.Sprintf("%s/%s %q %s", c.UserID, c.ClientID, c.Scopes, stamp(c.GrantedAt))
}

func testConsents(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "consenter")
	const a, b = "cli_01hxyzclienta0000000000000", gatehouse.BuiltInCLIClientID
	steps := []struct {
		name     string
		grant    gatehouse.Consent
		want     gatehouse.Consent // the consent to grant.ClientID afterwards
		wantList []string          // client IDs, newest first
	}{
		{"first grant", gatehouse.Consent{UserID: u.ID, ClientID: a, Scopes: []string{"openid", "profile"}, GrantedAt: base},
			gatehouse.Consent{UserID: u.ID, ClientID: a, Scopes: []string{"openid", "profile"}, GrantedAt: base}, []string{a}},
		{"another client", gatehouse.Consent{UserID: u.ID, ClientID: b, Scopes: nil, GrantedAt: at(time.Minute)},
			gatehouse.Consent{UserID: u.ID, ClientID: b, Scopes: []string{}, GrantedAt: at(time.Minute)}, []string{b, a}},
		{"widening is a union", gatehouse.Consent{UserID: u.ID, ClientID: a, Scopes: []string{"email", "openid"}, GrantedAt: at(2 * time.Minute)},
			gatehouse.Consent{UserID: u.ID, ClientID: a, Scopes: []string{"openid", "profile", "email"}, GrantedAt: at(2 * time.Minute)}, []string{a, b}},
		{"a narrower grant keeps the scopes", gatehouse.Consent{UserID: u.ID, ClientID: a, Scopes: []string{"profile"}, GrantedAt: at(3 * time.Minute)},
			gatehouse.Consent{UserID: u.ID, ClientID: a, Scopes: []string{"openid", "profile", "email"}, GrantedAt: at(3 * time.Minute)}, []string{a, b}},
	}
	for _, st := range steps {
		c := st.grant
		if err := s.GrantConsent(ctx, &c); err != nil {
			t.Fatalf("%s: GrantConsent: %v", st.name, err)
		}
		if g, w := consentView(c), consentView(st.want); g != w {
			t.Errorf("%s: consent as filled %s, want %s", st.name, g, w)
		}
		got, err := s.ConsentFor(ctx, u.ID, st.grant.ClientID)
		if err != nil {
			t.Fatalf("%s: ConsentFor: %v", st.name, err)
		}
		if g, w := consentView(*got), consentView(st.want); g != w {
			t.Errorf("%s: ConsentFor = %s, want %s", st.name, g, w)
		}
		list, err := s.ListConsents(ctx, u.ID)
		if err != nil {
			t.Fatalf("%s: ListConsents: %v", st.name, err)
		}
		var ids []string
		for _, c := range list {
			ids = append(ids, c.ClientID)
		}
		if !slices.Equal(ids, st.wantList) {
			t.Errorf("%s: ListConsents = %v, want %v", st.name, ids, st.wantList)
		}
	}
	list, err := s.ListConsents(ctx, "usr_01hxyznobody0000000000000")
	if err != nil || list == nil || len(list) != 0 {
		t.Errorf("ListConsents of an unknown user = %v, %v; want an empty, non-nil list", list, err)
	}
}

func testConsentErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "strict")
	cases := []struct {
		name string
		c    gatehouse.Consent
		want gatehouse.Code
	}{
		{"no user", gatehouse.Consent{ClientID: testClient}, gatehouse.CodeInvalidRequest},
		{"no client", gatehouse.Consent{UserID: u.ID}, gatehouse.CodeInvalidRequest},
		{"unknown user", gatehouse.Consent{UserID: "usr_01hxyznobody0000000000000", ClientID: testClient}, gatehouse.CodeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.GrantConsent(ctx, &tc.c)
			wantCode(t, "GrantConsent", err, tc.want)
			noLeak(t, err)
		})
	}
	_, err := s.ConsentFor(ctx, u.ID, testClient)
	wantNotFound(t, "ConsentFor without a consent", err)
	c := gatehouse.Consent{UserID: u.ID, ClientID: testClient}
	if err := s.GrantConsent(ctx, &c); err != nil || c.GrantedAt.IsZero() || c.Scopes == nil {
		t.Errorf("GrantConsent defaults: %s, %v; want GrantedAt now and empty scopes", consentView(c), err)
	}
}

func testRevokeConsent(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	const other = "cli_01hxyzotherclient000000000"
	u, them := mustCreateUser(t, s, "withdrawer"), mustCreateUser(t, s, "bystander")
	for _, c := range []gatehouse.Consent{
		{UserID: u.ID, ClientID: testClient, GrantedAt: base}, {UserID: u.ID, ClientID: other, GrantedAt: base},
		{UserID: them.ID, ClientID: testClient, GrantedAt: base},
	} {
		if err := s.GrantConsent(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	toks := []struct {
		tok     *gatehouse.RefreshToken
		revoked bool
	}{
		{mustFamily(t, s, u.ID, testClient, base, time.Hour), true},
		{mustFamily(t, s, u.ID, testClient, base, time.Hour), true},
		{mustFamily(t, s, u.ID, other, base, time.Hour), false},
		{mustFamily(t, s, them.ID, testClient, base, time.Hour), false},
	}
	if err := s.RevokeConsent(ctx, u.ID, testClient, at(time.Minute)); err != nil {
		t.Fatalf("RevokeConsent: %v", err)
	}
	for i, tk := range toks {
		r := mustRefresh(t, s, tk.tok.TokenHash)
		if got := r.FamilyRevokedAt != nil; got != tk.revoked {
			t.Errorf("family %d revoked = %v, want %v", i, got, tk.revoked)
		} else if got && !r.FamilyRevokedAt.Equal(at(time.Minute)) {
			t.Errorf("family %d revoked at %s, want %s", i, stampPtr(r.FamilyRevokedAt), stamp(at(time.Minute)))
		}
	}
	_, err := s.ConsentFor(ctx, u.ID, testClient)
	wantNotFound(t, "ConsentFor after RevokeConsent", err)
	for _, keep := range []struct{ user, client string }{{u.ID, other}, {them.ID, testClient}} {
		if _, err := s.ConsentFor(ctx, keep.user, keep.client); err != nil {
			t.Errorf("another consent went too: %v", err)
		}
	}
	// No consent: not found, and nothing is revoked.
	wantNotFound(t, "RevokeConsent again", s.RevokeConsent(ctx, u.ID, testClient, at(2*time.Minute)))
	wantNotFound(t, "RevokeConsent of a never-consented client", s.RevokeConsent(ctx, them.ID, other, at(2*time.Minute)))
	if r := mustRefresh(t, s, toks[2].tok.TokenHash); r.FamilyRevokedAt != nil {
		t.Errorf("a refused RevokeConsent revoked a family")
	}
}

func testPruneOAuthGrants(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "pruned")
	cutoff := at(time.Hour)
	// Gone: expired at or before cutoff.
	oldCode := mustCreateCode(t, s, newCode(u.ID, base, time.Hour))
	oldDevice := mustCreateDevice(t, s, newDevice(base, 30*time.Minute))
	oldFamily := mustFamily(t, s, u.ID, testClient, base, 30*time.Minute) // its only token expires: the family goes
	if err := s.DenyAccessToken(ctx, "jti-old", at(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Kept: expires after cutoff (the denylist keeps the later of two expiries).
	keptCode := mustCreateCode(t, s, newCode(u.ID, base, time.Hour+time.Millisecond))
	keptDevice := mustCreateDevice(t, s, newDevice(base, 2*time.Hour))
	mixed := mustFamily(t, s, u.ID, testClient, base, 30*time.Minute)
	newer := newRefresh(at(time.Minute), 2*time.Hour)
	if _, err := s.RotateRefreshToken(ctx, mixed.TokenHash, testClient, newer, at(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, exp := range []time.Time{at(30 * time.Minute), at(2 * time.Hour)} {
		if err := s.DenyAccessToken(ctx, "jti-new", exp); err != nil {
			t.Fatal(err)
		}
	}

	n, err := s.PruneOAuthGrants(ctx, cutoff)
	// code, device, denylist entry, two tokens (oldFamily's and mixed's first), one family.
	if err != nil || n != 6 {
		t.Errorf("PruneOAuthGrants = %d, %v; want 6", n, err)
	}
	_, err = s.RedeemAuthorizationCode(ctx, oldCode.CodeHash, base, "jti", at(time.Hour), nil)
	wantNotFound(t, "pruned code", err)
	_, _, err = s.PollDeviceAuthorization(ctx, oldDevice.DeviceCodeHash, testClient, base)
	wantNotFound(t, "pruned device flow", err)
	_, err = s.RefreshTokenByHash(ctx, oldFamily.TokenHash)
	wantNotFound(t, "pruned refresh token", err)
	_, err = s.RefreshTokenByHash(ctx, mixed.TokenHash)
	wantNotFound(t, "pruned refresh token of a kept family", err)
	// The emptied family is gone: its ID is free again.
	again := newRefresh(base, 2*time.Hour)
	if err := s.CreateRefreshFamily(ctx, &gatehouse.RefreshFamily{ID: oldFamily.FamilyID, ClientID: testClient, UserID: u.ID}, again); err != nil {
		t.Errorf("the emptied family was kept: %v", err)
	}
	if denied, err := s.AccessTokenDenied(ctx, "jti-old"); err != nil || denied {
		t.Errorf("pruned denylist entry: denied %v, %v", denied, err)
	}

	if denied, err := s.AccessTokenDenied(ctx, "jti-new"); err != nil || !denied {
		t.Errorf("kept denylist entry: denied %v, %v", denied, err)
	}
	if _, err := s.RedeemAuthorizationCode(ctx, keptCode.CodeHash, base, "jti", at(2*time.Hour), nil); err != nil {
		t.Errorf("kept code: %v", err)
	}
	if _, _, err := s.PollDeviceAuthorization(ctx, keptDevice.DeviceCodeHash, testClient, base); err != nil {
		t.Errorf("kept device flow: %v", err)
	}
	if r := mustRefresh(t, s, newer.TokenHash); r.FamilyID != mixed.FamilyID {
		t.Errorf("kept token's family %q, want %q", r.FamilyID, mixed.FamilyID)
	}
	if n, err := s.PruneOAuthGrants(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second PruneOAuthGrants = %d, %v; want 0", n, err)
	}
}

func testOAuthGrantsDeletedWithUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u, keep := mustCreateUser(t, s, "leaving"), mustCreateUser(t, s, "staying")
	code := mustCreateCode(t, s, newCode(u.ID, base, time.Hour))
	tok := mustFamily(t, s, u.ID, testClient, base, time.Hour)
	kept := mustFamily(t, s, keep.ID, testClient, base, time.Hour)
	d := mustCreateDevice(t, s, newDevice(base, time.Hour))
	if err := s.DecideDeviceAuthorization(ctx, d.ID, u.ID, true, base, at(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.GrantConsent(ctx, &gatehouse.Consent{UserID: u.ID, ClientID: testClient, GrantedAt: base}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.RedeemAuthorizationCode(ctx, code.CodeHash, at(time.Minute), "jti", at(time.Hour), nil)
	wantNotFound(t, "the deleted user's code", err)
	_, err = s.RefreshTokenByHash(ctx, tok.TokenHash)
	wantNotFound(t, "the deleted user's refresh token", err)
	_, _, err = s.PollDeviceAuthorization(ctx, d.DeviceCodeHash, testClient, at(time.Minute))
	wantNotFound(t, "the device flow the deleted user approved", err)
	_, err = s.ConsentFor(ctx, u.ID, testClient)
	wantNotFound(t, "the deleted user's consent", err)
	if _, err := s.RefreshTokenByHash(ctx, kept.TokenHash); err != nil {
		t.Errorf("another user's token went too: %v", err)
	}
}

// checkConcurrentGrants lets 10 grants of different scopes to one user and client on a and b
// (the same store or two over one database) race: the consent ends with every scope, none lost.
func checkConcurrentGrants(t *testing.T, a, b gatehouse.Store) {
	u := mustCreateUser(t, a, "widener")
	const n = 10
	parallel(n, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		c := gatehouse.Consent{UserID: u.ID, ClientID: testClient, Scopes: []string{fmt.Sprintf("scope%02d", i)}, GrantedAt: base}
		if err := s.GrantConsent(t.Context(), &c); err != nil {
			t.Errorf("GrantConsent: %v", err)
		}
	})
	got, err := b.ConsentFor(t.Context(), u.ID, testClient)
	if err != nil {
		t.Fatalf("ConsentFor: %v", err)
	}
	scopes := slices.Sorted(slices.Values(got.Scopes))
	var want []string
	for i := 0; i < n; i++ {
		want = append(want, fmt.Sprintf("scope%02d", i))
	}
	if !slices.Equal(scopes, want) {
		t.Errorf("scopes after concurrent grants = %q, want %q", scopes, want)
	}
}
