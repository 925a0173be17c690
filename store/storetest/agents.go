package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func agentTests() []test {
	return []test{
		{"CreateAndRead", testAgentCreateAndRead},
		{"Defaults", testAgentDefaults},
		{"CreateErrors", testAgentCreateErrors},
		{"NotFound", testAgentNotFound},
		{"List", testListAgents},
		{"Verify", testVerifyAgent},
		{"RotateToken", testRotateAgentToken},
		{"Transfer", testTransferAgent},
		{"TransferLeavesOrganizations", testTransferAgentLeavesOrgs},
		{"TransferOfASoleOwner", testTransferAgentSoleOwner},
		{"Delete", testDeleteAgent},
		{"DeletedWithOwner", testAgentsDeletedWithOwner},
		{"OnlyTheOwnerChanges", testAgentOwnerGuard},
	}
}

// testAgentOwnerGuard: every change names the owner it expects; another owner's call is
// ErrNotFound and changes nothing (so a transfer racing a change cannot let the old owner act).
func testAgentOwnerGuard(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "guard-owner")
	other := mustCreateUser(t, s, "guard-other")
	a, _ := mustCreateAgent(t, s, owner.ID, "guarded", base)
	cases := []struct {
		name string
		call func(ownerID string) error
	}{
		{"VerifyAgent", func(o string) error { return s.VerifyAgent(ctx, a.ID, o, at(time.Minute)) }},
		{"RotateAgentToken", func(o string) error { return s.RotateAgentToken(ctx, a.ID, o, randomHash(), "p", at(time.Minute)) }},
		{"TransferAgent", func(o string) error {
			return s.TransferAgent(ctx, a.ID, o, other.ID, randomHash(), "p", at(time.Minute))
		}},
		{"DeleteAgent", func(o string) error { return s.DeleteAgent(ctx, a.ID, o) }},
	}
	for _, c := range cases {
		wantNotFound(t, c.name+" by another owner", c.call(other.ID))
	}
	got, err := s.AgentByID(ctx, a.ID)
	if err != nil || got.OwnerID != owner.ID || got.VerifiedAt != nil || string(got.TokenHash) != string(a.TokenHash) {
		t.Fatalf("a refused change changed the agent: %+v, %v", got, err)
	}
	for _, c := range cases { // the owner's own calls go through, in order
		if err := c.call(owner.ID); err != nil {
			t.Fatalf("%s by the owner: %v", c.name, err)
		}
		if c.name == "TransferAgent" {
			owner, other = other, owner // the agent now belongs to the former "other"
		}
	}
}

// newAgent returns an unsaved agent owned by ownerID and its unsaved account, named name.
func newAgent(ownerID, name string, created time.Time) (*gatehouse.Agent, *gatehouse.User) {
	u := newUser(name, created)
	u.Kind, u.Email, u.PasswordHash = gatehouse.KindAgent, "", ""
	return &gatehouse.Agent{
		ID:          gatehouse.NewID(gatehouse.PrefixAgent, created, nil),
		UserID:      u.ID,
		OwnerID:     ownerID,
		Name:        name,
		Role:        "support bot",
		TokenHash:   randomHash(),
		TokenPrefix: "gth_agt_AbCd…wxyz",
		CreatedAt:   created,
		UpdatedAt:   created,
	}, u
}

func mustCreateAgent(t *testing.T, s gatehouse.Store, ownerID, name string, created time.Time) (*gatehouse.Agent, *gatehouse.User) {
	t.Helper()
	a, u := newAgent(ownerID, name, created)
	if err := s.CreateAgent(t.Context(), a, u); err != nil {
		t.Fatalf("CreateAgent(%s): %v", name, err)
	}
	return a, u
}

type agentView struct {
	ID, UserID, OwnerID, Name, Role, TokenHash, TokenPrefix string
	VerifiedAt, CreatedAt, UpdatedAt                        string
}

