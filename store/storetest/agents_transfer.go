package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Tests of TransferAgent (the list is in agents.go).

func testTransferAgent(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	from := mustCreateUser(t, s, "giver")
	to := mustCreateUser(t, s, "taker")
	a, u := mustCreateAgent(t, s, from.ID, "movebot", base)
	stays, _ := mustCreateAgent(t, s, from.ID, "staybot", base)
	for _, id := range []string{a.ID, stays.ID} {
		if err := s.VerifyAgent(ctx, id, "", at(time.Minute)); err != nil {
			t.Fatalf("VerifyAgent: %v", err)
		}
	}
	sess := mustCreateSession(t, s, u.ID, base, 48*time.Hour)
	moved := at(time.Hour)
	hash, prefix := randomHash(), "gth_agt_New…hash"

	errCases := []struct {
		name, id, newOwner string
		hash               []byte
		code               gatehouse.Code
	}{
		{"unknown agent", "agt_00000000000000000000000000", to.ID, hash, gatehouse.CodeNotFound},
		{"unknown new owner", a.ID, "usr_00000000000000000000000000", hash, gatehouse.CodeNotFound},
		{"hash of another agent", a.ID, to.ID, stays.TokenHash, gatehouse.CodeConflict},
		{"empty hash", a.ID, to.ID, nil, gatehouse.CodeInvalidRequest},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			err := s.TransferAgent(ctx, c.id, "", c.newOwner, c.hash, prefix, moved)
			wantCode(t, "TransferAgent", err, c.code)
			noLeak(t, err)
		})
	}
	if at, _ := sessionRevocation(t, s, sess); at != "nil" {
		t.Fatalf("a failed transfer revoked the agent's session (at %s)", at)
	}
	if got, _ := s.AgentByID(ctx, a.ID); got == nil || got.OwnerID != from.ID || got.VerifiedAt == nil || string(got.TokenHash) != string(a.TokenHash) {
		t.Fatalf("a failed transfer changed the agent: %+v", got)
	}

	if err := s.TransferAgent(ctx, a.ID, "", to.ID, hash, prefix, moved); err != nil {
		t.Fatalf("TransferAgent: %v", err)
	}
	got, err := s.AgentByID(ctx, a.ID)
	if err != nil {
		t.Fatalf("AgentByID: %v", err)
	}
	want := *a
	want.OwnerID, want.VerifiedAt, want.UpdatedAt = to.ID, nil, moved
	want.TokenHash, want.TokenPrefix = hash, prefix
	checkAgent(t, "transferred agent (unverified, new token)", got, &want)
	if at, reason := sessionRevocation(t, s, sess); at != stamp(moved) || reason != "agent_transferred" {
		t.Errorf("agent's session revoked at %s (%q), want %s (agent_transferred)", at, reason, stamp(moved))
	}
	if _, _, err := s.AgentByTokenHash(ctx, a.TokenHash); err == nil {
		t.Error("the old token still finds the agent")
	} else {
		wantNotFound(t, "AgentByTokenHash(old token)", err)
	}
	if byNew, _, err := s.AgentByTokenHash(ctx, hash); err != nil || byNew.ID != a.ID {
		t.Errorf("AgentByTokenHash(new token) = %+v, %v", byNew, err)
	}
	lists := []struct {
		name  string
		owner string
		want  []string
	}{
		{"old owner's agents", from.ID, []string{stays.ID}},
		{"new owner's agents", to.ID, []string{a.ID}},
	}
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			got, err := s.ListAgents(ctx, l.owner)
			if err != nil || !slices.Equal(agentIDs(got), l.want) {
				t.Errorf("ListAgents = %v, %v; want %v", agentIDs(got), err, l.want)
			}
		})
	}
	if got, _ := s.AgentByID(ctx, stays.ID); got == nil || got.VerifiedAt == nil {
		t.Errorf("the other agent lost its verification: %+v", got)
	}
}

