package storetest

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func memberTests() []test {
	return []test{
		{"CreateOrgWithMembers", testCreateOrgWithMembers},
		{"CreateOrgWithMembersAtomic", testCreateOrgWithMembersAtomic},
		{"MemberRole", testMemberRole},
		{"ListMembers", testListMembers},
		{"SetMemberRole", testSetMemberRole},
		{"RemoveMember", testRemoveMember},
		{"ConcurrentOwnerRemoval", testConcurrentOwnerRemoval},
		{"ConcurrentOwnerDemotion", testConcurrentOwnerDemotion},
	}
}

// mustCreateTeam creates an org named name whose members, created in order a minute apart, have
// the given roles, and returns the org and the members' users.
func mustCreateTeam(t *testing.T, s gatehouse.Store, name string, roles ...gatehouse.Role) (*gatehouse.Org, []*gatehouse.User) {
	t.Helper()
	o := mustCreateOrg(t, s, name, base)
	users := make([]*gatehouse.User, len(roles))
	for i, r := range roles {
		users[i] = mustCreateUser(t, s, fmt.Sprintf("%s-%d", name, i))
		m := gatehouse.Membership{OrgID: o.ID, UserID: users[i].ID, Role: r, CreatedAt: at(time.Duration(i) * time.Minute)}
		if err := s.AddMember(t.Context(), m); err != nil {
			t.Fatalf("AddMember: %v", err)
		}
	}
	return o, users
}

// roles returns the org's members' roles in membership order.
func roles(t *testing.T, s gatehouse.Store, orgID string) []gatehouse.Role {
	t.Helper()
	ms, err := s.ListMembers(t.Context(), orgID)
	if err != nil {
		t.Fatalf("ListMembers: %v", err)
	}
	out := make([]gatehouse.Role, len(ms))
	for i, m := range ms {
		out[i] = m.Role
	}
	return out
}

func testCreateOrgWithMembers(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "founder")
	admin := mustCreateUser(t, s, "helper")
	o := &gatehouse.Org{Name: "startup", CreatedAt: at(time.Hour)}
	err := s.CreateOrg(ctx, o,
		gatehouse.Membership{UserID: owner.ID, Role: gatehouse.RoleOwner}, // OrgID and CreatedAt filled
		gatehouse.Membership{OrgID: "", UserID: admin.ID, Role: gatehouse.RoleAdmin, CreatedAt: at(2 * time.Hour)})
	if err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	got, err := s.ListMembers(ctx, o.ID)
	if err != nil {
		t.Fatalf("ListMembers: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("ListMembers returned %d members, want 2", len(got))
	}
	want := []struct {
		user   *gatehouse.User
		role   gatehouse.Role
		joined time.Time
	}{{owner, gatehouse.RoleOwner, at(time.Hour)}, {admin, gatehouse.RoleAdmin, at(2 * time.Hour)}}
	for i, w := range want {
		checkUser(t, "member", &got[i].User, w.user)
		if got[i].Role != w.role || stamp(got[i].JoinedAt) != stamp(w.joined) {
			t.Errorf("member %d: %q joined %s, want %q %s", i, got[i].Role, stamp(got[i].JoinedAt), w.role, stamp(w.joined))
		}
	}
}

func testCreateOrgWithMembersAtomic(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "hopeful")
	cases := []struct {
		name    string
		members []gatehouse.Membership
		code    gatehouse.Code
	}{
		{"unknown user", []gatehouse.Membership{{UserID: u.ID, Role: gatehouse.RoleOwner},
			{UserID: "usr_00000000000000000000000000", Role: gatehouse.RoleMember}}, gatehouse.CodeNotFound},
		{"same user twice", []gatehouse.Membership{{UserID: u.ID, Role: gatehouse.RoleOwner},
			{UserID: u.ID, Role: gatehouse.RoleMember}}, gatehouse.CodeConflict},
		{"invalid role", []gatehouse.Membership{{UserID: u.ID, Role: "king"}}, gatehouse.CodeInvalidRequest},
		{"another org's membership", []gatehouse.Membership{{OrgID: "org_00000000000000000000000000", UserID: u.ID,
			Role: gatehouse.RoleOwner}}, gatehouse.CodeInvalidRequest},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := fmt.Sprintf("failed%d", i)
			err := s.CreateOrg(ctx, &gatehouse.Org{Name: name, CreatedAt: base}, c.members...)
			wantCode(t, "CreateOrg", err, c.code)
			noLeak(t, err)
			_, err = s.OrgByName(ctx, name)
			wantNotFound(t, "org of a failed creation", err)
		})
	}
	orgs, err := s.ListUserOrgs(ctx, u.ID)
	if err != nil || len(orgs) != 0 {
		t.Errorf("ListUserOrgs = %+v, %v; want none", orgs, err)
	}
}

