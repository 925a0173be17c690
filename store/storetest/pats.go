package storetest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func patTests() []test {
	return []test{
		{"CreateAndLookup", testPATCreateAndLookup},
		{"Defaults", testPATDefaults},
		{"CreateErrors", testPATCreateErrors},
		{"LookupNotFound", testPATLookupNotFound},
		{"List", testListPATs},
		{"Limit", testPATLimit},
		{"LimitConcurrent", testPATLimitConcurrent},
		{"Revoke", testRevokePAT},
		{"RecordUses", testRecordCredentialUses},
		{"RecordUsesBatch", testRecordCredentialUsesBatch},
		{"DeletedWithUser", testPATDeletedWithUser},
	}
}

// randomHash returns the SHA-256 of 32 random bytes.
func randomHash() []byte {
	token := make([]byte, 32)
	if _, err := rand.Read(token); err != nil {
		panic(err)
	}
	h := sha256.Sum256(token)
	return h[:]
}

// newPAT returns an unsaved token of userID created at created, with every field set.
func newPAT(userID string, created time.Time) *gatehouse.PersonalAccessToken {
	return &gatehouse.PersonalAccessToken{
		ID:        gatehouse.NewID(gatehouse.PrefixPAT, created, nil),
		UserID:    userID,
		Name:      "deploy script",
		TokenHash: randomHash(),
		Prefix:    "gth_pat_AbCd…wxyz",
		Scopes:    []string{"calls:read", "agents:write"},
		CreatedAt: created,
		ExpiresAt: ptr(created.Add(90 * 24 * time.Hour)),
	}
}

// mustCreatePAT saves t with no limit.
func mustCreatePAT(t *testing.T, s gatehouse.Store, pat *gatehouse.PersonalAccessToken) *gatehouse.PersonalAccessToken {
	t.Helper()
	if err := s.CreatePAT(t.Context(), pat, 0, pat.CreatedAt); err != nil {
		t.Fatalf("CreatePAT: %v", err)
	}
	return pat
}

type patView struct {
	ID, UserID, Name, TokenHash, Prefix, Scopes  string
	CreatedAt, ExpiresAt, LastUsedAt, LastUsedIP string
	RevokedAt, RevokeReason                      string
}

func viewPAT(p *gatehouse.PersonalAccessToken) patView {
	return patView{
		ID: p.ID, UserID: p.UserID, Name: p.Name, TokenHash: fmt.Sprintf("%x", p.TokenHash), Prefix: p.Prefix,
		Scopes: fmt.Sprintf("%q", p.Scopes), CreatedAt: stamp(p.CreatedAt), ExpiresAt: stampPtr(p.ExpiresAt),
		LastUsedAt: stampPtr(p.LastUsedAt), LastUsedIP: p.LastUsedIP, RevokedAt: stampPtr(p.RevokedAt),
		RevokeReason: p.RevokeReason,
	}
}

// checkPAT fails t unless got equals want (times compared as UTC instants) and got.Scopes is
// non-nil.
func checkPAT(t *testing.T, what string, got, want *gatehouse.PersonalAccessToken) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil token", what)
	}
	w := *want
	w.CreatedAt = utc(w.CreatedAt)
	w.ExpiresAt, w.LastUsedAt, w.RevokedAt = utcPtr(w.ExpiresAt), utcPtr(w.LastUsedAt), utcPtr(w.RevokedAt)
	if w.Scopes == nil {
		w.Scopes = []string{}
	}
	if g, wv := viewPAT(got), viewPAT(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
	if got.Scopes == nil {
		t.Errorf("%s: Scopes is nil, want an empty slice", what)
	}
}

func patIDs(ps []gatehouse.PersonalAccessToken) []string {
	ids := make([]string, len(ps))
	for i := range ps {
		ids[i] = ps[i].ID
	}
	return ids
}

func testPATCreateAndLookup(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "scripter")
	zone := time.FixedZone("X", 5*3600)
	cases := []struct {
		name string
		edit func(p *gatehouse.PersonalAccessToken)
	}{
		{"every field", func(p *gatehouse.PersonalAccessToken) {}},
		{"times in another zone", func(p *gatehouse.PersonalAccessToken) {
			p.CreatedAt, p.ExpiresAt = p.CreatedAt.In(zone), ptr(p.ExpiresAt.In(zone))
		}},
		{"no expiry", func(p *gatehouse.PersonalAccessToken) { p.ExpiresAt = nil }},
		{"nil scopes", func(p *gatehouse.PersonalAccessToken) { p.Scopes = nil }},
		{"empty scopes", func(p *gatehouse.PersonalAccessToken) { p.Scopes = []string{} }},
		{"one scope", func(p *gatehouse.PersonalAccessToken) { p.Scopes = []string{"*:read"} }},
		{"used and revoked", func(p *gatehouse.PersonalAccessToken) {
			p.LastUsedAt, p.LastUsedIP = ptr(at(time.Minute)), "2001:db8::1"
			p.RevokedAt, p.RevokeReason = ptr(at(time.Hour)), "leaked"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPAT(u.ID, base)
			c.edit(p)
			mustCreatePAT(t, s, p)
			got, gu, err := s.PATByTokenHash(ctx, p.TokenHash)
			if err != nil {
				t.Fatalf("PATByTokenHash: %v", err)
			}
			checkPAT(t, "token", got, p)
			checkUser(t, "token's user", gu, u)
		})
	}
}