// testTransferAgentLeavesOrgs: the agent's account leaves every organization; the other members,
// and the other agent's memberships, stay.
func testTransferAgentLeavesOrgs(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	from := mustCreateUser(t, s, "org-giver")
	to := mustCreateUser(t, s, "org-taker")
	a, u := mustCreateAgent(t, s, from.ID, "orgbot", base)
	_, other := mustCreateAgent(t, s, from.ID, "orgstay", base)
	var orgs []*gatehouse.Org
	for i, role := range []gatehouse.Role{gatehouse.RoleAdmin, gatehouse.RoleMember, gatehouse.RoleOwner} {
		o := mustCreateOrg(t, s, "transfer-org-"+string(role), base)
		members := []gatehouse.Membership{
			{OrgID: o.ID, UserID: from.ID, Role: gatehouse.RoleOwner, CreatedAt: base},
			{OrgID: o.ID, UserID: u.ID, Role: role, CreatedAt: at(time.Duration(i) * time.Second)},
			{OrgID: o.ID, UserID: other.ID, Role: gatehouse.RoleMember, CreatedAt: base},
		}
		for _, m := range members {
			if err := s.AddMember(ctx, m); err != nil {
				t.Fatalf("AddMember: %v", err)
			}
		}
		orgs = append(orgs, o)
	}
	if err := s.TransferAgent(ctx, a.ID, from.ID, to.ID, randomHash(), "p", at(time.Hour)); err != nil {
		t.Fatalf("TransferAgent: %v", err)
	}
	for _, o := range orgs {
		members, err := s.ListMembers(ctx, o.ID)
		if err != nil {
			t.Fatalf("ListMembers: %v", err)
		}
		var ids []string
		for _, m := range members {
			ids = append(ids, m.User.ID)
		}
		if want := []string{from.ID, other.ID}; !sameSet(ids, want) {
			t.Errorf("members of %s after the transfer: %v, want %v", o.Name, ids, want)
		}
	}
	if got, err := s.ListUserOrgs(ctx, u.ID); err != nil || len(got) != 0 {
		t.Errorf("ListUserOrgs(agent) = %v, %v; want none", got, err)
	}
}

// testTransferAgentSoleOwner: an agent that is the only owner of an organization is not
// transferred (CodeConflict) and nothing changes.
func testTransferAgentSoleOwner(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	from := mustCreateUser(t, s, "sole-giver")
	to := mustCreateUser(t, s, "sole-taker")
	a, u := mustCreateAgent(t, s, from.ID, "solebot", base)
	if err := s.VerifyAgent(ctx, a.ID, "", base); err != nil {
		t.Fatalf("VerifyAgent: %v", err)
	}
	shared := mustCreateOrg(t, s, "sole-shared", base)
	solo := mustCreateOrg(t, s, "sole-solo", base)
	for _, m := range []gatehouse.Membership{
		{OrgID: shared.ID, UserID: u.ID, Role: gatehouse.RoleMember, CreatedAt: base},
		{OrgID: solo.ID, UserID: u.ID, Role: gatehouse.RoleOwner, CreatedAt: base},
		{OrgID: solo.ID, UserID: from.ID, Role: gatehouse.RoleAdmin, CreatedAt: base},
	} {
		if err := s.AddMember(ctx, m); err != nil {
			t.Fatalf("AddMember: %v", err)
		}
	}
	sess := mustCreateSession(t, s, u.ID, base, time.Hour)
	err := s.TransferAgent(ctx, a.ID, from.ID, to.ID, randomHash(), "p", at(time.Minute))
	wantCode(t, "TransferAgent of a sole owner", err, gatehouse.CodeConflict)
	noLeak(t, err)
	got, err := s.AgentByID(ctx, a.ID)
	if err != nil || got.OwnerID != from.ID || got.VerifiedAt == nil || string(got.TokenHash) != string(a.TokenHash) {
		t.Fatalf("a refused transfer changed the agent: %+v, %v", got, err)
	}
	if at, _ := sessionRevocation(t, s, sess); at != "nil" {
		t.Errorf("a refused transfer revoked the agent's session (at %s)", at)
	}
	if orgs, err := s.ListUserOrgs(ctx, u.ID); err != nil || len(orgs) != 2 {
		t.Errorf("a refused transfer changed the memberships: %v, %v", orgs, err)
	}
	// With a second owner, the transfer goes through.
	if err := s.SetMemberRole(ctx, solo.ID, from.ID, gatehouse.RoleOwner); err != nil {
		t.Fatalf("SetMemberRole: %v", err)
	}
	if err := s.TransferAgent(ctx, a.ID, from.ID, to.ID, randomHash(), "p", at(time.Minute)); err != nil {
		t.Fatalf("TransferAgent with another owner: %v", err)
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
