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
		{"Delete", testDeleteUser},
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

func testUpdateUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	updated := at(24 * time.Hour)
	cases := []struct {
		name  string
		upd   gatehouse.UserUpdate
		apply func(u *gatehouse.User)
	}{
		{"nothing but the time", gatehouse.UserUpdate{}, func(u *gatehouse.User) {}},
		{"display name only", gatehouse.UserUpdate{DisplayName: ptr("New Name")},
			func(u *gatehouse.User) { u.DisplayName = "New Name" }},
		{"every profile field", gatehouse.UserUpdate{
			DisplayName: ptr("D"), AvatarURL: ptr("https://a/x.png"), BannerURL: ptr("https://b/y.png"),
			Description: ptr("desc"), Theme: ptr("light"), Font: ptr("mono"),
		}, func(u *gatehouse.User) {
			u.DisplayName, u.AvatarURL, u.BannerURL = "D", "https://a/x.png", "https://b/y.png"
			u.Description, u.Theme, u.Font = "desc", "light", "mono"
		}},
		{"fields set to empty", gatehouse.UserUpdate{DisplayName: ptr(""), Description: ptr("")},
			func(u *gatehouse.User) { u.DisplayName, u.Description = "", "" }},
		{"make admin", gatehouse.UserUpdate{IsAdmin: ptr(true)}, func(u *gatehouse.User) { u.IsAdmin = true }},
		{"email clears verified", gatehouse.UserUpdate{Email: ptr("New@Example.org")},
			func(u *gatehouse.User) { u.Email, u.EmailVerified = "New@Example.org", false }},
		{"same email still clears verified", gatehouse.UserUpdate{Email: ptr("same@example.com")},
			func(u *gatehouse.User) { u.Email, u.EmailVerified = "same@example.com", false }},
		{"email removed", gatehouse.UserUpdate{Email: ptr("")},
			func(u *gatehouse.User) { u.Email, u.EmailVerified = "", false }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newUser("upd"+string(rune('a'+i)), base)
			if c.upd.Email != nil && *c.upd.Email == "same@example.com" {
				u.Email = "same@example.com"
			}
			u.EmailVerified = true
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			oldEmail := u.Email
			c.upd.UpdatedAt = updated
			got, err := s.UpdateUser(ctx, u.ID, c.upd)
			if err != nil {
				t.Fatalf("UpdateUser: %v", err)
			}
			want := *u
			c.apply(&want)
			want.UpdatedAt = updated
			checkUser(t, "returned user", got, &want)
			again, err := s.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatalf("UserByID: %v", err)
			}
			checkUser(t, "stored user", again, &want)
			if c.upd.Email != nil && *c.upd.Email != oldEmail {
				_, err := s.UserByEmail(ctx, oldEmail)
				wantNotFound(t, "old email", err)
				if *c.upd.Email != "" {
					byEmail, err := s.UserByEmail(ctx, *c.upd.Email)
					if err != nil || byEmail.ID != u.ID {
						t.Errorf("UserByEmail(new) = %v, %v", byEmail, err)
					}
				}
				// The old address is free for someone else.
				other := newUser("taker"+string(rune('a'+i)), base)
				other.Email = oldEmail
				if err := s.CreateUser(ctx, other); err != nil {
					t.Errorf("CreateUser with the freed email: %v", err)
				}
			}
		})
	}
	t.Run("missing user", func(t *testing.T) {
		_, err := s.UpdateUser(ctx, "usr_00000000000000000000000000", gatehouse.UserUpdate{DisplayName: ptr("x"), UpdatedAt: updated})
		wantNotFound(t, "UpdateUser", err)
	})
}

func testUpdateEmailTaken(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	mustCreateUser(t, s, "owner") // owner@Example.com
	u := mustCreateUser(t, s, "mover")
	for _, email := range []string{"owner@Example.com", "OWNER@example.COM"} {
		t.Run(email, func(t *testing.T) {
			_, err := s.UpdateUser(ctx, u.ID, gatehouse.UserUpdate{Email: ptr(email), DisplayName: ptr("changed"), UpdatedAt: at(time.Hour)})
			wantCode(t, "UpdateUser", err, gatehouse.CodeEmailTaken)
			noLeak(t, err)
			got, err := s.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatalf("UserByID: %v", err)
			}
			checkUser(t, "user after the failed update", got, u)
		})
	}
}