func viewAgent(a *gatehouse.Agent) agentView {
	return agentView{
		ID: a.ID, UserID: a.UserID, OwnerID: a.OwnerID, Name: a.Name, Role: a.Role,
		TokenHash: fmt.Sprintf("%x", a.TokenHash), TokenPrefix: a.TokenPrefix,
		VerifiedAt: stampPtr(a.VerifiedAt), CreatedAt: stamp(a.CreatedAt), UpdatedAt: stamp(a.UpdatedAt),
	}
}

// checkAgent fails t unless got equals want (times compared as UTC instants).
func checkAgent(t *testing.T, what string, got, want *gatehouse.Agent) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil agent", what)
	}
	w := *want
	w.VerifiedAt, w.CreatedAt, w.UpdatedAt = utcPtr(w.VerifiedAt), utc(w.CreatedAt), utc(w.UpdatedAt)
	if g, wv := viewAgent(got), viewAgent(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
}

func agentIDs(as []gatehouse.Agent) []string {
	ids := make([]string, len(as))
	for i := range as {
		ids[i] = as[i].ID
	}
	return ids
}

func testAgentCreateAndRead(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "owner")
	a, u := newAgent(owner.ID, "helperbot", base.In(time.FixedZone("Z", 2*3600)))
	a.VerifiedAt = ptr(at(time.Minute))
	if err := s.CreateAgent(ctx, a, u); err != nil {
		t.Fatalf("CreateAgent: %v", err)
	}
	cases := []struct {
		name string
		get  func() (*gatehouse.Agent, error)
	}{
		{"by ID", func() (*gatehouse.Agent, error) { return s.AgentByID(ctx, a.ID) }},
		{"by user ID", func() (*gatehouse.Agent, error) { return s.AgentByUserID(ctx, u.ID) }},
		{"by token hash", func() (*gatehouse.Agent, error) {
			got, gu, err := s.AgentByTokenHash(ctx, a.TokenHash)
			if err == nil {
				checkUser(t, "agent's account", gu, u)
			}
			return got, err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.get()
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			checkAgent(t, c.name, got, a)
		})
	}
	t.Run("account", func(t *testing.T) {
		got, err := s.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatalf("UserByID: %v", err)
		}
		checkUser(t, "agent's account", got, u)
		if got.Kind != gatehouse.KindAgent {
			t.Errorf("account kind %q, want %q", got.Kind, gatehouse.KindAgent)
		}
	})
}

func testAgentDefaults(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "owner")
	u := &gatehouse.User{Username: "plainbot"}
	a := &gatehouse.Agent{OwnerID: owner.ID, Name: "plain", TokenHash: randomHash()}
	before := time.Now().Add(-time.Millisecond)
	if err := s.CreateAgent(ctx, a, u); err != nil {
		t.Fatalf("CreateAgent: %v", err)
	}
	if len(a.ID) != len(gatehouse.PrefixAgent)+1+26 || a.ID[:4] != "agt_" {
		t.Errorf("assigned ID %q, want an agt_ ID", a.ID)
	}
	if u.ID == "" || a.UserID != u.ID || u.Kind != gatehouse.KindAgent {
		t.Errorf("account ID %q kind %q, agent's UserID %q; want the new account, of kind agent", u.ID, u.Kind, a.UserID)
	}
	if a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now()) || !a.UpdatedAt.Equal(a.CreatedAt) {
		t.Errorf("assigned CreatedAt %v, UpdatedAt %v; want about now, both", a.CreatedAt, a.UpdatedAt)
	}
	got, err := s.AgentByID(ctx, a.ID)
	if err != nil {
		t.Fatalf("AgentByID: %v", err)
	}
	checkAgent(t, "stored agent", got, a)
}

func testAgentCreateErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "owner")
	first, _ := mustCreateAgent(t, s, owner.ID, "firstbot", base)
	cases := []struct {
		name string
		edit func(a *gatehouse.Agent, u *gatehouse.User)
		code gatehouse.Code
	}{
		{"unknown owner", func(a *gatehouse.Agent, u *gatehouse.User) { a.OwnerID = "usr_00000000000000000000000000" }, gatehouse.CodeNotFound},
		{"token hash taken", func(a *gatehouse.Agent, u *gatehouse.User) { a.TokenHash = first.TokenHash }, gatehouse.CodeConflict},
		{"same agent ID", func(a *gatehouse.Agent, u *gatehouse.User) { a.ID = first.ID }, gatehouse.CodeConflict},
		{"username taken", func(a *gatehouse.Agent, u *gatehouse.User) { u.Username = "FIRSTBOT" }, gatehouse.CodeUsernameTaken},
		{"account of kind user", func(a *gatehouse.Agent, u *gatehouse.User) { u.Kind = gatehouse.KindUser }, gatehouse.CodeInvalidRequest},
		{"agent names another account", func(a *gatehouse.Agent, u *gatehouse.User) { a.UserID = owner.ID }, gatehouse.CodeInvalidRequest},
		{"empty token hash", func(a *gatehouse.Agent, u *gatehouse.User) { a.TokenHash = nil }, gatehouse.CodeInvalidRequest},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, u := newAgent(owner.ID, fmt.Sprintf("bot%d", i), base)
			c.edit(a, u)
			err := s.CreateAgent(ctx, a, u)
			wantCode(t, "CreateAgent", err, c.code)
			noLeak(t, err)
			if u.ID != "" {
				_, err := s.UserByID(ctx, u.ID)
				wantNotFound(t, "account of a failed creation", err)
			}
		})
	}
	list, err := s.ListAgents(ctx, owner.ID)
	if err != nil || !slices.Equal(agentIDs(list), []string{first.ID}) {
		t.Errorf("ListAgents = %v, %v; want only the first agent", agentIDs(list), err)
	}
}

func testAgentNotFound(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "owner")
	mustCreateAgent(t, s, owner.ID, "realbot", base)
	_, err := s.AgentByID(ctx, "agt_00000000000000000000000000")
	wantNotFound(t, "AgentByID", err)
	_, err = s.AgentByUserID(ctx, owner.ID) // a user, not an agent
	wantNotFound(t, "AgentByUserID of a person", err)
	_, _, err = s.AgentByTokenHash(ctx, randomHash())
	wantNotFound(t, "AgentByTokenHash", err)
	_, _, err = s.AgentByTokenHash(ctx, nil)
	wantNotFound(t, "AgentByTokenHash(nil)", err)
}

func testListAgents(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "owner")
	other := mustCreateUser(t, s, "other")
	b, _ := mustCreateAgent(t, s, owner.ID, "b", at(2*time.Hour))
	a, _ := mustCreateAgent(t, s, owner.ID, "a", at(time.Hour))
	mustCreateAgent(t, s, other.ID, "c", base)
	got, err := s.ListAgents(ctx, owner.ID)
	if err != nil {
		t.Fatalf("ListAgents: %v", err)
	}
	if want := []string{a.ID, b.ID}; !slices.Equal(agentIDs(got), want) {
		t.Fatalf("ListAgents = %v, want %v (oldest first)", agentIDs(got), want)
	}
	checkAgent(t, "listed agent", &got[0], a)
	none, err := s.ListAgents(ctx, "usr_00000000000000000000000000")
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListAgents of an unknown owner = %#v, %v; want an empty list", none, err)
	}
}

func testVerifyAgent(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	owner := mustCreateUser(t, s, "owner")
	a, _ := mustCreateAgent(t, s, owner.ID, "newbot", base)
	if err := s.VerifyAgent(ctx, a.ID, "", at(time.Hour)); err != nil {
		t.Fatalf("VerifyAgent: %v", err)
	}
	got, err := s.AgentByID(ctx, a.ID)
	if err != nil {
		t.Fatalf("AgentByID: %v", err)
	}
	if stampPtr(got.VerifiedAt) != stamp(at(time.Hour)) {
		t.Errorf("VerifiedAt %s, want %s", stampPtr(got.VerifiedAt), stamp(at(time.Hour)))
	}
	wantNotFound(t, "VerifyAgent of an unknown agent", s.VerifyAgent(ctx, "agt_00000000000000000000000000", "", at(time.Hour)))
}