func testPATDefaults(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "defaults")
	p := &gatehouse.PersonalAccessToken{UserID: u.ID, TokenHash: randomHash()}
	before := time.Now().Add(-time.Millisecond)
	if err := s.CreatePAT(ctx, p, gatehouse.MaxActivePATs, time.Now()); err != nil {
		t.Fatalf("CreatePAT: %v", err)
	}
	if len(p.ID) != len(gatehouse.PrefixPAT)+1+26 || p.ID[:4] != "pat_" {
		t.Errorf("assigned ID %q, want a pat_ ID", p.ID)
	}
	if p.CreatedAt.Before(before) || p.CreatedAt.After(time.Now()) {
		t.Errorf("assigned CreatedAt %v, want about now", p.CreatedAt)
	}
	got, _, err := s.PATByTokenHash(ctx, p.TokenHash)
	if err != nil {
		t.Fatalf("PATByTokenHash: %v", err)
	}
	checkPAT(t, "stored token", got, p)
}

func testPATCreateErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "erring")
	first := mustCreatePAT(t, s, newPAT(u.ID, base))
	cases := []struct {
		name string
		edit func(p *gatehouse.PersonalAccessToken)
		code gatehouse.Code
	}{
		{"unknown user", func(p *gatehouse.PersonalAccessToken) { p.UserID = "usr_00000000000000000000000000" }, gatehouse.CodeNotFound},
		{"token hash taken", func(p *gatehouse.PersonalAccessToken) { p.TokenHash = first.TokenHash }, gatehouse.CodeConflict},
		{"same ID", func(p *gatehouse.PersonalAccessToken) { p.ID = first.ID }, gatehouse.CodeConflict},
		{"empty token hash", func(p *gatehouse.PersonalAccessToken) { p.TokenHash = nil }, gatehouse.CodeInvalidRequest},
		{"token hash too long", func(p *gatehouse.PersonalAccessToken) { p.TokenHash = make([]byte, 65) }, gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPAT(u.ID, base)
			c.edit(p)
			err := s.CreatePAT(ctx, p, gatehouse.MaxActivePATs, base)
			wantCode(t, "CreatePAT", err, c.code)
			noLeak(t, err)
		})
	}
	list, err := s.ListPATs(ctx, u.ID, base)
	if err != nil || len(list) != 1 {
		t.Errorf("ListPATs = %v, %v; want only the first token", patIDs(list), err)
	}
}

func testPATLookupNotFound(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "lookup")
	p := mustCreatePAT(t, s, newPAT(u.ID, base))
	cases := []struct {
		name string
		hash []byte
	}{
		{"unknown hash", randomHash()},
		{"prefix of a hash", p.TokenHash[:16]},
		{"empty", nil},
		{"too long", bytes.Repeat([]byte{1}, 65)},
		{"a session's hash", mustCreateSession(t, s, u.ID, base, time.Hour).TokenHash},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := s.PATByTokenHash(ctx, c.hash)
			wantNotFound(t, "PATByTokenHash", err)
		})
	}
}

func testListPATs(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "lister")
	other := mustCreateUser(t, s, "other")
	now := at(24 * time.Hour)
	mk := func(created time.Time, expires *time.Time) *gatehouse.PersonalAccessToken {
		p := newPAT(u.ID, created)
		p.ExpiresAt = expires
		return mustCreatePAT(t, s, p)
	}
	oldest := mk(base, nil)
	middle := mk(at(time.Hour), ptr(now.Add(time.Millisecond)))
	newest := mk(at(2*time.Hour), ptr(now.Add(time.Hour)))
	mk(at(3*time.Hour), ptr(now))                          // expires exactly at now: not active
	mk(at(4*time.Hour), ptr(now.Add(-time.Hour)))          // expired
	revoked := mk(at(5*time.Hour), nil)                    // revoked below
	mustCreatePAT(t, s, newPAT(other.ID, at(6*time.Hour))) // someone else's
	if err := s.RevokePAT(ctx, u.ID, revoked.ID, at(6*time.Hour), "user"); err != nil {
		t.Fatalf("RevokePAT: %v", err)
	}
	got, err := s.ListPATs(ctx, u.ID, now)
	if err != nil {
		t.Fatalf("ListPATs: %v", err)
	}
	if want := []string{newest.ID, middle.ID, oldest.ID}; !slices.Equal(patIDs(got), want) {
		t.Fatalf("ListPATs = %v, want %v (active only, newest first)", patIDs(got), want)
	}
	checkPAT(t, "listed token", &got[0], newest)
	none, err := s.ListPATs(ctx, "usr_00000000000000000000000000", now)
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListPATs of an unknown user = %#v, %v; want an empty list", none, err)
	}
}

