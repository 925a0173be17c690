package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/client"
)

// secretAfter returns the line that follows the label line of a secret in table output.
func secretAfter(t *testing.T, out, label string) string {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, label+" (shown only once") && i+1 < len(lines) {
			return strings.TrimSpace(lines[i+1])
		}
	}
	t.Fatalf("no %q in the output:\n%s", label, out)
	return ""
}

func TestTokensCommands(t *testing.T) {
	s := startAPIServer(t)
	tok, userID := s.signUp(t, "tok")
	env := []string{"GATEHOUSE_SERVER=" + s.url, "GATEHOUSE_TOKEN=" + tok}
	ctx := context.Background()

	// create, for people: a summary and the secret, labelled, on stdout only.
	out, errOut, err := runAPI(t, env, "tokens", "create", "--name", "laptop", "--expires", "30d", "--scope", "calls:read", "--scope", "agents:write")
	if err != nil || errOut != "" {
		t.Fatalf("create: %v, stderr %q", err, errOut)
	}
	if !strings.Contains(out, `Created token "laptop"`) || !strings.Contains(out, "calls:read,agents:write") {
		t.Fatalf("create output:\n%s", out)
	}
	secret := secretAfter(t, out, "Token")
	me, err := client.New(s.url, client.WithToken(secret)).Me(ctx)
	if err != nil || me.ID != userID {
		t.Fatalf("the printed token does not work: %v", err)
	}

	// create, for scripts: the API's JSON.
	var created client.NewToken
	decode(t, mustRun(t, env, "tokens", "create", "--name", "ci", "--expires", "never", "--json"), &created)
	if created.ID == "" || created.Token == "" || created.ExpiresAt != nil || created.Name != "ci" {
		t.Fatalf("create --json: %+v", created)
	}

	// list: a table and JSON, never a secret.
	table := mustRun(t, env, "tokens", "list")
	rows := tableRows(table)
	if len(rows) != 3 || !slices.Equal(rows[0][:4], []string{"ID", "NAME", "PREFIX", "SCOPES"}) {
		t.Fatalf("list table:\n%s", table)
	}
	var listed struct {
		Data []client.Token `json:"data"`
	}
	jsonOut := mustRun(t, env, "tokens", "list", "--json")
	decode(t, jsonOut, &listed)
	var ids []string
	for _, x := range listed.Data {
		ids = append(ids, x.ID)
	}
	if len(ids) != 2 || !slices.Contains(ids, created.ID) {
		t.Fatalf("list --json ids %v, want 2 with %s", ids, created.ID)
	}
	for _, out := range []string{table, jsonOut} {
		if strings.Contains(out, secret) || strings.Contains(out, created.Token) {
			t.Fatalf("a list shows a secret:\n%s", out)
		}
	}
	if !strings.Contains(table, created.ID) || !strings.Contains(table, "never") {
		t.Fatalf("list table lacks %s or its expiry:\n%s", created.ID, table)
	}

	// revoke: the token fails at once and leaves the list.
	if out := mustRun(t, env, "tokens", "revoke", created.ID); !strings.Contains(out, "Revoked token "+created.ID) {
		t.Fatalf("revoke output %q", out)
	}
	if _, err := client.New(s.url, client.WithToken(created.Token)).Me(ctx); !client.IsCode(err, client.CodeInvalidToken) {
		t.Fatalf("the revoked token still works: %v", err)
	}
	if strings.Contains(mustRun(t, env, "tokens", "list"), created.ID) {
		t.Fatal("the revoked token is still listed")
	}
	_, _, err = runAPI(t, env, "tokens", "revoke", "pat_nope")
	if err == nil || !strings.Contains(err.Error(), "(not_found") {
		t.Fatalf("revoking an unknown token: %v", err)
	}
	_, _, err = runAPI(t, env, "tokens", "create", "--name", "x", "--expires", "2w")
	if err == nil || !strings.Contains(err.Error(), "(invalid_request") {
		t.Fatalf("a bad expiry: %v", err)
	}
}
