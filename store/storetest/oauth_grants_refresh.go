package storetest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func testCreateRefreshFamily(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "family")
	f := &gatehouse.RefreshFamily{ClientID: gatehouse.BuiltInCLIClientID, UserID: u.ID, Scopes: []string{"openid"},
		AuthTime: base.Add(-time.Hour), CreatedAt: base}
	first := newRefresh(time.Time{}, 0)
	first.ExpiresAt = at(time.Hour)
	if err := s.CreateRefreshFamily(t.Context(), f, first); err != nil {
		t.Fatalf("CreateRefreshFamily: %v", err)
	}
	if !strings.HasPrefix(f.ID, gatehouse.PrefixRefreshFamily+"_") {
		t.Errorf("family ID %q, want an rtf_ ID", f.ID)
	}
	want := &gatehouse.RefreshToken{ID: first.ID, FamilyID: f.ID, TokenHash: first.TokenHash, CreatedAt: base,
		ExpiresAt: at(time.Hour), ClientID: gatehouse.BuiltInCLIClientID, UserID: u.ID, Scopes: []string{"openid"},
		AuthTime: base.Add(-time.Hour)}
	checkRefresh(t, "first token as filled", first, want)
	checkRefresh(t, "first token as stored", mustRefresh(t, s, first.TokenHash), want)
	_, err := s.RefreshTokenByHash(t.Context(), randomHash())
	wantNotFound(t, "RefreshTokenByHash of an unknown hash", err)
}

func testCreateRefreshFamilyErrors(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "families")
	taken := mustFamily(t, s, u.ID, testClient, base, time.Hour)
	cases := []struct {
		name string
		edit func(f *gatehouse.RefreshFamily, r *gatehouse.RefreshToken)
		want gatehouse.Code
	}{
		{"no client", func(f *gatehouse.RefreshFamily, r *gatehouse.RefreshToken) { f.ClientID = "" }, gatehouse.CodeInvalidRequest},
		{"no user", func(f *gatehouse.RefreshFamily, r *gatehouse.RefreshToken) { f.UserID = "" }, gatehouse.CodeInvalidRequest},
		{"no token hash", func(f *gatehouse.RefreshFamily, r *gatehouse.RefreshToken) { r.TokenHash = nil }, gatehouse.CodeInvalidRequest},
		{"no token expiry", func(f *gatehouse.RefreshFamily, r *gatehouse.RefreshToken) { r.ExpiresAt = time.Time{} }, gatehouse.CodeInvalidRequest},
		{"unknown user", func(f *gatehouse.RefreshFamily, r *gatehouse.RefreshToken) {
			f.UserID = "usr_01hxyznobody0000000000000"
		}, gatehouse.CodeNotFound},
		{"token hash taken", func(f *gatehouse.RefreshFamily, r *gatehouse.RefreshToken) { r.TokenHash = taken.TokenHash }, gatehouse.CodeConflict},
		{"family ID taken", func(f *gatehouse.RefreshFamily, r *gatehouse.RefreshToken) { f.ID = taken.FamilyID }, gatehouse.CodeConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &gatehouse.RefreshFamily{ClientID: testClient, UserID: u.ID, CreatedAt: base}
			r := newRefresh(base, time.Hour)
			tc.edit(f, r)
			err := s.CreateRefreshFamily(t.Context(), f, r)
			wantCode(t, "CreateRefreshFamily", err, tc.want)
			noLeak(t, err)
			if tc.want == gatehouse.CodeConflict && tc.name == "token hash taken" {
				// The family of the failed call was not stored either: its ID is free.
				again := newRefresh(base, time.Hour)
				if err := s.CreateRefreshFamily(t.Context(), &gatehouse.RefreshFamily{ID: f.ID, ClientID: testClient,
					UserID: u.ID}, again); err != nil {
					t.Errorf("the failed call left its family behind: %v", err)
				}
			}
		})
	}
}

func testRotateRefreshToken(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "rotator")
	first := mustFamily(t, s, u.ID, testClient, base, time.Hour)
	prev := first
	for i := 1; i <= 5; i++ { // a chain: each rotation of the newest token succeeds
		now := at(time.Duration(i) * time.Minute)
		next := newRefresh(time.Time{}, 0)
		next.ExpiresAt = now.Add(time.Hour)
		got, err := s.RotateRefreshToken(ctx, prev.TokenHash, testClient, next, now)
		if err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
		used := *prev
		used.UsedAt = &now
		checkRefresh(t, "rotated token as returned", got, &used)
		checkRefresh(t, "rotated token as stored", mustRefresh(t, s, prev.TokenHash), &used)
		want := &gatehouse.RefreshToken{ID: next.ID, FamilyID: first.FamilyID, TokenHash: next.TokenHash,
			CreatedAt: now, ExpiresAt: now.Add(time.Hour), ClientID: testClient, UserID: u.ID,
			Scopes: first.Scopes, AuthTime: first.AuthTime}
		checkRefresh(t, "next token as filled", next, want)
		checkRefresh(t, "next token as stored", mustRefresh(t, s, next.TokenHash), want)
		prev = next
	}
}

