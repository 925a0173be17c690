package storetest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// The OAuth grants (gatehouse.OAuthGrantStore): the list of checks, authorization codes and the
// denylist here; refresh tokens in oauth_grants_refresh.go; device flows in
// oauth_grants_device.go; consents, pruning and the cascade from users in
// oauth_grants_consent.go.

func oauthGrantTests() []test {
	return []test{
		{"RedeemCode", testRedeemCode},
		{"RedeemCodeWithoutRefresh", testRedeemCodeWithoutRefresh},
		{"RedeemCodeNotFound", testRedeemCodeNotFound},
		{"RedeemCodeFailureLeavesItUnused", testRedeemCodeFailureLeavesItUnused},
		{"RedeemCodeConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentRedeems(t, s, s) }},
		{"CreateCodeErrors", testCreateCodeErrors},
		{"CreateRefreshFamily", testCreateRefreshFamily},
		{"CreateRefreshFamilyErrors", testCreateRefreshFamilyErrors},
		{"RotateRefreshToken", testRotateRefreshToken},
		{"RotateRefreshTokenRefused", testRotateRefreshTokenRefused},
		{"RotateRefreshTokenReuse", testRotateRefreshTokenReuse},
		{"RotateRefreshTokenConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentRefreshRotations(t, s, s) }},
		{"RevokeRefreshFamily", testRevokeRefreshFamily},
		{"RevokeUserRefreshFamilies", testRevokeUserRefreshFamilies},
		{"Denylist", testDenylist},
		{"CreateDevice", testCreateDevice},
		{"CreateDeviceErrors", testCreateDeviceErrors},
		{"DeviceUserCodeInUse", testDeviceUserCodeInUse},
		{"DecideDevice", testDecideDevice},
		{"PollDevice", testPollDevice},
		{"PollDeviceNotFound", testPollDeviceNotFound},
		{"PollDeviceConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentPolls(t, s, s) }},
		{"Consents", testConsents},
		{"ConsentErrors", testConsentErrors},
		{"GrantConsentConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentGrants(t, s, s) }},
		{"RevokeConsent", testRevokeConsent},
		{"Prune", testPruneOAuthGrants},
		{"DeletedWithUser", testOAuthGrantsDeletedWithUser},
		{"DeletedWithClient", testOAuthGrantsDeletedWithClient},
	}
}

// testClient is the client ID the grant tests use (client IDs are not foreign keys).
const testClient = "cli_01hxyzgrantclient00000000"

// newCode returns an unsaved code of userID for testClient created at created, valid for ttl,
// with every field of a new code set and a random hash.
func newCode(userID string, created time.Time, ttl time.Duration) *gatehouse.AuthorizationCode {
	return &gatehouse.AuthorizationCode{
		ID:            gatehouse.NewID(gatehouse.PrefixAuthorizationCode, created, nil),
		CodeHash:      randomHash(),
		ClientID:      testClient,
		UserID:        userID,
		RedirectURI:   "https://app.example.com/callback",
		Scopes:        []string{"openid", "profile", "offline_access"},
		Nonce:         "n-0S6_WzA2Mj",
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		AuthTime:      created.Add(-time.Minute),
		CreatedAt:     created,
		ExpiresAt:     created.Add(ttl),
	}
}

func mustCreateCode(t *testing.T, s gatehouse.Store, c *gatehouse.AuthorizationCode) *gatehouse.AuthorizationCode {
	t.Helper()
	if err := s.CreateAuthorizationCode(t.Context(), c); err != nil {
		t.Fatalf("CreateAuthorizationCode: %v", err)
	}
	return c
}

// newRefresh returns an unsaved refresh token created at created, valid for ttl, with a random
// hash.
func newRefresh(created time.Time, ttl time.Duration) *gatehouse.RefreshToken {
	return &gatehouse.RefreshToken{TokenHash: randomHash(), CreatedAt: created, ExpiresAt: created.Add(ttl)}
}

type codeView struct {
	ID, CodeHash, ClientID, UserID, RedirectURI, Scopes string
	Nonce, CodeChallenge, AuthTime, CreatedAt           string
	ExpiresAt, UsedAt, FamilyID, AccessJTI              string
	AccessExpiresAt                                     string
}

func viewCode(c *gatehouse.AuthorizationCode) codeView {
	return codeView{
		ID: c.ID, CodeHash: fmt.Sprintf("%x", c.CodeHash), ClientID: c.ClientID, UserID: c.UserID,
		RedirectURI: c.RedirectURI, Scopes: fmt.Sprintf("%q", c.Scopes), Nonce: c.Nonce,
		CodeChallenge: c.CodeChallenge, AuthTime: stamp(c.AuthTime), CreatedAt: stamp(c.CreatedAt),
		ExpiresAt: stamp(c.ExpiresAt), UsedAt: stampPtr(c.UsedAt), FamilyID: c.FamilyID,
		AccessJTI: c.AccessJTI, AccessExpiresAt: stampPtr(c.AccessExpiresAt),
	}
}

// checkCode fails t unless got equals want (times compared as UTC instants).
func checkCode(t *testing.T, what string, got, want *gatehouse.AuthorizationCode) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil code", what)
	}
	w := *want
	w.AuthTime, w.CreatedAt, w.ExpiresAt = utc(w.AuthTime), utc(w.CreatedAt), utc(w.ExpiresAt)
	w.UsedAt, w.AccessExpiresAt = utcPtr(w.UsedAt), utcPtr(w.AccessExpiresAt)
	if g, wv := viewCode(got), viewCode(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
}

type refreshView struct {
	ID, FamilyID, TokenHash, CreatedAt, ExpiresAt, UsedAt string
	ClientID, UserID, Scopes, AuthTime, FamilyRevokedAt   string
}

func viewRefresh(r *gatehouse.RefreshToken) refreshView {
	return refreshView{
		ID: r.ID, FamilyID: r.FamilyID, TokenHash: fmt.Sprintf("%x", r.TokenHash), CreatedAt: stamp(r.CreatedAt),
		ExpiresAt: stamp(r.ExpiresAt), UsedAt: stampPtr(r.UsedAt), ClientID: r.ClientID, UserID: r.UserID,
		Scopes: fmt.Sprintf("%q", r.Scopes), AuthTime: stamp(r.AuthTime), FamilyRevokedAt: stampPtr(r.FamilyRevokedAt),
	}
}

// checkRefresh fails t unless got equals want (times compared as UTC instants).
func checkRefresh(t *testing.T, what string, got, want *gatehouse.RefreshToken) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil refresh token", what)
	}
	w := *want
	w.CreatedAt, w.ExpiresAt, w.AuthTime = utc(w.CreatedAt), utc(w.ExpiresAt), utc(w.AuthTime)
	w.UsedAt, w.FamilyRevokedAt = utcPtr(w.UsedAt), utcPtr(w.FamilyRevokedAt)
	if g, wv := viewRefresh(got), viewRefresh(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
}

// mustRefresh returns the stored token with that hash.
func mustRefresh(t *testing.T, s gatehouse.Store, hash []byte) *gatehouse.RefreshToken {
	t.Helper()
	r, err := s.RefreshTokenByHash(t.Context(), hash)
	if err != nil {
		t.Fatalf("RefreshTokenByHash: %v", err)
	}
	return r
}

// mustFamily starts a family of userID for clientID at created with a first token valid for ttl
// and returns the token.
func mustFamily(t *testing.T, s gatehouse.Store, userID, clientID string, created time.Time, ttl time.Duration) *gatehouse.RefreshToken {
	t.Helper()
	f := &gatehouse.RefreshFamily{ClientID: clientID, UserID: userID, Scopes: []string{"openid", "offline_access"},
		AuthTime: created.Add(-time.Minute), CreatedAt: created}
	first := newRefresh(created, ttl)
	if err := s.CreateRefreshFamily(t.Context(), f, first); err != nil {
		t.Fatalf("CreateRefreshFamily: %v", err)
	}
	return first
}

func testRedeemCode(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "redeemer")
	zone := time.FixedZone("X", -5*3600)
	c := newCode(u.ID, base.In(zone), 10*time.Minute)
	c.Scopes = []string{"openid", "email"}
	stored := *c
	mustCreateCode(t, s, c)
	checkCode(t, "code after CreateAuthorizationCode", c, &stored)

	now, accessExp := at(time.Minute), at(4*time.Hour+time.Minute)
	first := newRefresh(time.Time{}, 30*24*time.Hour)
	first.ExpiresAt = now.Add(30 * 24 * time.Hour)
	got, err := s.RedeemAuthorizationCode(ctx, c.CodeHash, now, "jti-first", accessExp, first)
	if err != nil {
		t.Fatalf("RedeemAuthorizationCode: %v", err)
	}
	checkCode(t, "code returned by the redemption (as stored before)", got, &stored)
	if !strings.HasPrefix(first.FamilyID, gatehouse.PrefixRefreshFamily+"_") || !strings.HasPrefix(first.ID, gatehouse.PrefixRefreshToken+"_") {
		t.Errorf("first token IDs: family %q, token %q; want new rtf_ and rtk_ IDs", first.FamilyID, first.ID)
	}
	wantFirst := &gatehouse.RefreshToken{ID: first.ID, FamilyID: first.FamilyID, TokenHash: first.TokenHash,
		CreatedAt: now, ExpiresAt: first.ExpiresAt, ClientID: testClient, UserID: u.ID, Scopes: []string{"openid", "email"},
		AuthTime: c.AuthTime}
	checkRefresh(t, "first token as filled", first, wantFirst)
	checkRefresh(t, "first token as stored", mustRefresh(t, s, first.TokenHash), wantFirst)

	// Every later redemption is a conflict that reports what the first one issued.
	redeemed := stored
	redeemed.UsedAt, redeemed.FamilyID, redeemed.AccessJTI, redeemed.AccessExpiresAt = &now, first.FamilyID, "jti-first", &accessExp
	for i, when := range []time.Time{at(2 * time.Minute), at(9 * time.Minute)} {
		next := newRefresh(when, time.Hour)
		got, err := s.RedeemAuthorizationCode(ctx, c.CodeHash, when, fmt.Sprintf("jti-%d", i), at(5*time.Hour), next)
		wantCode(t, "second redemption", err, gatehouse.CodeConflict)
		noLeak(t, err)
		if got == nil {
			t.Fatalf("second redemption returned no code")
		}
		checkCode(t, "code returned by a second redemption", got, &redeemed)
		_, err = s.RefreshTokenByHash(ctx, next.TokenHash)
		wantNotFound(t, "refresh token of a refused redemption", err)
	}
}

func testRedeemCodeWithoutRefresh(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "norefresh")
	c := mustCreateCode(t, s, newCode(u.ID, base, time.Minute))
	if _, err := s.RedeemAuthorizationCode(t.Context(), c.CodeHash, at(time.Second), "jti-1", at(time.Hour), nil); err != nil {
		t.Fatalf("RedeemAuthorizationCode: %v", err)
	}
	got, err := s.RedeemAuthorizationCode(t.Context(), c.CodeHash, at(2*time.Second), "jti-2", at(time.Hour), nil)
	wantCode(t, "second redemption", err, gatehouse.CodeConflict)
	if got == nil || got.FamilyID != "" || got.AccessJTI != "jti-1" || got.UsedAt == nil {
		t.Fatalf("second redemption returned %+v, want the code used with jti-1 and no family", got)
	}
}