func testMemberRole(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o, us := mustCreateTeam(t, s, "roles", gatehouse.RoleOwner, gatehouse.RoleAdmin, gatehouse.RoleMember)
	other, _ := mustCreateTeam(t, s, "other", gatehouse.RoleOwner)
	outsider := mustCreateUser(t, s, "outsider")
	cases := []struct {
		name, orgID, userID string
		want                gatehouse.Role // "" for not found
	}{
		{"owner", o.ID, us[0].ID, gatehouse.RoleOwner},
		{"admin", o.ID, us[1].ID, gatehouse.RoleAdmin},
		{"member", o.ID, us[2].ID, gatehouse.RoleMember},
		{"not a member", o.ID, outsider.ID, ""},
		{"member of another org", other.ID, us[0].ID, ""},
		{"unknown org", "org_00000000000000000000000000", us[0].ID, ""},
		{"unknown user", o.ID, "usr_00000000000000000000000000", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.MemberRole(ctx, c.orgID, c.userID)
			if c.want == "" {
				wantNotFound(t, "MemberRole", err)
				return
			}
			if err != nil || got != c.want {
				t.Errorf("MemberRole = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func testListMembers(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "ordered", base)
	mustCreateTeam(t, s, "noise", gatehouse.RoleOwner)
	// Joined in an order that is neither the creation order of the users nor their ID order.
	us := []*gatehouse.User{mustCreateUser(t, s, "u0"), mustCreateUser(t, s, "u1"), mustCreateUser(t, s, "u2")}
	joins := []struct {
		user int
		role gatehouse.Role
		at   time.Time
	}{{2, gatehouse.RoleMember, at(3 * time.Hour)}, {0, gatehouse.RoleOwner, at(time.Hour)}, {1, gatehouse.RoleAdmin, at(2 * time.Hour)}}
	for _, j := range joins {
		if err := s.AddMember(ctx, gatehouse.Membership{OrgID: o.ID, UserID: us[j.user].ID, Role: j.role, CreatedAt: j.at}); err != nil {
			t.Fatalf("AddMember: %v", err)
		}
	}
	got, err := s.ListMembers(ctx, o.ID)
	if err != nil {
		t.Fatalf("ListMembers: %v", err)
	}
	var ids []string
	for i := range got {
		ids = append(ids, got[i].User.ID)
	}
	if want := []string{us[0].ID, us[1].ID, us[2].ID}; !slices.Equal(ids, want) {
		t.Fatalf("ListMembers = %v, want %v (oldest membership first)", ids, want)
	}
	checkUser(t, "listed member", &got[1].User, us[1])
	if got[1].Role != gatehouse.RoleAdmin || stamp(got[1].JoinedAt) != stamp(at(2*time.Hour)) {
		t.Errorf("member 1: %q joined %s", got[1].Role, stamp(got[1].JoinedAt))
	}
	none, err := s.ListMembers(ctx, "org_00000000000000000000000000")
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListMembers of an unknown org = %#v, %v; want an empty list", none, err)
	}
}

func testSetMemberRole(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	O, A, M := gatehouse.RoleOwner, gatehouse.RoleAdmin, gatehouse.RoleMember
	cases := []struct {
		name   string
		team   []gatehouse.Role
		who    int // index into the team; -1: a user who is not a member
		role   gatehouse.Role
		code   gatehouse.Code
		result []gatehouse.Role
	}{
		{"promote member to admin", []gatehouse.Role{O, M}, 1, A, "", []gatehouse.Role{O, A}},
		{"promote admin to owner", []gatehouse.Role{O, A}, 1, O, "", []gatehouse.Role{O, O}},
		{"demote one of two owners", []gatehouse.Role{O, O}, 0, M, "", []gatehouse.Role{M, O}},
		{"demote the only owner", []gatehouse.Role{O, A, M}, 0, A, gatehouse.CodeConflict, []gatehouse.Role{O, A, M}},
		{"only owner stays owner", []gatehouse.Role{O}, 0, O, "", []gatehouse.Role{O}},
		{"demote admin", []gatehouse.Role{O, A}, 1, M, "", []gatehouse.Role{O, M}},
		{"not a member", []gatehouse.Role{O}, -1, A, gatehouse.CodeNotFound, []gatehouse.Role{O}},
		{"invalid role", []gatehouse.Role{O, M}, 1, "root", gatehouse.CodeInvalidRequest, []gatehouse.Role{O, M}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, us := mustCreateTeam(t, s, fmt.Sprintf("set%d", i), c.team...)
			userID := mustCreateUser(t, s, fmt.Sprintf("stranger%d", i)).ID
			if c.who >= 0 {
				userID = us[c.who].ID
			}
			err := s.SetMemberRole(ctx, o.ID, userID, c.role)
			wantCode(t, "SetMemberRole", err, c.code)
			noLeak(t, err)
			if got := roles(t, s, o.ID); !slices.Equal(got, c.result) {
				t.Errorf("roles after = %v, want %v", got, c.result)
			}
		})
	}
	t.Run("unknown org", func(t *testing.T) {
		u := mustCreateUser(t, s, "orgless")
		wantNotFound(t, "SetMemberRole", s.SetMemberRole(ctx, "org_00000000000000000000000000", u.ID, A))
	})
}

func testRemoveMember(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	O, A, M := gatehouse.RoleOwner, gatehouse.RoleAdmin, gatehouse.RoleMember
	cases := []struct {
		name   string
		team   []gatehouse.Role
		who    int // -1: not a member
		code   gatehouse.Code
		result []gatehouse.Role
	}{
		{"member", []gatehouse.Role{O, M}, 1, "", []gatehouse.Role{O}},
		{"admin", []gatehouse.Role{O, A, M}, 1, "", []gatehouse.Role{O, M}},
		{"one of two owners", []gatehouse.Role{O, O}, 1, "", []gatehouse.Role{O}},
		{"the only owner", []gatehouse.Role{O, A}, 0, gatehouse.CodeConflict, []gatehouse.Role{O, A}},
		{"the only member, an owner", []gatehouse.Role{O}, 0, gatehouse.CodeConflict, []gatehouse.Role{O}},
		{"not a member", []gatehouse.Role{O}, -1, gatehouse.CodeNotFound, []gatehouse.Role{O}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, us := mustCreateTeam(t, s, fmt.Sprintf("rm%d", i), c.team...)
			userID := mustCreateUser(t, s, fmt.Sprintf("stranger%d", i)).ID
			if c.who >= 0 {
				userID = us[c.who].ID
			}
			err := s.RemoveMember(ctx, o.ID, userID)
			wantCode(t, "RemoveMember", err, c.code)
			noLeak(t, err)
			if got := roles(t, s, o.ID); !slices.Equal(got, c.result) {
				t.Errorf("roles after = %v, want %v", got, c.result)
			}
			if c.code == "" {
				_, err := s.MemberRole(ctx, o.ID, userID)
				wantNotFound(t, "MemberRole of the removed member", err)
			}
		})
	}
}

// testConcurrentOwnerRemoval: in an org with two owners, each of two goroutines removes a
// different owner at once; exactly one may succeed.
func testConcurrentOwnerRemoval(t *testing.T, s gatehouse.Store) {
	checkOwnerRace(t, s, "remove", func(orgID, userID string) error {
		return s.RemoveMember(t.Context(), orgID, userID)
	})
}

// testConcurrentOwnerDemotion: as testConcurrentOwnerRemoval, with demotions.
func testConcurrentOwnerDemotion(t *testing.T, s gatehouse.Store) {
	checkOwnerRace(t, s, "demote", func(orgID, userID string) error {
		return s.SetMemberRole(t.Context(), orgID, userID, gatehouse.RoleAdmin)
	})
}

func checkOwnerRace(t *testing.T, s gatehouse.Store, what string, change func(orgID, userID string) error) {
	const rounds = 10
	for r := 0; r < rounds; r++ {
		o, us := mustCreateTeam(t, s, fmt.Sprintf("%s%d", what, r), gatehouse.RoleOwner, gatehouse.RoleOwner, gatehouse.RoleMember)
		var ok, conflict atomic.Int32
		parallel(2, func(i int) {
			switch err := change(o.ID, us[i].ID); gatehouse.ErrorCode(err) {
			case "":
				ok.Add(1)
			case gatehouse.CodeConflict:
				conflict.Add(1)
			default:
				t.Errorf("%s owner: %v", what, err)
			}
		})
		if ok.Load() != 1 || conflict.Load() != 1 {
			t.Fatalf("round %d: %d succeeded, %d conflict; want 1 and 1", r, ok.Load(), conflict.Load())
		}
		owners := 0
		for _, role := range roles(t, s, o.ID) {
			if role == gatehouse.RoleOwner {
				owners++
			}
		}
		if owners != 1 {
			t.Fatalf("round %d: %d owners left, want 1", r, owners)
		}
	}
}
