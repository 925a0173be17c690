package storetest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func userTests() []test {
	return []test{
		{"CreateAndRead", testUserCreateAndRead},
		{"TimesUTCMillis", testUserTimes},
		{"AssignsIDAndTimes", testUserDefaults},
		{"NotFound", testUserNotFound},
		{"UsernameTakenCaseInsensitive", testUsernameTaken},
		{"EmailTakenCaseInsensitive", testEmailTaken},
		{"EmptyEmailManyUsers", testEmptyEmail},
		{"DuplicateID", testUserDuplicateID},
		{"CreateWithMemberships", testCreateWithMemberships},
		{"CreateWithMembershipsAtomic", testCreateWithMembershipsAtomic},
		{"Update", testUpdateUser},
		{"UpdateEmailTaken", testUpdateEmailTaken},
		{"SetPassword", testSetPassword},
		{"PlanSource", testPlanSource},
		{"Delete", testDeleteUser},
		{"DeleteOwnedOrgs", testDeleteUserOwnedOrgs},
		{"DeleteAgentOwnedOrgs", testDeleteAgentOwnedOrgs},
		{"ConcurrentCreateSameUsername", testConcurrentCreate},
	}
}

func testUserCreateAndRead(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := newUser("Alice", base)
	u.EmailVerified = true
	u.IsAdmin = true
	u.DisabledAt = ptr(at(time.Hour))
	u.UpdatedAt = at(2 * time.Hour)
	agent := newUser("build-bot", at(time.Minute))
	agent.Kind = gatehouse.KindAgent
	agent.Email, agent.PasswordHash = "", ""
	for _, x := range []*gatehouse.User{u, agent} {
		if err := s.CreateUser(ctx, x); err != nil {
			t.Fatalf("CreateUser(%s): %v", x.Username, err)
		}
	}
	cases := []struct {
		name string
		get  func() (*gatehouse.User, error)
		want *gatehouse.User
	}{
		{"by ID", func() (*gatehouse.User, error) { return s.UserByID(ctx, u.ID) }, u},
		{"by username as typed", func() (*gatehouse.User, error) { return s.UserByUsername(ctx, "Alice") }, u},
		{"by username lower", func() (*gatehouse.User, error) { return s.UserByUsername(ctx, "alice") }, u},
		{"by username upper", func() (*gatehouse.User, error) { return s.UserByUsername(ctx, "ALICE") }, u},
		{"by email as typed", func() (*gatehouse.User, error) { return s.UserByEmail(ctx, "Alice@Example.com") }, u},
		{"by email other case", func() (*gatehouse.User, error) { return s.UserByEmail(ctx, "aLiCe@eXaMpLe.COM") }, u},
		{"agent by ID", func() (*gatehouse.User, error) { return s.UserByID(ctx, agent.ID) }, agent},
		{"agent by username", func() (*gatehouse.User, error) { return s.UserByUsername(ctx, "BUILD-BOT") }, agent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.get()
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			checkUser(t, c.name, got, c.want)
			if got.Disabled() != (c.want.DisabledAt != nil) {
				t.Errorf("Disabled() = %v", got.Disabled())
			}
		})
	}
}

func testUserTimes(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	cases := []struct {
		name    string
		created time.Time
	}{
		{"utc millis", base},
		{"other zone", base.In(zone).Add(7 * time.Millisecond)},
		{"sub-millisecond", base.Add(123*time.Millisecond + 456789*time.Nanosecond)},
		{"before 2000", time.Date(1999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newUser("timer"+string(rune('a'+i)), c.created)
			u.DisabledAt = ptr(c.created.Add(time.Second))
			want := newUser(u.Username, c.created)
			want.ID = u.ID
			want.DisabledAt = u.DisabledAt
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			got, err := s.UserByID(ctx, want.ID)
			if err != nil {
				t.Fatalf("UserByID: %v", err)
			}
			for _, tm := range []struct {
				name      string
				got, want time.Time
			}{
				{"CreatedAt", got.CreatedAt, want.CreatedAt},
				{"UpdatedAt", got.UpdatedAt, want.UpdatedAt},
				{"DisabledAt", *got.DisabledAt, *want.DisabledAt},
			} {
				if tm.got.Location() != time.UTC {
					t.Errorf("%s in %v, want UTC", tm.name, tm.got.Location())
				}
				// At least millisecond precision: the stored instant is the written one, or it
				// truncated to the millisecond.
				if !tm.got.Equal(tm.want) && !tm.got.Equal(tm.want.Truncate(time.Millisecond)) {
					t.Errorf("%s = %s, want %s (to the millisecond)", tm.name, stamp(tm.got), stamp(tm.want))
				}
			}
		})
	}
}