func testRedeemCodeNotFound(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "late")
	c := mustCreateCode(t, s, newCode(u.ID, base, 10*time.Minute))
	cases := []struct {
		name string
		hash []byte
		now  time.Time
	}{
		{"unknown hash", randomHash(), at(time.Minute)},
		{"at expiry", c.CodeHash, c.ExpiresAt},
		{"after expiry", c.CodeHash, at(time.Hour)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.RedeemAuthorizationCode(ctx, tc.hash, tc.now, "jti", at(5*time.Hour), newRefresh(tc.now, time.Hour))
			wantNotFound(t, "RedeemAuthorizationCode", err)
			noLeak(t, err)
			if got != nil {
				t.Errorf("returned a code %+v with not found", got)
			}
		})
	}
	// The refused redemptions changed nothing: the code still redeems before its expiry.
	if _, err := s.RedeemAuthorizationCode(ctx, c.CodeHash, at(9*time.Minute), "jti", at(5*time.Hour), nil); err != nil {
		t.Fatalf("redemption before expiry after refused ones: %v", err)
	}
}

func testRedeemCodeFailureLeavesItUnused(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "atomic")
	taken := mustFamily(t, s, u.ID, testClient, base, time.Hour)
	c := mustCreateCode(t, s, newCode(u.ID, base, 10*time.Minute))
	clash := newRefresh(at(time.Second), time.Hour)
	clash.TokenHash = taken.TokenHash // the first token's insert fails
	_, err := s.RedeemAuthorizationCode(ctx, c.CodeHash, at(time.Second), "jti-1", at(time.Hour), clash)
	wantCode(t, "redemption whose token hash is taken", err, gatehouse.CodeConflict)
	first := newRefresh(at(2*time.Second), time.Hour)
	got, err := s.RedeemAuthorizationCode(ctx, c.CodeHash, at(2*time.Second), "jti-2", at(time.Hour), first)
	if err != nil {
		t.Fatalf("the code is not redeemable after a failed redemption: %v", err)
	}
	if got.UsedAt != nil {
		t.Errorf("the failed redemption left UsedAt %s", stampPtr(got.UsedAt))
	}
	if r := mustRefresh(t, s, first.TokenHash); r.FamilyID != first.FamilyID {
		t.Errorf("first token's family %q, want %q", r.FamilyID, first.FamilyID)
	}
}