func testSetPassword(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	changed := at(time.Hour)
	for _, revoke := range []bool{false, true} {
		name := map[bool]string{false: "keep sessions", true: "revoke sessions"}[revoke]
		t.Run(name, func(t *testing.T) {
			u := mustCreateUser(t, s, map[bool]string{false: "keeper", true: "revoker"}[revoke])
			other := mustCreateUser(t, s, map[bool]string{false: "okeeper", true: "orevoker"}[revoke])
			active := mustCreateSession(t, s, u.ID, base, 7*24*time.Hour)
			loggedOut := mustCreateSession(t, s, u.ID, base, 7*24*time.Hour)
			if err := s.RevokeSession(ctx, u.ID, loggedOut.ID, at(time.Minute), "logout"); err != nil {
				t.Fatalf("RevokeSession: %v", err)
			}
			others := mustCreateSession(t, s, other.ID, base, 7*24*time.Hour)

			if err := s.SetPassword(ctx, u.ID, "$argon2id$new", changed, revoke); err != nil {
				t.Fatalf("SetPassword: %v", err)
			}
			got, err := s.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatalf("UserByID: %v", err)
			}
			want := *u
			want.PasswordHash, want.UpdatedAt = "$argon2id$new", changed
			checkUser(t, "user", got, &want)

			wantActive := *active
			if revoke {
				wantActive.RevokedAt, wantActive.RevokeReason = ptr(changed), "password_changed"
			}
			got1, _, err := s.SessionByTokenHash(ctx, active.TokenHash)
			if err != nil {
				t.Fatalf("SessionByTokenHash: %v", err)
			}
			checkSession(t, "active session", got1, &wantActive)

			wantOut := *loggedOut
			wantOut.RevokedAt, wantOut.RevokeReason = ptr(at(time.Minute)), "logout"
			got2, _, err := s.SessionByTokenHash(ctx, loggedOut.TokenHash)
			if err != nil {
				t.Fatalf("SessionByTokenHash: %v", err)
			}
			checkSession(t, "already revoked session", got2, &wantOut)

			got3, _, err := s.SessionByTokenHash(ctx, others.TokenHash)
			if err != nil {
				t.Fatalf("SessionByTokenHash: %v", err)
			}
			checkSession(t, "other user's session", got3, others)
		})
	}
	t.Run("missing user", func(t *testing.T) {
		for _, revoke := range []bool{false, true} {
			err := s.SetPassword(ctx, "usr_00000000000000000000000000", "$argon2id$x", changed, revoke)
			wantNotFound(t, "SetPassword", err)
		}
	})
}

func testDeleteUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	lobby := mustCreateOrg(t, s, "lobby", base)
	u := newUser("Leaver", base)
	if err := s.CreateUser(ctx, u, gatehouse.Membership{OrgID: lobby.ID, Role: gatehouse.RoleMember}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	stay := mustCreateUser(t, s, "stayer")
	if err := s.AddMember(ctx, gatehouse.Membership{OrgID: lobby.ID, UserID: stay.ID, Role: gatehouse.RoleOwner, CreatedAt: base}); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	sess := mustCreateSession(t, s, u.ID, base, time.Hour)
	staySess := mustCreateSession(t, s, stay.ID, base, time.Hour)
	ev := &gatehouse.AuditEvent{ID: gatehouse.NewID(gatehouse.PrefixEvent, base, nil), Type: gatehouse.EventLogin,
		ActorID: u.ID, SubjectID: u.ID, OrgID: lobby.ID, CreatedAt: base}
	if err := s.AppendAuditEvent(ctx, ev); err != nil {
		t.Fatalf("AppendAuditEvent: %v", err)
	}

	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.UserByID(ctx, u.ID)
	wantNotFound(t, "UserByID after delete", err)
	_, err = s.UserByUsername(ctx, "leaver")
	wantNotFound(t, "UserByUsername after delete", err)
	_, _, err = s.SessionByTokenHash(ctx, sess.TokenHash)
	wantNotFound(t, "SessionByTokenHash after delete", err)
	if ss, err := s.ListSessions(ctx, u.ID, base); err != nil || len(ss) != 0 {
		t.Errorf("ListSessions after delete = %v, %v; want none", ss, err)
	}
	if orgs, err := s.ListUserOrgs(ctx, u.ID); err != nil || len(orgs) != 0 {
		t.Errorf("ListUserOrgs after delete = %v, %v; want none", orgs, err)
	}
	evs, err := s.ListAuditEvents(ctx, gatehouse.AuditFilter{UserID: u.ID})
	if err != nil || len(evs) != 1 || evs[0].ID != ev.ID {
		t.Errorf("audit events after delete = %v, %v; want the one event kept", evs, err)
	}
	// Other rows stay.
	if _, err := s.OrgByID(ctx, lobby.ID); err != nil {
		t.Errorf("OrgByID after delete: %v", err)
	}
	if orgs, err := s.ListUserOrgs(ctx, stay.ID); err != nil || len(orgs) != 1 {
		t.Errorf("other member's orgs = %v, %v", orgs, err)
	}
	if _, _, err := s.SessionByTokenHash(ctx, staySess.TokenHash); err != nil {
		t.Errorf("other user's session: %v", err)
	}
	// Username and email are free at once, in any case.
	again := newUser("LEAVER", at(time.Hour))
	again.Email = "leaver@example.com"
	if err := s.CreateUser(ctx, again); err != nil {
		t.Fatalf("CreateUser with the freed username and email: %v", err)
	}
	wantNotFound(t, "second DeleteUser", s.DeleteUser(ctx, u.ID))
	wantNotFound(t, "DeleteUser of a missing user", s.DeleteUser(ctx, "usr_00000000000000000000000000"))
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