func testRotateRefreshTokenRefused(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "refused")
	revoked := mustFamily(t, s, u.ID, testClient, base, time.Hour)
	if err := s.RevokeRefreshFamily(ctx, revoked.FamilyID, at(time.Second), "logout"); err != nil {
		t.Fatalf("RevokeRefreshFamily: %v", err)
	}
	live := mustFamily(t, s, u.ID, testClient, base, time.Hour)
	cases := []struct {
		name     string
		hash     []byte
		clientID string
		now      time.Time
	}{
		{"unknown token", randomHash(), testClient, at(time.Minute)},
		{"another client's token", live.TokenHash, "cli_01hxyzsomeoneelse000000000", at(time.Minute)},
		{"the built-in client for another's token", live.TokenHash, gatehouse.BuiltInCLIClientID, at(time.Minute)},
		{"at expiry", live.TokenHash, testClient, live.ExpiresAt},
		{"after expiry", live.TokenHash, testClient, at(2 * time.Hour)},
		{"revoked family", revoked.TokenHash, testClient, at(time.Minute)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := mustRefresh(t, s, live.TokenHash)
			next := newRefresh(tc.now, time.Hour)
			got, err := s.RotateRefreshToken(ctx, tc.hash, tc.clientID, next, tc.now)
			wantNotFound(t, "RotateRefreshToken", err)
			noLeak(t, err)
			if got != nil {
				t.Errorf("returned a token %+v with not found", got)
			}
			checkRefresh(t, "the live token after a refused rotation", mustRefresh(t, s, live.TokenHash), before)
			_, err = s.RefreshTokenByHash(ctx, next.TokenHash)
			wantNotFound(t, "next token of a refused rotation", err)
		})
	}
	// The live token still rotates: the refusals changed nothing.
	if _, err := s.RotateRefreshToken(ctx, live.TokenHash, testClient, newRefresh(at(time.Minute), time.Hour), at(time.Minute)); err != nil {
		t.Fatalf("rotation after refused ones: %v", err)
	}
}

func testRotateRefreshTokenReuse(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "reuser")
	chain := []*gatehouse.RefreshToken{mustFamily(t, s, u.ID, testClient, base, time.Hour)}
	for i := 1; i <= 3; i++ {
		next := newRefresh(at(time.Duration(i)*time.Minute), time.Hour)
		if _, err := s.RotateRefreshToken(ctx, chain[i-1].TokenHash, testClient, next, at(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("rotation %d: %v", i, err)
		}
		chain = append(chain, next)
	}
	other := mustFamily(t, s, u.ID, testClient, base, time.Hour) // another grant of the same pair

	reuseAt := at(10 * time.Minute)
	next := newRefresh(reuseAt, time.Hour)
	got, err := s.RotateRefreshToken(ctx, chain[0].TokenHash, testClient, next, reuseAt)
	wantCode(t, "reuse of the first token", err, gatehouse.CodeConflict)
	noLeak(t, err)
	if got == nil {
		t.Fatalf("reuse returned no token")
	}
	if got.ID != chain[0].ID || got.UsedAt == nil || got.FamilyRevokedAt == nil || !got.FamilyRevokedAt.Equal(reuseAt) {
		t.Errorf("reuse returned %+v, want the reused token with its family revoked at %s", viewRefresh(got), stamp(reuseAt))
	}
	_, err = s.RefreshTokenByHash(ctx, next.TokenHash)
	wantNotFound(t, "next token of a reuse", err)
	newest := mustRefresh(t, s, chain[3].TokenHash)
	if newest.FamilyRevokedAt == nil || !newest.FamilyRevokedAt.Equal(reuseAt) {
		t.Errorf("newest token's FamilyRevokedAt = %s, want %s", stampPtr(newest.FamilyRevokedAt), stamp(reuseAt))
	}
	_, err = s.RotateRefreshToken(ctx, chain[3].TokenHash, testClient, newRefresh(reuseAt, time.Hour), at(11*time.Minute))
	wantNotFound(t, "rotation of the newest token after reuse", err)
	// Reusing again finds the family revoked: not found, the first revocation stays.
	_, err = s.RotateRefreshToken(ctx, chain[1].TokenHash, testClient, newRefresh(reuseAt, time.Hour), at(12*time.Minute))
	wantNotFound(t, "reuse in a revoked family", err)
	if r := mustRefresh(t, s, chain[2].TokenHash); r.FamilyRevokedAt == nil || !r.FamilyRevokedAt.Equal(reuseAt) {
		t.Errorf("FamilyRevokedAt after a second reuse = %s, want %s", stampPtr(r.FamilyRevokedAt), stamp(reuseAt))
	}
	if r := mustRefresh(t, s, other.TokenHash); r.FamilyRevokedAt != nil {
		t.Errorf("another family of the user was revoked by the reuse")
	}
}

