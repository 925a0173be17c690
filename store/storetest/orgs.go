package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func orgTests() []test {
	return []test{
		{"CreateAndRead", testOrgCreateAndRead},
		{"NameTakenCaseInsensitive", testOrgNameTaken},
		{"NotFound", testOrgNotFound},
		{"AddMember", testAddMember},
		{"ListUserOrgsOrder", testListUserOrgs},
	}
}

func checkOrg(t *testing.T, what string, got, want *gatehouse.Org) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil org", what)
	}
	if got.ID != want.ID || got.Name != want.Name || stamp(got.CreatedAt) != stamp(want.CreatedAt.UTC()) {
		t.Errorf("%s: got {%s %q %s}, want {%s %q %s}", what, got.ID, got.Name, stamp(got.CreatedAt),
			want.ID, want.Name, stamp(want.CreatedAt.UTC()))
	}
}

func testOrgCreateAndRead(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "Acme Corp", base.In(time.FixedZone("X", -7*3600)))
	cases := []struct {
		name string
		get  func() (*gatehouse.Org, error)
	}{
		{"by ID", func() (*gatehouse.Org, error) { return s.OrgByID(ctx, o.ID) }},
		{"by name", func() (*gatehouse.Org, error) { return s.OrgByName(ctx, "Acme Corp") }},
		{"by name lower", func() (*gatehouse.Org, error) { return s.OrgByName(ctx, "acme corp") }},
		{"by name upper", func() (*gatehouse.Org, error) { return s.OrgByName(ctx, "ACME CORP") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.get()
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			checkOrg(t, c.name, got, o)
		})
	}
	t.Run("assigns ID and time", func(t *testing.T) {
		x := &gatehouse.Org{Name: "unnamed"}
		if err := s.CreateOrg(ctx, x); err != nil {
			t.Fatalf("CreateOrg: %v", err)
		}
		if len(x.ID) != len(gatehouse.PrefixOrg)+1+26 || x.ID[:4] != "org_" {
			t.Fatalf("assigned ID %q, want an org_ ID", x.ID)
		}
		got, err := s.OrgByID(ctx, x.ID)
		if err != nil || got.CreatedAt.IsZero() {
			t.Fatalf("OrgByID = %v, %v; want the org with a creation time", got, err)
		}
	})
}

func testOrgNameTaken(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	first := mustCreateOrg(t, s, "Lobby", base)
	for _, name := range []string{"Lobby", "lobby", "LOBBY"} {
		t.Run(name, func(t *testing.T) {
			o := &gatehouse.Org{ID: gatehouse.NewID(gatehouse.PrefixOrg, base, nil), Name: name, CreatedAt: base}
			err := s.CreateOrg(ctx, o)
			wantCode(t, "CreateOrg", err, gatehouse.CodeConflict)
			noLeak(t, err)
			_, err = s.OrgByID(ctx, o.ID)
			wantNotFound(t, "rejected org", err)
		})
	}
	t.Run("same ID", func(t *testing.T) {
		err := s.CreateOrg(ctx, &gatehouse.Org{ID: first.ID, Name: "other", CreatedAt: base})
		wantCode(t, "CreateOrg", err, gatehouse.CodeConflict)
	})
}

func testOrgNotFound(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	mustCreateOrg(t, s, "exists", base)
	_, err := s.OrgByID(ctx, "org_00000000000000000000000000")
	wantNotFound(t, "OrgByID", err)
	_, err = s.OrgByName(ctx, "missing")
	wantNotFound(t, "OrgByName", err)
	_, err = s.OrgByName(ctx, "")
	wantNotFound(t, "OrgByName empty", err)
}

