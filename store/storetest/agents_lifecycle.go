package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Tests of the methods that change or remove an existing agent (the list is in agents.go).

// sessionRevocation returns the session's revocation time and reason.
func sessionRevocation(t *testing.T, s gatehouse.Store, sess *gatehouse.Session) (string, string) {
	t.Helper()
	got, _, err := s.SessionByTokenHash(t.Context(), sess.TokenHash)
	if err != nil {
		t.Fatalf("SessionByTokenHash: %v", err)
	}
	return stampPtr(got.RevokedAt), got.RevokeReason
}

func testRotateAgentToken(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "owner")
	a, u := mustCreateAgent(t, s, owner.ID, "rotabot", base)
	other, _ := mustCreateAgent(t, s, owner.ID, "otherbot", base)
	if err := s.VerifyAgent(ctx, a.ID, "", at(time.Minute)); err != nil {
		t.Fatalf("VerifyAgent: %v", err)
	}
	agentSess := mustCreateSession(t, s, u.ID, base, 48*time.Hour)
	ownerSess := mustCreateSession(t, s, owner.ID, base, 48*time.Hour)
	rotated := at(time.Hour)

	t.Run("hash taken", func(t *testing.T) {
		err := s.RotateAgentToken(ctx, a.ID, "", other.TokenHash, "gth_agt_dup", rotated)
		wantCode(t, "RotateAgentToken", err, gatehouse.CodeConflict)
		noLeak(t, err)
		if at, _ := sessionRevocation(t, s, agentSess); at != "nil" {
			t.Errorf("a failed rotation revoked the agent's session (at %s)", at)
		}
	})
	t.Run("unknown agent", func(t *testing.T) {
		wantNotFound(t, "RotateAgentToken", s.RotateAgentToken(ctx, "agt_00000000000000000000000000", "", randomHash(), "p", rotated))
	})

	newHash := randomHash()
	if err := s.RotateAgentToken(ctx, a.ID, "", newHash, "gth_agt_NeW…", rotated); err != nil {
		t.Fatalf("RotateAgentToken: %v", err)
	}
	_, _, err := s.AgentByTokenHash(ctx, a.TokenHash)
	wantNotFound(t, "old token hash", err)
	got, gu, err := s.AgentByTokenHash(ctx, newHash)
	if err != nil {
		t.Fatalf("AgentByTokenHash(new): %v", err)
	}
	want := *a
	want.TokenHash, want.TokenPrefix, want.VerifiedAt, want.UpdatedAt = newHash, "gth_agt_NeW…", ptr(at(time.Minute)), rotated
	checkAgent(t, "rotated agent (still verified)", got, &want)
	checkUser(t, "account", gu, u)
	cases := []struct {
		name       string
		sess       *gatehouse.Session
		wantAt     string
		wantReason string
	}{
		{"agent's session revoked", agentSess, stamp(rotated), "agent_rotated"},
		{"owner's session untouched", ownerSess, "nil", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if at, reason := sessionRevocation(t, s, c.sess); at != c.wantAt || reason != c.wantReason {
				t.Errorf("revoked at %s (%q), want %s (%q)", at, reason, c.wantAt, c.wantReason)
			}
		})
	}
}

// agentFootprint is what belongs to an agent's account: checked gone or present after deletes.
type agentFootprint struct {
	agent *gatehouse.Agent
	user  *gatehouse.User
	sess  *gatehouse.Session
	pat   *gatehouse.PersonalAccessToken
	org   *gatehouse.Org
}

func mustCreateAgentFootprint(t *testing.T, s gatehouse.Store, ownerID, name string) agentFootprint {
	t.Helper()
	a, u := mustCreateAgent(t, s, ownerID, name, base)
	o := mustCreateOrg(t, s, name+"-org", base)
	if err := s.AddMember(t.Context(), gatehouse.Membership{OrgID: o.ID, UserID: u.ID, Role: gatehouse.RoleMember, CreatedAt: base}); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
	return agentFootprint{a, u, mustCreateSession(t, s, u.ID, base, time.Hour), mustCreatePAT(t, s, newPAT(u.ID, base)), o}
}

// check fails t unless everything of f is gone (or, with !gone, all present).
func (f agentFootprint) check(t *testing.T, s gatehouse.Store, gone bool) {
	t.Helper()
	ctx := t.Context()
	_, errAgent := s.AgentByID(ctx, f.agent.ID)
	_, errUser := s.UserByID(ctx, f.user.ID)
	_, _, errSess := s.SessionByTokenHash(ctx, f.sess.TokenHash)
	_, _, errPAT := s.PATByTokenHash(ctx, f.pat.TokenHash)
	members, errMembers := s.ListMembers(ctx, f.org.ID)
	if errMembers != nil {
		t.Fatalf("ListMembers: %v", errMembers)
	}
	for what, err := range map[string]error{"agent": errAgent, "account": errUser, "session": errSess, "PAT": errPAT} {
		if gone {
			wantNotFound(t, f.agent.Name+"'s "+what, err)
		} else if err != nil {
			t.Errorf("%s's %s: %v (want it kept)", f.agent.Name, what, err)
		}
	}
	if gone && len(members) != 0 || !gone && len(members) != 1 {
		t.Errorf("%s's org has %d members, want %d", f.agent.Name, len(members), map[bool]int{true: 0, false: 1}[gone])
	}
}

func testDeleteAgent(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "owner")
	doomed := mustCreateAgentFootprint(t, s, owner.ID, "doomedbot")
	// An agent owned by the deleted agent's account goes with it.
	sub := mustCreateAgentFootprint(t, s, doomed.user.ID, "subbot")
	kept := mustCreateAgentFootprint(t, s, owner.ID, "keptbot")
	if err := s.DeleteAgent(ctx, doomed.agent.ID, ""); err != nil {
		t.Fatalf("DeleteAgent: %v", err)
	}
	doomed.check(t, s, true)
	sub.check(t, s, true)
	kept.check(t, s, false)
	if _, err := s.UserByID(ctx, owner.ID); err != nil {
		t.Errorf("owner after DeleteAgent: %v", err)
	}
	wantNotFound(t, "DeleteAgent again", s.DeleteAgent(ctx, doomed.agent.ID, ""))
	wantNotFound(t, "DeleteAgent of a user's ID", s.DeleteAgent(ctx, owner.ID, ""))
}

func testAgentsDeletedWithOwner(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "leaving")
	other := mustCreateUser(t, s, "staying")
	first := mustCreateAgentFootprint(t, s, owner.ID, "firstbot")
	second := mustCreateAgentFootprint(t, s, owner.ID, "secondbot")
	nested := mustCreateAgentFootprint(t, s, first.user.ID, "nestedbot")
	kept := mustCreateAgentFootprint(t, s, other.ID, "otherbot")
	if err := s.DeleteUser(ctx, owner.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.UserByID(ctx, owner.ID)
	wantNotFound(t, "deleted owner", err)
	first.check(t, s, true)
	second.check(t, s, true)
	nested.check(t, s, true)
	kept.check(t, s, false)
	if list, err := s.ListAgents(ctx, owner.ID); err != nil || len(list) != 0 {
		t.Errorf("ListAgents of the deleted owner = %v, %v; want none", agentIDs(list), err)
	}
	wantNotFound(t, "DeleteUser again", s.DeleteUser(ctx, owner.ID))
}