// checkConcurrentRefreshRotations lets 20 rotations of one token on a and b (the same store or
// two over one database) race. They run one after the other: the first succeeds, the second
// finds the token used (reuse: CodeConflict, the family revoked), and every later one finds the
// family revoked (not found, as RotateRefreshToken checks revocation before use). The family
// ends revoked, the winner's new token included, and no loser's token is stored.
func checkConcurrentRefreshRotations(t *testing.T, a, b gatehouse.Store) {
	u := mustCreateUser(t, a, "spinner")
	first := mustFamily(t, a, u.ID, testClient, base, time.Hour)
	const n = 20
	var ok, reused, revoked atomic.Int32
	nexts := make([]*gatehouse.RefreshToken, n)
	won := make([]bool, n)
	parallel(n, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		nexts[i] = newRefresh(at(time.Minute), time.Hour)
		_, err := s.RotateRefreshToken(t.Context(), first.TokenHash, testClient, nexts[i], at(time.Minute))
		switch gatehouse.ErrorCode(err) {
		case "":
			ok.Add(1)
			won[i] = true
		case gatehouse.CodeConflict:
			reused.Add(1)
		case gatehouse.CodeNotFound:
			revoked.Add(1)
		default:
			t.Errorf("RotateRefreshToken: %v", err)
		}
	})
	if ok.Load() != 1 || reused.Load() != 1 || revoked.Load() != n-2 {
		t.Fatalf("%d rotations succeeded, %d were reuse, %d found the family revoked; want 1, 1 and %d",
			ok.Load(), reused.Load(), revoked.Load(), n-2)
	}
	for i, next := range nexts {
		r, err := b.RefreshTokenByHash(t.Context(), next.TokenHash)
		switch {
		case won[i] && err != nil:
			t.Errorf("the winner's token: %v", err)
		case won[i] && r.FamilyRevokedAt == nil:
			t.Errorf("the winner's token: family not revoked after the reuse")
		case !won[i]:
			wantNotFound(t, "a loser's token", err)
		}
	}
	if r := mustRefresh(t, a, first.TokenHash); r.FamilyRevokedAt == nil {
		t.Errorf("the raced token's family is not revoked")
	}
}

func testRevokeRefreshFamily(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "revoker")
	r := mustFamily(t, s, u.ID, testClient, base, time.Hour)
	steps := []struct {
		name     string
		familyID string
		at       time.Time
	}{
		{"first revocation", r.FamilyID, at(time.Minute)},
		{"revoking a revoked family keeps the first time", r.FamilyID, at(2 * time.Minute)},
		{"unknown family", "rtf_01hxyznothere000000000000", at(3 * time.Minute)},
	}
	for _, st := range steps {
		if err := s.RevokeRefreshFamily(ctx, st.familyID, st.at, "logout"); err != nil {
			t.Errorf("%s: %v", st.name, err)
		}
		if got := mustRefresh(t, s, r.TokenHash); got.FamilyRevokedAt == nil || !got.FamilyRevokedAt.Equal(at(time.Minute)) {
			t.Errorf("%s: FamilyRevokedAt = %s, want %s", st.name, stampPtr(got.FamilyRevokedAt), stamp(at(time.Minute)))
		}
	}
}

func testRevokeUserRefreshFamilies(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	const other = "cli_01hxyzotherclient000000000"
	cases := []struct {
		name     string
		clientID string
		want     int
		revoked  []bool // mine of testClient ×2, mine of other, mine already revoked, someone else's
	}{
		{"every client", "", 3, []bool{true, true, true, true, false}},
		{"one client", testClient, 2, []bool{true, true, false, true, false}},
		{"a client without families", "cli_01hxyznofamilies00000000", 0, []bool{false, false, false, true, false}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			me, them := mustCreateUser(t, s, fmt.Sprintf("me%d", i)), mustCreateUser(t, s, fmt.Sprintf("them%d", i))
			toks := []*gatehouse.RefreshToken{
				mustFamily(t, s, me.ID, testClient, base, time.Hour), mustFamily(t, s, me.ID, testClient, base, time.Hour),
				mustFamily(t, s, me.ID, other, base, time.Hour), mustFamily(t, s, me.ID, other, base, time.Hour),
				mustFamily(t, s, them.ID, testClient, base, time.Hour),
			}
			if err := s.RevokeRefreshFamily(ctx, toks[3].FamilyID, at(time.Second), "logout"); err != nil {
				t.Fatal(err)
			}
			n, err := s.RevokeUserRefreshFamilies(ctx, me.ID, tc.clientID, at(time.Minute), "password_changed")
			if err != nil || n != tc.want {
				t.Errorf("RevokeUserRefreshFamilies = %d, %v; want %d", n, err, tc.want)
			}
			for j, tok := range toks {
				if got := mustRefresh(t, s, tok.TokenHash).FamilyRevokedAt != nil; got != tc.revoked[j] {
					t.Errorf("family %d revoked = %v, want %v", j, got, tc.revoked[j])
				}
			}
		})
	}
	if n, err := s.RevokeUserRefreshFamilies(ctx, "usr_01hxyznobody0000000000000", "", base, "x"); err != nil || n != 0 {
		t.Errorf("RevokeUserRefreshFamilies of an unknown user = %d, %v; want 0, nil", n, err)
	}
}
