package authz

import (
	"fmt"
	"testing"
)

// Outcomes in the table below.
const (
	ok     = "ok"
	perm   = "insufficient_permissions"
	reauth = "reauth_required"
)

// grants are the credentials the table distinguishes, by name.
var grants = map[string]Grant{
	"session (recent)":          {Kind: KindSession, Recent: true},
	"session (not recent)":      {Kind: KindSession},
	"admin session (recent)":    {Kind: KindSession, Recent: true, Admin: true},
	"pat (no scopes)":           {Kind: KindPAT},
	"pat gatehouse:read":        {Kind: KindPAT, Limited: true, Scopes: []string{ScopeRead}},
	"pat gatehouse:write":       {Kind: KindPAT, Limited: true, Scopes: []string{ScopeWrite}},
	"pat calls:read *:write":    {Kind: KindPAT, Limited: true, Scopes: []string{"calls:read", "*:write", "*:read"}},
	"admin pat (no scopes)":     {Kind: KindPAT, Admin: true},
	"admin pat calls:read":      {Kind: KindPAT, Limited: true, Scopes: []string{"calls:read"}, Admin: true},
	"cli token":                 {Kind: KindCLIToken},
	"app token":                 {Kind: KindAppToken, Limited: true, Scopes: []string{"openid", ScopeWrite}},
	"client token":              {Kind: KindClient, Limited: true, Scopes: []string{"calls:read"}},
	"agent session":             {Kind: KindAgentSession},
	"api key *:write":           {Kind: KindAPIKey, Limited: true, Scopes: []string{"*:write", "*:read"}},
	"api key gatehouse:verify":  {Kind: KindAPIKey, Limited: true, Scopes: []string{ScopeVerify}},
	"recent session, verify on": {Kind: KindSession, Recent: true, Limited: true, Scopes: []string{ScopeVerify}},
}

// TestDecide is the permission matrix of API.md ("Authorization: what each credential may do"),
// one row per credential, one column per permission:
// public page me profile read write mint sensitive sensitive_password verify.
func TestDecide(t *testing.T) {
	table := map[string][10]string{
		"session (recent)":          {ok, ok, ok, ok, ok, ok, ok, ok, ok, perm},
		"session (not recent)":      {ok, ok, ok, ok, ok, ok, ok, reauth, ok, perm},
		"admin session (recent)":    {ok, ok, ok, ok, ok, ok, ok, ok, ok, ok},
		"pat (no scopes)":           {ok, ok, ok, ok, ok, ok, perm, reauth, reauth, perm},
		"pat gatehouse:read":        {ok, ok, ok, perm, ok, perm, perm, reauth, reauth, perm},
		"pat gatehouse:write":       {ok, ok, ok, ok, perm, ok, perm, reauth, reauth, perm},
		"pat calls:read *:write":    {ok, ok, ok, perm, perm, perm, perm, reauth, reauth, perm},
		"admin pat (no scopes)":     {ok, ok, ok, ok, ok, ok, perm, reauth, reauth, ok},
		"admin pat calls:read":      {ok, ok, ok, perm, perm, perm, perm, reauth, reauth, perm},
		"cli token":                 {ok, ok, ok, ok, ok, ok, ok, reauth, reauth, perm},
		"app token":                 {ok, ok, ok, perm, perm, perm, perm, perm, perm, perm},
		"client token":              {ok, ok, perm, perm, perm, perm, perm, perm, perm, perm},
		"agent session":             {ok, ok, ok, ok, perm, perm, perm, perm, perm, perm},
		"api key *:write":           {ok, ok, perm, perm, perm, perm, perm, perm, perm, perm},
		"api key gatehouse:verify":  {ok, ok, perm, perm, perm, perm, perm, perm, perm, ok},
		"recent session, verify on": {ok, ok, ok, ok, ok, ok, ok, ok, ok, perm},
	}
	if len(Permissions) != 10 {
		t.Fatalf("the table has 10 columns, Permissions lists %d: add the new column", len(Permissions))
	}
	for name, g := range grants {
		row, found := table[name]
		if !found {
			t.Errorf("%s: no row in the table", name)
			continue
		}
		for i, p := range Permissions {
			t.Run(fmt.Sprintf("%s/%s", name, p), func(t *testing.T) {
				if got := Outcome(Decide(g, p)); got != row[i] {
					t.Errorf("Decide(%s, %s) = %s, want %s", name, p, got, row[i])
				}
			})
		}
	}
	for _, k := range Kinds {
		seen := false
		for _, g := range grants {
			seen = seen || g.Kind == k
		}
		if !seen {
			t.Errorf("kind %s has no row in the table", k)
		}
	}
}

func TestUndeclaredPermissionIsRefused(t *testing.T) {
	if got := Outcome(Decide(Grant{Kind: KindSession, Recent: true, Admin: true}, 0)); got != perm {
		t.Fatalf("the zero permission gave %s, want %s", got, perm)
	}
}

func TestRequireRecent(t *testing.T) {
	for _, c := range []struct {
		name     string
		g        Grant
		password bool
		want     string
	}{
		{"recent session", Grant{Kind: KindSession, Recent: true}, false, ok},
		{"old session with password", Grant{Kind: KindSession}, true, ok},
		{"old session without password", Grant{Kind: KindSession}, false, reauth},
		{"pat with password", Grant{Kind: KindPAT}, true, reauth},
		{"cli token with password", Grant{Kind: KindCLIToken}, true, reauth},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Outcome(RequireRecent(c.g, c.password)); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestPermissionNames(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Permissions {
		n := p.String()
		if n == "none" || seen[n] {
			t.Errorf("permission %d has name %q", p, n)
		}
		seen[n] = true
	}
	if Permission(0).String() != "none" {
		t.Error("the zero permission must be named none")
	}
}