func testUserDefaults(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := &gatehouse.User{Kind: gatehouse.KindUser, Username: "noid"}
	before := time.Now().Add(-time.Second)
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if len(u.ID) != len(gatehouse.PrefixUser)+1+26 || u.ID[:4] != "usr_" {
		t.Fatalf("assigned ID %q, want a usr_ ID", u.ID)
	}
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID(%q): %v", u.ID, err)
	}
	if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("assigned CreatedAt %s, want about now", stamp(got.CreatedAt))
	}
}

func testUserNotFound(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	noEmail := newUser("ghost", base)
	noEmail.Email = ""
	if err := s.CreateUser(ctx, noEmail); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	cases := []struct {
		name string
		get  func() (*gatehouse.User, error)
	}{
		{"by ID", func() (*gatehouse.User, error) { return s.UserByID(ctx, "usr_00000000000000000000000000") }},
		{"by username", func() (*gatehouse.User, error) { return s.UserByUsername(ctx, "nobody") }},
		{"by email", func() (*gatehouse.User, error) { return s.UserByEmail(ctx, "nobody@example.com") }},
		{"by empty email", func() (*gatehouse.User, error) { return s.UserByEmail(ctx, "") }},
		{"by empty username", func() (*gatehouse.User, error) { return s.UserByUsername(ctx, "") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := c.get()
			wantNotFound(t, c.name, err)
			if u != nil {
				t.Errorf("got user %q with the error", u.ID)
			}
		})
	}
}

func testUsernameTaken(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	mustCreateUser(t, s, "Alice")
	for i, name := range []string{"Alice", "alice", "ALICE", "aLiCe"} {
		t.Run(name, func(t *testing.T) {
			u := newUser(name, base)
			u.Email = string(rune('a'+i)) + "other@example.com"
			err := s.CreateUser(ctx, u)
			wantCode(t, "CreateUser", err, gatehouse.CodeUsernameTaken)
			noLeak(t, err)
			_, err = s.UserByID(ctx, u.ID)
			wantNotFound(t, "the rejected user", err)
		})
	}
}

func testEmailTaken(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	mustCreateUser(t, s, "alice") // alice@Example.com
	for i, email := range []string{"alice@Example.com", "alice@example.com", "ALICE@EXAMPLE.COM"} {
		t.Run(email, func(t *testing.T) {
			u := newUser("bob"+string(rune('a'+i)), base)
			u.Email = email
			err := s.CreateUser(ctx, u)
			wantCode(t, "CreateUser", err, gatehouse.CodeEmailTaken)
			noLeak(t, err)
			_, err = s.UserByUsername(ctx, u.Username)
			wantNotFound(t, "the rejected user", err)
		})
	}
}

func testEmptyEmail(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	for _, name := range []string{"one", "two", "three"} {
		u := newUser(name, base)
		u.Email = ""
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser(%s) without email: %v", name, err)
		}
		got, err := s.UserByUsername(ctx, name)
		if err != nil {
			t.Fatalf("UserByUsername(%s): %v", name, err)
		}
		if got.Email != "" {
			t.Errorf("Email = %q, want empty", got.Email)
		}
	}
}

func testUserDuplicateID(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "first")
	dup := newUser("second", base)
	dup.ID = u.ID
	err := s.CreateUser(t.Context(), dup)
	wantCode(t, "CreateUser with a taken ID", err, gatehouse.CodeConflict)
	noLeak(t, err)
}