func testPATLimit(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	now := at(24 * time.Hour)
	cases := []struct {
		name     string
		max      int
		active   int // active tokens already held
		inactive bool
		code     gatehouse.Code
	}{
		{"below the limit", 3, 2, false, ""},
		{"at the limit", 3, 3, false, gatehouse.CodeTokenLimitReached},
		{"expired and revoked do not count", 3, 2, true, ""},
		{"limit of one", 1, 1, true, gatehouse.CodeTokenLimitReached},
		{"no limit", 0, 12, false, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := mustCreateUser(t, s, fmt.Sprintf("limited%d", i))
			for j := 0; j < c.active; j++ {
				mustCreatePAT(t, s, newPAT(u.ID, base))
			}
			if c.inactive {
				expired := newPAT(u.ID, base)
				expired.ExpiresAt = ptr(now)
				mustCreatePAT(t, s, expired)
				revoked := mustCreatePAT(t, s, newPAT(u.ID, base))
				if err := s.RevokePAT(ctx, u.ID, revoked.ID, at(time.Hour), "user"); err != nil {
					t.Fatalf("RevokePAT: %v", err)
				}
			}
			p := newPAT(u.ID, now)
			err := s.CreatePAT(ctx, p, c.max, now)
			wantCode(t, "CreatePAT", err, c.code)
			noLeak(t, err)
			_, _, lerr := s.PATByTokenHash(ctx, p.TokenHash)
			if c.code == "" && lerr != nil {
				t.Errorf("created token not found: %v", lerr)
			}
			if c.code != "" {
				wantNotFound(t, "token refused at the limit", lerr)
			}
		})
	}
}

func testPATLimitConcurrent(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "racer")
	now := at(24 * time.Hour)
	// Inactive tokens do not count, even under contention.
	expired := newPAT(u.ID, base)
	expired.ExpiresAt = ptr(now.Add(-time.Second))
	mustCreatePAT(t, s, expired)
	revoked := mustCreatePAT(t, s, newPAT(u.ID, base))
	if err := s.RevokePAT(ctx, u.ID, revoked.ID, at(time.Hour), "user"); err != nil {
		t.Fatalf("RevokePAT: %v", err)
	}
	const n, max = 30, 10
	var ok, limited atomic.Int32
	parallel(n, func(i int) {
		err := s.CreatePAT(ctx, newPAT(u.ID, now), max, now)
		switch gatehouse.ErrorCode(err) {
		case "":
			ok.Add(1)
		case gatehouse.CodeTokenLimitReached:
			limited.Add(1)
		default:
			t.Errorf("CreatePAT: %v", err)
		}
	})
	if ok.Load() != max || limited.Load() != n-max {
		t.Fatalf("%d created, %d token_limit_reached; want %d and %d", ok.Load(), limited.Load(), max, n-max)
	}
	list, err := s.ListPATs(ctx, u.ID, now)
	if err != nil || len(list) != max {
		t.Fatalf("ListPATs: %d tokens, %v; want %d", len(list), err, max)
	}
}

func testRevokePAT(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "revoker")
	other := mustCreateUser(t, s, "bystander")
	p := mustCreatePAT(t, s, newPAT(u.ID, base))
	theirs := mustCreatePAT(t, s, newPAT(other.ID, base))
	if err := s.RevokePAT(ctx, u.ID, p.ID, at(time.Hour), "user_revoked"); err != nil {
		t.Fatalf("RevokePAT: %v", err)
	}
	got, _, err := s.PATByTokenHash(ctx, p.TokenHash)
	if err != nil {
		t.Fatalf("PATByTokenHash of a revoked token: %v (revoked tokens are still returned)", err)
	}
	want := *p
	want.RevokedAt, want.RevokeReason = ptr(at(time.Hour)), "user_revoked"
	checkPAT(t, "revoked token", got, &want)
	cases := []struct {
		name, userID, id string
	}{
		{"already revoked", u.ID, p.ID},
		{"another user's token", u.ID, theirs.ID},
		{"unknown token", u.ID, "pat_00000000000000000000000000"},
		{"unknown user", "usr_00000000000000000000000000", theirs.ID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.RevokePAT(ctx, c.userID, c.id, at(2*time.Hour), "again")
			wantNotFound(t, "RevokePAT", err)
			noLeak(t, err)
		})
	}
	// Nothing above changed the revocation or the other user's token.
	got, _, _ = s.PATByTokenHash(ctx, p.TokenHash)
	checkPAT(t, "revoked token after failed revocations", got, &want)
	got, _, _ = s.PATByTokenHash(ctx, theirs.TokenHash)
	checkPAT(t, "other user's token", got, theirs)
}

func testPATDeletedWithUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "leaver")
	stays := mustCreateUser(t, s, "stayer")
	p := mustCreatePAT(t, s, newPAT(u.ID, base))
	kept := mustCreatePAT(t, s, newPAT(stays.ID, base))
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, _, err := s.PATByTokenHash(ctx, p.TokenHash)
	wantNotFound(t, "PAT of a deleted user", err)
	if _, _, err := s.PATByTokenHash(ctx, kept.TokenHash); err != nil {
		t.Errorf("another user's PAT: %v", err)
	}
}
