package main

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/client"
)

func TestAPIKeysCommands(t *testing.T) {
	s := startAPIServer(t)
	tok, _ := s.signUp(t, "orgowner")
	memberTok, memberID := s.signUp(t, "member")
	ctx := context.Background()
	owner := client.New(s.url, client.WithToken(tok))
	org, err := owner.CreateOrg(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.AddMember(ctx, org.ID, client.AddMemberRequest{UserID: memberID, Role: client.RoleMember}); err != nil {
		t.Fatal(err)
	}
	env := []string{"GATEHOUSE_SERVER=" + s.url, "GATEHOUSE_TOKEN=" + tok}

	out := mustRun(t, env, "api-keys", "create", "--org", org.ID, "--name", "backend", "--scope", "calls:read", "--scope", "*:write",
		"--env", "test", "--cidr", "192.0.2.0/24", "--cidr", "2001:db8::/32", "--expires-at", "2099-01-01T00:00:00Z", "--rate-limit", "100/m")
	key := secretAfter(t, out, "API key")
	if !strings.Contains(key, "_sk_test_") || !strings.Contains(out, "Created test API key \"backend\"") {
		t.Fatalf("create output:\n%s", out)
	}

	var created client.NewAPIKey
	decode(t, mustRun(t, env, "api-keys", "create", "--org", org.ID, "--name", "live one", "--scope", "calls:read", "--env", "live", "--json"), &created)
	if !strings.Contains(created.Key, "_sk_live_") || created.Environment != "live" || created.ExpiresAt != nil {
		t.Fatalf("create --json: %+v", created)
	}

	table := mustRun(t, env, "api-keys", "list", "--org", org.ID)
	rows := tableRows(table)
	if len(rows) != 3 || rows[0][0] != "ID" || !strings.Contains(table, "192.0.2.0/24,2001:db8::/32") || !strings.Contains(table, "100/m") {
		t.Fatalf("list table:\n%s", table)
	}
	var listed struct {
		Data []client.APIKey `json:"data"`
	}
	jsonOut := mustRun(t, env, "api-keys", "list", "--org", org.ID, "--json")
	decode(t, jsonOut, &listed)
	if len(listed.Data) != 2 {
		t.Fatalf("list --json: %+v", listed.Data)
	}
	for _, o := range []string{table, jsonOut} {
		if strings.Contains(o, key) || strings.Contains(o, created.Key) {
			t.Fatalf("a list shows a key:\n%s", o)
		}
	}

	var rotated client.RotatedAPIKey
	decode(t, mustRun(t, env, "api-keys", "rotate", "--org", org.ID, created.ID, "--overlap", "1h", "--json"), &rotated)
	if rotated.Replaces != created.ID || rotated.Key == "" || rotated.Key == created.Key {
		t.Fatalf("rotate --json: %+v", rotated)
	}

	if out := mustRun(t, env, "api-keys", "revoke", "--org", org.ID, rotated.ID); !strings.Contains(out, "Revoked API key "+rotated.ID) {
		t.Fatalf("revoke output %q", out)
	}
	decode(t, mustRun(t, env, "api-keys", "list", "--org", org.ID, "--json"), &listed)
	for _, k := range listed.Data {
		if k.ID == rotated.ID {
			t.Fatal("the revoked key is still listed")
		}
	}

	memberEnv := []string{"GATEHOUSE_SERVER=" + s.url, "GATEHOUSE_TOKEN=" + memberTok}
	_, errOut, err := runAPI(t, memberEnv, "api-keys", "create", "--org", org.ID, "--name", "x", "--scope", "calls:read", "--env", "test")
	if err == nil || !strings.Contains(err.Error(), "(insufficient_permissions") || !strings.Contains(errOut, "insufficient_permissions") {
		t.Fatalf("a member creates keys: %v", err)
	}
	if _, _, err := runAPI(t, env, "api-keys", "create", "--org", org.ID, "--name", "x", "--scope", "calls:read", "--env", "test", "--expires-at", "tomorrow"); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Fatalf("a bad --expires-at: %v", err)
	}
	if _, _, err := runAPI(t, env, "api-keys", "list"); err == nil || !strings.Contains(err.Error(), `"org" not set`) {
		t.Fatalf("list without --org: %v", err)
	}
}