func testAddMember(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "team", base)
	u := mustCreateUser(t, s, "member")
	if err := s.AddMember(ctx, gatehouse.Membership{OrgID: o.ID, UserID: u.ID, Role: gatehouse.RoleAdmin, CreatedAt: at(time.Minute)}); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	cases := []struct {
		name  string
		m     gatehouse.Membership
		check func(t *testing.T, err error)
	}{
		{"already a member", gatehouse.Membership{OrgID: o.ID, UserID: u.ID, Role: gatehouse.RoleMember, CreatedAt: base},
			func(t *testing.T, err error) { wantCode(t, "AddMember", err, gatehouse.CodeConflict) }},
		{"unknown org", gatehouse.Membership{OrgID: "org_00000000000000000000000000", UserID: u.ID, Role: gatehouse.RoleMember, CreatedAt: base},
			func(t *testing.T, err error) { wantNotFound(t, "AddMember", err) }},
		{"unknown user", gatehouse.Membership{OrgID: o.ID, UserID: "usr_00000000000000000000000000", Role: gatehouse.RoleMember, CreatedAt: base},
			func(t *testing.T, err error) { wantNotFound(t, "AddMember", err) }},
		{"invalid role", gatehouse.Membership{OrgID: o.ID, UserID: u.ID, Role: "emperor", CreatedAt: base},
			func(t *testing.T, err error) { wantCode(t, "AddMember", err, gatehouse.CodeInvalidRequest) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.AddMember(ctx, c.m)
			c.check(t, err)
			noLeak(t, err)
		})
	}
	got, err := s.ListUserOrgs(ctx, u.ID)
	if err != nil || len(got) != 1 || got[0].Role != gatehouse.RoleAdmin || !got[0].JoinedAt.Equal(at(time.Minute)) {
		t.Fatalf("ListUserOrgs = %+v, %v; want the one admin membership", got, err)
	}
}

func testListUserOrgs(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "joiner")
	other := mustCreateUser(t, s, "other")
	// Orgs are created in one order and joined in another: the list follows the joins.
	o1 := mustCreateOrg(t, s, "one", base)
	o2 := mustCreateOrg(t, s, "two", at(time.Minute))
	o3 := mustCreateOrg(t, s, "three", at(2*time.Minute))
	joins := []gatehouse.Membership{
		{OrgID: o3.ID, UserID: u.ID, Role: gatehouse.RoleOwner, CreatedAt: at(time.Hour)},
		{OrgID: o1.ID, UserID: u.ID, Role: gatehouse.RoleMember, CreatedAt: at(2 * time.Hour)},
		{OrgID: o2.ID, UserID: u.ID, Role: gatehouse.RoleAdmin, CreatedAt: at(3 * time.Hour)},
		{OrgID: o2.ID, UserID: other.ID, Role: gatehouse.RoleOwner, CreatedAt: base},
	}
	// Insert in an order that is neither the org order nor the join order.
	for _, i := range []int{2, 0, 3, 1} {
		if err := s.AddMember(ctx, joins[i]); err != nil {
			t.Fatalf("AddMember: %v", err)
		}
	}
	got, err := s.ListUserOrgs(ctx, u.ID)
	if err != nil {
		t.Fatalf("ListUserOrgs: %v", err)
	}
	want := []struct {
		org    *gatehouse.Org
		role   gatehouse.Role
		joined time.Time
	}{
		{o3, gatehouse.RoleOwner, at(time.Hour)},
		{o1, gatehouse.RoleMember, at(2 * time.Hour)},
		{o2, gatehouse.RoleAdmin, at(3 * time.Hour)},
	}
	if len(got) != len(want) {
		t.Fatalf("ListUserOrgs returned %d orgs, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		checkOrg(t, "org", &got[i].Org, w.org)
		if got[i].Role != w.role || stamp(got[i].JoinedAt) != stamp(w.joined) {
			t.Errorf("membership %d: role %q joined %s, want %q %s", i, got[i].Role, stamp(got[i].JoinedAt), w.role, stamp(w.joined))
		}
	}
	none, err := s.ListUserOrgs(ctx, "usr_00000000000000000000000000")
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListUserOrgs of an unknown user = %#v, %v; want an empty list", none, err)
	}
}