// checkConcurrentRedeems lets 20 redemptions on a and b (the same store or two over one
// database) race for one code: exactly one succeeds, the others get CodeConflict with the
// winner's facts, and exactly one refresh family exists.
func checkConcurrentRedeems(t *testing.T, a, b gatehouse.Store) {
	u := mustCreateUser(t, a, "racer")
	c := mustCreateCode(t, a, newCode(u.ID, base, 10*time.Minute))
	const n = 20
	var ok, conflicts atomic.Int32
	jtis := make([]string, n)
	firsts := make([]*gatehouse.RefreshToken, n)
	losers := make([]*gatehouse.AuthorizationCode, n)
	parallel(n, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		jtis[i], firsts[i] = fmt.Sprintf("jti-%02d", i), newRefresh(at(time.Minute), time.Hour)
		got, err := s.RedeemAuthorizationCode(t.Context(), c.CodeHash, at(time.Minute), jtis[i], at(time.Hour), firsts[i])
		switch gatehouse.ErrorCode(err) {
		case "":
			ok.Add(1)
		case gatehouse.CodeConflict:
			conflicts.Add(1)
			losers[i] = got
		default:
			t.Errorf("RedeemAuthorizationCode: %v", err)
		}
	})
	if ok.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("%d redemptions succeeded, %d conflicted; want 1 and %d", ok.Load(), conflicts.Load(), n-1)
	}
	winner := -1
	for i := range losers {
		if losers[i] == nil {
			winner = i
		}
	}
	for i, l := range losers {
		if l != nil && (l.AccessJTI != jtis[winner] || l.FamilyID != firsts[winner].FamilyID) {
			t.Errorf("loser %d sees jti %q family %q, want the winner's %q %q", i, l.AccessJTI, l.FamilyID,
				jtis[winner], firsts[winner].FamilyID)
		}
	}
	for i, f := range firsts {
		_, err := a.RefreshTokenByHash(t.Context(), f.TokenHash)
		if i == winner && err != nil {
			t.Errorf("the winner's refresh token: %v", err)
		} else if i != winner {
			wantNotFound(t, "a loser's refresh token", err)
		}
	}
}

