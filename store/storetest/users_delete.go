package storetest

import (
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// testDeleteUserOwnedOrgs: deleting the last owner of an organization with other members is
// refused with CodeConflict naming it, and nothing is deleted; an organization whose members all
// go with the account (the user and its agents) is deleted, with its API keys and OAuth clients;
// organizations that keep an owner, or that the account only belongs to, stay.
func testDeleteUserOwnedOrgs(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "orgowner")
	other := mustCreateUser(t, s, "orgmember")
	_, bot := mustCreateAgent(t, s, u.ID, "orgbot", base)
	add := func(o *gatehouse.Org, userID string, role gatehouse.Role) { mustAddMember(t, s, o, userID, role) }
	solo := mustCreateOrg(t, s, "solo-org", base) // the owner and its agent
	add(solo, u.ID, gatehouse.RoleOwner)
	add(solo, bot.ID, gatehouse.RoleMember)
	key := mustCreateAPIKey(t, s, newAPIKey(solo.ID, base))
	client := mustCreateOAuthClient(t, s, newOAuthClient(solo.ID, base))
	botOrg := mustCreateOrg(t, s, "bot-org", base) // owned by the agent alone
	add(botOrg, bot.ID, gatehouse.RoleOwner)
	shared := mustCreateOrg(t, s, "shared-org", base) // another member, no other owner
	add(shared, u.ID, gatehouse.RoleOwner)
	add(shared, other.ID, gatehouse.RoleAdmin)
	coOwned := mustCreateOrg(t, s, "co-owned-org", base)
	add(coOwned, u.ID, gatehouse.RoleOwner)
	add(coOwned, other.ID, gatehouse.RoleOwner)
	lobby := mustCreateOrg(t, s, "lobby-org", base) // the account is only a member, and the last
	add(lobby, u.ID, gatehouse.RoleMember)

	err := s.DeleteUser(ctx, u.ID)
	wantCode(t, "DeleteUser of the last owner of shared-org", err, gatehouse.CodeConflict)
	if msg := gatehouse.ErrorMessage(err); !strings.Contains(msg, "shared-org") || strings.Contains(msg, "solo-org") || strings.Contains(msg, "co-owned-org") {
		t.Errorf("conflict message %q: want it to name shared-org only", msg)
	}
	for _, id := range []string{u.ID, bot.ID} {
		if _, err := s.UserByID(ctx, id); err != nil {
			t.Errorf("UserByID after a refused deletion: %v", err)
		}
	}
	if _, err := s.OrgByID(ctx, solo.ID); err != nil {
		t.Errorf("OrgByID(solo) after a refused deletion: %v", err)
	}
	if _, err := s.APIKeyByTokenHash(ctx, key.TokenHash); err != nil {
		t.Errorf("APIKeyByTokenHash after a refused deletion: %v", err)
	}

	if err := s.SetMemberRole(ctx, shared.ID, other.ID, gatehouse.RoleOwner); err != nil {
		t.Fatalf("SetMemberRole: %v", err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	for name, id := range map[string]string{"solo": solo.ID, "bot-org": botOrg.ID} {
		_, err := s.OrgByID(ctx, id)
		wantNotFound(t, "OrgByID("+name+") after its owner's deletion", err)
	}
	_, err = s.APIKeyByTokenHash(ctx, key.TokenHash)
	wantNotFound(t, "APIKeyByTokenHash of the deleted org's key", err)
	_, err = s.OAuthClientByID(ctx, client.ID)
	wantNotFound(t, "OAuthClientByID of the deleted org's client", err)
	for name, id := range map[string]string{"shared": shared.ID, "co-owned": coOwned.ID, "lobby": lobby.ID} {
		if _, err := s.OrgByID(ctx, id); err != nil {
			t.Errorf("OrgByID(%s) after the deletion: %v", name, err)
		}
	}
	if got := roles(t, s, shared.ID); len(got) != 1 || got[0] != gatehouse.RoleOwner {
		t.Errorf("shared-org roles after the deletion: %v", got)
	}
	if got := roles(t, s, lobby.ID); len(got) != 0 {
		t.Errorf("lobby-org roles after the deletion: %v", got)
	}
}

// testDeleteAgentOwnedOrgs: DeleteAgent follows DeleteUser's rule for the organizations the agent
// owns — refused with CodeConflict (nothing deleted) while one keeps members but would lose its
// last owner; an organization the agent was alone in goes with it, its API keys too.
func testDeleteAgentOwnedOrgs(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "botowner")
	other := mustCreateUser(t, s, "botcolleague")
	agent, bot := mustCreateAgent(t, s, owner.ID, "ownerbot", base)
	add := func(o *gatehouse.Org, userID string, role gatehouse.Role) { mustAddMember(t, s, o, userID, role) }
	alone := mustCreateOrg(t, s, "bot-alone-org", base)
	add(alone, bot.ID, gatehouse.RoleOwner)
	key := mustCreateAPIKey(t, s, newAPIKey(alone.ID, base))
	shared := mustCreateOrg(t, s, "bot-shared-org", base)
	add(shared, bot.ID, gatehouse.RoleOwner)
	add(shared, other.ID, gatehouse.RoleMember)

	err := s.DeleteAgent(ctx, agent.ID, owner.ID)
	wantCode(t, "DeleteAgent of the last owner of bot-shared-org", err, gatehouse.CodeConflict)
	if msg := gatehouse.ErrorMessage(err); !strings.Contains(msg, "bot-shared-org") {
		t.Errorf("conflict message %q: want it to name bot-shared-org", msg)
	}
	if _, err := s.UserByID(ctx, bot.ID); err != nil {
		t.Errorf("UserByID of the agent after a refused deletion: %v", err)
	}
	if _, err := s.OrgByID(ctx, alone.ID); err != nil {
		t.Errorf("OrgByID(bot-alone-org) after a refused deletion: %v", err)
	}

	if err := s.SetMemberRole(ctx, shared.ID, other.ID, gatehouse.RoleOwner); err != nil {
		t.Fatalf("SetMemberRole: %v", err)
	}
	if err := s.DeleteAgent(ctx, agent.ID, owner.ID); err != nil {
		t.Fatalf("DeleteAgent: %v", err)
	}
	_, err = s.OrgByID(ctx, alone.ID)
	wantNotFound(t, "OrgByID of the organization the agent was alone in", err)
	_, err = s.APIKeyByTokenHash(ctx, key.TokenHash)
	wantNotFound(t, "APIKeyByTokenHash of that organization's key", err)
	if _, err := s.OrgByID(ctx, shared.ID); err != nil {
		t.Errorf("OrgByID(bot-shared-org), which keeps an owner: %v", err)
	}
	if _, err := s.UserByID(ctx, owner.ID); err != nil {
		t.Errorf("the agent's owner: %v", err)
	}
}

// mustAddMember makes userID a member of o with role.
func mustAddMember(t *testing.T, s gatehouse.Store, o *gatehouse.Org, userID string, role gatehouse.Role) {
	t.Helper()
	if err := s.AddMember(t.Context(), gatehouse.Membership{OrgID: o.ID, UserID: userID, Role: role, CreatedAt: base}); err != nil {
		t.Fatalf("AddMember: %v", err)
	}
}
