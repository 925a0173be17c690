package main

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/client"
)

func TestAgentsCommands(t *testing.T) {
	s := startAPIServer(t)
	tok, _ := s.signUp(t, "own")
	_, heirID := s.signUp(t, "heir")
	env := []string{"GATEHOUSE_SERVER=" + s.url, "GATEHOUSE_TOKEN=" + tok}
	ctx := context.Background()
	anon := client.New(s.url)

	out := mustRun(t, env, "agents", "create", "--name", "Deploy bot", "--role", "deployer")
	agentToken := secretAfter(t, out, "Agent token")
	if _, err := anon.AgentSignIn(ctx, agentToken); !client.IsCode(err, client.CodeAgentNotVerified) {
		t.Fatalf("an unverified agent signs in: %v", err)
	}

	var listed struct {
		Data []client.Agent `json:"data"`
	}
	decode(t, mustRun(t, env, "agents", "list", "--json"), &listed)
	if len(listed.Data) != 1 || listed.Data[0].Name != "Deploy bot" || listed.Data[0].Verified {
		t.Fatalf("agents list --json: %+v", listed.Data)
	}
	id := listed.Data[0].ID
	if table := mustRun(t, env, "agents", "list"); !strings.Contains(table, id) || !strings.Contains(table, "deployer") || strings.Contains(table, agentToken) {
		t.Fatalf("agents list table:\n%s", table)
	}

	if out := mustRun(t, env, "agents", "verify", id); !strings.Contains(out, "Verified agent") {
		t.Fatalf("verify output %q", out)
	}
	if _, err := anon.AgentSignIn(ctx, agentToken); err != nil {
		t.Fatalf("a verified agent cannot sign in: %v", err)
	}

	var rotated client.AgentWithToken
	decode(t, mustRun(t, env, "agents", "rotate", id, "--json"), &rotated)
	if rotated.AgentToken == "" || rotated.AgentToken == agentToken {
		t.Fatalf("rotate --json: %+v", rotated)
	}
	if _, err := anon.AgentSignIn(ctx, agentToken); !client.IsCode(err, client.CodeInvalidToken) {
		t.Fatalf("the old agent token still works: %v", err)
	}

	var moved client.Agent
	decode(t, mustRun(t, env, "agents", "transfer", id, "--to", heirID, "--json"), &moved)
	if moved.OwnerID != heirID || moved.Verified {
		t.Fatalf("transfer --json: %+v", moved)
	}
	if _, _, err := runAPI(t, env, "agents", "delete", id); err == nil || !strings.Contains(err.Error(), "(not_found") {
		t.Fatalf("deleting an agent given away: %v", err)
	}

	out = mustRun(t, env, "agents", "create", "--name", "Temp")
	decode(t, mustRun(t, env, "agents", "list", "--json"), &listed)
	if len(listed.Data) != 1 {
		t.Fatalf("agents after create: %+v\n%s", listed.Data, out)
	}
	if out := mustRun(t, env, "agents", "delete", listed.Data[0].ID); !strings.Contains(out, "Deleted agent") {
		t.Fatalf("delete output %q", out)
	}
	decode(t, mustRun(t, env, "agents", "list", "--json"), &listed)
	if len(listed.Data) != 0 {
		t.Fatalf("agents after delete: %+v", listed.Data)
	}
}
