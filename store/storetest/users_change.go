package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Tests of the methods that change or remove an existing user (the list is in users.go).

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
		{"mark verified", gatehouse.UserUpdate{EmailVerified: ptr(true)},
			func(u *gatehouse.User) { u.EmailVerified = true }},
		{"mark unverified", gatehouse.UserUpdate{EmailVerified: ptr(false)},
			func(u *gatehouse.User) { u.EmailVerified = false }},
		{"new email marked verified", gatehouse.UserUpdate{Email: ptr("Verified@Example.org"), EmailVerified: ptr(true)},
			func(u *gatehouse.User) { u.Email, u.EmailVerified = "Verified@Example.org", true }},
		{"new email and verified false", gatehouse.UserUpdate{Email: ptr("unv@example.org"), EmailVerified: ptr(false)},
			func(u *gatehouse.User) { u.Email, u.EmailVerified = "unv@example.org", false }},
		{"verified with another field", gatehouse.UserUpdate{EmailVerified: ptr(true), Theme: ptr("light")},
			func(u *gatehouse.User) { u.EmailVerified, u.Theme = true, "light" }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newUser("upd"+string(rune('a'+i)), base)
			if c.upd.Email != nil && *c.upd.Email == "same@example.com" {
				u.Email = "same@example.com"
			}
			// Verified, unless the update marks it verified: every case changes what it sets.
			u.EmailVerified = c.upd.EmailVerified == nil || !*c.upd.EmailVerified
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
