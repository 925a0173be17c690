package storetest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func identityTests() []test {
	return []test{
		{"CreateAndGet", testIdentityCreateAndGet},
		{"Defaults", testIdentityDefaults},
		{"CreateErrors", testIdentityCreateErrors},
		{"List", testIdentityList},
		{"Delete", testIdentityDelete},
		{"CreateConcurrent", testIdentityCreateConcurrent},
		{"DeletedWithUser", testIdentityDeletedWithUser},
		{"SignInGuard", testSignInGuard},
		{"SignInGuardConcurrent", testSignInGuardConcurrent},
	}
}

// newIdentity returns an unsaved identity of userID at provider with subject, every field set.
func newIdentity(userID, provider, subject string, created time.Time) *gatehouse.Identity {
	return &gatehouse.Identity{
		ID:            gatehouse.NewID(gatehouse.PrefixIdentity, created, nil),
		UserID:        userID,
		Provider:      provider,
		Subject:       subject,
		Email:         subject + "@Gmail.example",
		EmailVerified: true,
		CreatedAt:     created,
	}
}

// mustCreateIdentity saves i.
func mustCreateIdentity(t *testing.T, s gatehouse.Store, i *gatehouse.Identity) *gatehouse.Identity {
	t.Helper()
	if err := s.CreateIdentity(t.Context(), i); err != nil {
		t.Fatalf("CreateIdentity: %v", err)
	}
	return i
}

type identityView struct {
	ID, UserID, Provider, Subject, Email string
	EmailVerified                        bool
	CreatedAt                            string
}

func viewIdentity(i *gatehouse.Identity) identityView {
	return identityView{ID: i.ID, UserID: i.UserID, Provider: i.Provider, Subject: i.Subject, Email: i.Email,
		EmailVerified: i.EmailVerified, CreatedAt: stamp(i.CreatedAt)}
}

// checkIdentity fails t unless got equals want (times compared as UTC instants).
func checkIdentity(t *testing.T, what string, got, want *gatehouse.Identity) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil identity", what)
	}
	w := *want
	w.CreatedAt = utc(w.CreatedAt)
	if g, wv := viewIdentity(got), viewIdentity(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
}

func identityIDs(is []gatehouse.Identity) []string {
	ids := make([]string, len(is))
	for i := range is {
		ids[i] = is[i].ID
	}
	return ids
}

func testIdentityCreateAndGet(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "googler")
	i := mustCreateIdentity(t, s, newIdentity(u.ID, "google", "Ab-108234567890123456789", at(time.Minute).In(time.FixedZone("X", -7200))))
	got, gu, err := s.IdentityBySubject(t.Context(), "google", i.Subject)
	if err != nil {
		t.Fatalf("IdentityBySubject: %v", err)
	}
	checkIdentity(t, "IdentityBySubject", got, i)
	checkUser(t, "IdentityBySubject user", gu, u)
	cases := []struct{ name, provider, subject string }{
		{"unknown subject", "google", "999"},
		{"another provider", "github", i.Subject},
		{"subject in another case", "google", strings.ToLower(i.Subject)},
	}
	for _, c := range cases {
		_, _, err := s.IdentityBySubject(t.Context(), c.provider, c.subject)
		wantNotFound(t, "IdentityBySubject: "+c.name, err)
		noLeak(t, err)
	}
}

func testIdentityDefaults(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "defaults")
	before := time.Now().Add(-time.Second)
	i := &gatehouse.Identity{UserID: u.ID, Provider: "google", Subject: "42"}
	mustCreateIdentity(t, s, i)
	if !strings.HasPrefix(i.ID, gatehouse.PrefixIdentity+"_") {
		t.Errorf("ID = %q, want prefix %s_", i.ID, gatehouse.PrefixIdentity)
	}
	if i.CreatedAt.Before(before) || i.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", i.CreatedAt)
	}
	got, _, err := s.IdentityBySubject(t.Context(), "google", "42")
	if err != nil {
		t.Fatalf("IdentityBySubject: %v", err)
	}
	checkIdentity(t, "stored", got, i)
}

func testIdentityCreateErrors(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "linked")
	other := mustCreateUser(t, s, "newcomer")
	taken := mustCreateIdentity(t, s, newIdentity(u.ID, "google", "111", base))
	cases := []struct {
		name string
		edit func(i *gatehouse.Identity)
		code gatehouse.Code // "" for not found
	}{
		{"unknown user", func(i *gatehouse.Identity) { i.UserID = gatehouse.NewID(gatehouse.PrefixUser, base, nil) }, ""},
		{"no user", func(i *gatehouse.Identity) { i.UserID = "" }, gatehouse.CodeInvalidRequest},
		{"no provider", func(i *gatehouse.Identity) { i.Provider = "" }, gatehouse.CodeInvalidRequest},
		{"no subject", func(i *gatehouse.Identity) { i.Subject = "" }, gatehouse.CodeInvalidRequest},
		{"subject linked to another user", func(i *gatehouse.Identity) { i.Subject = taken.Subject }, gatehouse.CodeConflict},
		{"user already linked at the provider", func(i *gatehouse.Identity) { i.UserID = u.ID }, gatehouse.CodeConflict},
		{"subject already linked to the same user", func(i *gatehouse.Identity) { i.UserID, i.Subject = u.ID, taken.Subject }, gatehouse.CodeConflict},
		{"ID in use", func(i *gatehouse.Identity) { i.ID = taken.ID }, gatehouse.CodeConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i := newIdentity(other.ID, "google", "222", at(time.Minute))
			c.edit(i)
			err := s.CreateIdentity(t.Context(), i)
			if c.code == "" {
				wantNotFound(t, "CreateIdentity", err)
			} else {
				wantCode(t, "CreateIdentity", err, c.code)
			}
			noLeak(t, err)
		})
	}
	if got, err := s.ListIdentities(t.Context(), other.ID); err != nil || len(got) != 0 {
		t.Errorf("ListIdentities after failed links = %v, %v; want none", identityIDs(got), err)
	}
	// The same subject at another provider, and another subject for the newcomer, are fine.
	mustCreateIdentity(t, s, newIdentity(other.ID, "github", taken.Subject, at(2*time.Minute)))
	mustCreateIdentity(t, s, newIdentity(other.ID, "google", "222", at(3*time.Minute)))
}