func testCreateWithMemberships(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	lobby := mustCreateOrg(t, s, "lobby", base)
	crew := mustCreateOrg(t, s, "crew", base)
	u := newUser("joiner", at(time.Hour))
	err := s.CreateUser(ctx, u,
		gatehouse.Membership{OrgID: crew.ID, Role: gatehouse.RoleAdmin, CreatedAt: at(time.Hour)},
		gatehouse.Membership{OrgID: lobby.ID, UserID: u.ID, Role: gatehouse.RoleMember, CreatedAt: at(2 * time.Hour)},
	)
	if err != nil {
		t.Fatalf("CreateUser with memberships: %v", err)
	}
	got, err := s.ListUserOrgs(ctx, u.ID)
	if err != nil {
		t.Fatalf("ListUserOrgs: %v", err)
	}
	if len(got) != 2 || got[0].Org.ID != crew.ID || got[0].Role != gatehouse.RoleAdmin ||
		got[1].Org.ID != lobby.ID || got[1].Role != gatehouse.RoleMember {
		t.Fatalf("ListUserOrgs = %+v, want crew (admin) then lobby (member)", got)
	}
	if !got[1].JoinedAt.Equal(at(2*time.Hour)) || got[1].JoinedAt.Location() != time.UTC {
		t.Errorf("JoinedAt = %s, want %s", stamp(got[1].JoinedAt), stamp(at(2*time.Hour)))
	}
}

func testCreateWithMembershipsAtomic(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	lobby := mustCreateOrg(t, s, "lobby", base)
	cases := []struct {
		name        string
		memberships []gatehouse.Membership
		code        gatehouse.Code // "" when any error will do
	}{
		{"unknown org", []gatehouse.Membership{
			{OrgID: lobby.ID, Role: gatehouse.RoleMember},
			{OrgID: "org_00000000000000000000000000", Role: gatehouse.RoleMember},
		}, gatehouse.CodeNotFound},
		{"same org twice", []gatehouse.Membership{
			{OrgID: lobby.ID, Role: gatehouse.RoleMember},
			{OrgID: lobby.ID, Role: gatehouse.RoleAdmin},
		}, gatehouse.CodeConflict},
		{"invalid role", []gatehouse.Membership{
			{OrgID: lobby.ID, Role: gatehouse.RoleMember},
			{OrgID: lobby.ID, Role: "emperor"},
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newUser("atomic", base)
			err := s.CreateUser(ctx, u, c.memberships...)
			if err == nil {
				t.Fatalf("CreateUser succeeded, want an error")
			}
			if c.code != "" {
				wantCode(t, "CreateUser", err, c.code)
			}
			noLeak(t, err)
			_, err = s.UserByID(ctx, u.ID)
			wantNotFound(t, "user after the failed create", err)
			_, err = s.UserByUsername(ctx, "atomic")
			wantNotFound(t, "username after the failed create", err)
			orgs, err := s.ListUserOrgs(ctx, u.ID)
			if err != nil || len(orgs) != 0 {
				t.Errorf("ListUserOrgs = %v, %v; want no memberships", orgs, err)
			}
		})
	}
	// The name and email stayed free.
	if err := s.CreateUser(ctx, newUser("atomic", base)); err != nil {
		t.Fatalf("CreateUser after the failures: %v", err)
	}
}

func testConcurrentCreate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	const n = 20
	var ok, taken atomic.Int32
	parallel(n, func(i int) {
		u := newUser("racer", base)
		if i%2 == 1 {
			u.Username = "RACER"
		}
		u.Email = string(rune('a'+i)) + "@race.example"
		err := s.CreateUser(ctx, u)
		switch gatehouse.ErrorCode(err) {
		case "":
			ok.Add(1)
		case gatehouse.CodeUsernameTaken:
			taken.Add(1)
		default:
			t.Errorf("CreateUser: %v", err)
		}
	})
	if ok.Load() != 1 || taken.Load() != n-1 {
		t.Fatalf("%d created, %d username_taken; want 1 and %d", ok.Load(), taken.Load(), n-1)
	}
}