func testCreateCodeErrors(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "coder")
	taken := mustCreateCode(t, s, newCode(u.ID, base, time.Minute))
	cases := []struct {
		name string
		edit func(c *gatehouse.AuthorizationCode)
		want gatehouse.Code
	}{
		{"no client", func(c *gatehouse.AuthorizationCode) { c.ClientID = "" }, gatehouse.CodeInvalidRequest},
		{"no user", func(c *gatehouse.AuthorizationCode) { c.UserID = "" }, gatehouse.CodeInvalidRequest},
		{"no redirect URI", func(c *gatehouse.AuthorizationCode) { c.RedirectURI = "" }, gatehouse.CodeInvalidRequest},
		{"no expiry", func(c *gatehouse.AuthorizationCode) { c.ExpiresAt = time.Time{} }, gatehouse.CodeInvalidRequest},
		{"no hash", func(c *gatehouse.AuthorizationCode) { c.CodeHash = nil }, gatehouse.CodeInvalidRequest},
		{"hash over 64 bytes", func(c *gatehouse.AuthorizationCode) { c.CodeHash = make([]byte, 65) }, gatehouse.CodeInvalidRequest},
		{"unknown user", func(c *gatehouse.AuthorizationCode) { c.UserID = "usr_01hxyznobody0000000000000" }, gatehouse.CodeNotFound},
		{"hash taken", func(c *gatehouse.AuthorizationCode) { c.CodeHash = taken.CodeHash }, gatehouse.CodeConflict},
		{"ID taken", func(c *gatehouse.AuthorizationCode) { c.ID = taken.ID }, gatehouse.CodeConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCode(u.ID, base, time.Minute)
			tc.edit(c)
			err := s.CreateAuthorizationCode(t.Context(), c)
			wantCode(t, "CreateAuthorizationCode", err, tc.want)
			noLeak(t, err)
		})
	}
	c := &gatehouse.AuthorizationCode{CodeHash: randomHash(), ClientID: testClient, UserID: u.ID,
		RedirectURI: "http://127.0.0.1/cb", ExpiresAt: time.Now().Add(time.Minute)}
	mustCreateCode(t, s, c)
	if !strings.HasPrefix(c.ID, gatehouse.PrefixAuthorizationCode+"_") || c.CreatedAt.IsZero() || c.Scopes == nil {
		t.Errorf("defaults: ID %q, CreatedAt %s, Scopes %v; want an acd_ ID, now and an empty list", c.ID, stamp(c.CreatedAt), c.Scopes)
	}
}

func testDenylist(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	steps := []struct {
		name string
		jti  string
		deny bool
	}{
		{"deny", "jti-a", true},
		{"deny again (not an error)", "jti-a", true},
		{"another jti", "jti-b", false},
	}
	for _, st := range steps {
		if st.deny {
			if err := s.DenyAccessToken(ctx, st.jti, at(time.Hour)); err != nil {
				t.Fatalf("%s: DenyAccessToken: %v", st.name, err)
			}
		}
	}
	for jti, want := range map[string]bool{"jti-a": true, "jti-b": false, "": false} {
		if got, err := s.AccessTokenDenied(ctx, jti); err != nil || got != want {
			t.Errorf("AccessTokenDenied(%q) = %v, %v; want %v", jti, got, err, want)
		}
	}
	wantCode(t, "DenyAccessToken without a jti", s.DenyAccessToken(ctx, "", at(time.Hour)), gatehouse.CodeInvalidRequest)
}