func testIdentityList(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "lister")
	other := mustCreateUser(t, s, "bystander")
	second := mustCreateIdentity(t, s, newIdentity(u.ID, "google", "g-1", at(2*time.Minute)))
	first := mustCreateIdentity(t, s, newIdentity(u.ID, "gitlab", "l-1", at(time.Minute)))
	mustCreateIdentity(t, s, newIdentity(other.ID, "google", "g-2", base))
	got, err := s.ListIdentities(t.Context(), u.ID)
	if err != nil {
		t.Fatalf("ListIdentities: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("ListIdentities = %v, want [%s %s]", identityIDs(got), first.ID, second.ID)
	}
	checkIdentity(t, "oldest", &got[0], first)
	checkIdentity(t, "newest", &got[1], second)
	none, err := s.ListIdentities(t.Context(), gatehouse.NewID(gatehouse.PrefixUser, base, nil))
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListIdentities of an unknown user = %#v, %v; want an empty list", none, err)
	}
}

func testIdentityDelete(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "unlinker")
	other := mustCreateUser(t, s, "intruder")
	i := mustCreateIdentity(t, s, newIdentity(u.ID, "google", "g-1", base))
	keep := mustCreateIdentity(t, s, newIdentity(u.ID, "gitlab", "l-1", base))
	mustCreateIdentity(t, s, newIdentity(other.ID, "github", "h-1", base))
	cases := []struct{ name, userID, provider string }{
		{"another user", other.ID, "google"},
		{"a provider the user has none at", u.ID, "github"},
		{"provider in another case", u.ID, "Google"},
	}
	for _, c := range cases {
		wantNotFound(t, "DeleteIdentity: "+c.name, s.DeleteIdentity(ctx, c.userID, c.provider, nil))
	}
	if err := s.DeleteIdentity(ctx, u.ID, "google", nil); err != nil {
		t.Fatalf("DeleteIdentity: %v", err)
	}
	wantNotFound(t, "DeleteIdentity again", s.DeleteIdentity(ctx, u.ID, "google", nil))
	_, _, err := s.IdentityBySubject(ctx, "google", i.Subject)
	wantNotFound(t, "the unlinked identity", err)
	if got, err := s.ListIdentities(ctx, u.ID); err != nil || len(got) != 1 || got[0].ID != keep.ID {
		t.Errorf("ListIdentities after delete = %v, %v; want [%s]", identityIDs(got), err, keep.ID)
	}
	// The subject may now be linked to another account.
	mustCreateIdentity(t, s, newIdentity(other.ID, "google", i.Subject, at(time.Minute)))
}

// testIdentityCreateConcurrent links one subject to 10 users at once: exactly one link wins.
func testIdentityCreateConcurrent(t *testing.T, s gatehouse.Store) {
	const n = 10
	users := make([]*gatehouse.User, n)
	for i := range users {
		users[i] = mustCreateUser(t, s, fmt.Sprintf("claimant%d", i))
	}
	var ok, refused atomic.Int32
	parallel(n, func(i int) {
		err := s.CreateIdentity(t.Context(), newIdentity(users[i].ID, "google", "contested", base))
		switch {
		case err == nil:
			ok.Add(1)
		case gatehouse.ErrorCode(err) == gatehouse.CodeConflict:
			refused.Add(1)
		default:
			t.Errorf("CreateIdentity: %v", err)
		}
	})
	if ok.Load() != 1 || refused.Load() != n-1 {
		t.Fatalf("%d links succeeded, %d were refused; want 1 and %d", ok.Load(), refused.Load(), n-1)
	}
}

func testIdentityDeletedWithUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "leaver")
	keep := mustCreateUser(t, s, "stayer")
	i := mustCreateIdentity(t, s, newIdentity(u.ID, "google", "gone", base))
	kept := mustCreateIdentity(t, s, newIdentity(keep.ID, "google", "kept", base))
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, _, err := s.IdentityBySubject(ctx, "google", i.Subject)
	wantNotFound(t, "the deleted user's identity", err)
	if got, err := s.ListIdentities(ctx, u.ID); err != nil || len(got) != 0 {
		t.Errorf("ListIdentities of the deleted user = %v, %v; want none", identityIDs(got), err)
	}
	got, _, err := s.IdentityBySubject(ctx, "google", kept.Subject)
	if err != nil {
		t.Fatalf("IdentityBySubject of the other user: %v", err)
	}
	checkIdentity(t, "the other user's identity", got, kept)
	// The subject is free to sign up again.
	mustCreateIdentity(t, s, newIdentity(mustCreateUser(t, s, "returner").ID, "google", i.Subject, at(time.Minute)))
}
