package client_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/client"
)

func TestAuditEvents(t *testing.T) {
	ctx := context.Background()
	c, s, err := newUser(ctx, "audit")
	if err != nil {
		t.Fatal(err)
	}
	anon := client.New(gh.url)
	for range 3 {
		if _, err := anon.Login(ctx, s.User.Username, testPassword); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("my trail, filtered and paged", func(t *testing.T) {
		seen := map[string]bool{}
		q := client.AuditQuery{Types: []string{"auth.login"}, Limit: 2}
		for page := 0; ; page++ {
			p, err := c.ListMyAuditEvents(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Data) > 2 {
				t.Fatalf("page of %d events, limit 2", len(p.Data))
			}
			for _, e := range p.Data {
				if e.Type != "auth.login" || e.ActorID != s.User.ID || seen[e.ID] {
					t.Fatalf("event %+v (seen before: %v)", e, seen[e.ID])
				}
				seen[e.ID] = true
			}
			if p.NextCursor == "" || page > 3 {
				break
			}
			q.Cursor = p.NextCursor
		}
		if len(seen) != 3 {
			t.Fatalf("%d auth.login events over the pages, want 3", len(seen))
		}
	})

	tests := []struct {
		name string
		q    client.AuditQuery
		want int
	}{
		{"registration only", client.AuditQuery{Types: []string{"user.registered"}}, 1},
		{"two types", client.AuditQuery{Types: []string{"user.registered", "auth.login"}}, 4},
		{"since the future", client.AuditQuery{Types: []string{"auth.login"}, Since: time.Now().Add(time.Hour)}, 0},
		{"until the past", client.AuditQuery{Types: []string{"auth.login"}, Until: time.Now().Add(-time.Hour)}, 0},
		{"someone else as actor", client.AuditQuery{Types: []string{"auth.login"}, Actor: "usr_nobody"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := c.ListMyAuditEvents(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Data) != tt.want {
				t.Fatalf("%d events, want %d: %+v", len(p.Data), tt.want, p.Data)
			}
		})
	}

	t.Run("bad limit", func(t *testing.T) {
		_, err := c.ListMyAuditEvents(ctx, client.AuditQuery{Limit: 1000})
		wantCode(t, err, http.StatusBadRequest, client.CodeInvalidRequest)
	})

	t.Run("organization log", func(t *testing.T) {
		p, err := gh.admin.ListOrgAuditEvents(ctx, gh.orgID, client.AuditQuery{Types: []string{"api_key.created"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) == 0 || p.Data[0].OrgID != gh.orgID || p.Data[0].Type != "api_key.created" {
			t.Fatalf("org log %+v, want the verifier key's creation", p.Data)
		}
		_, err = c.ListOrgAuditEvents(ctx, gh.orgID, client.AuditQuery{})
		wantCode(t, err, http.StatusNotFound, client.CodeNotFound)
	})
}

func TestChangePasswordAndDeleteAccount(t *testing.T) {
	ctx := context.Background()
	c, s, err := newUser(ctx, "lifecycle")
	if err != nil {
		t.Fatal(err)
	}
	const next = "another correct horse staple"

	_, err = c.ChangePassword(ctx, "not the password", next)
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidCredentials)

	fresh, err := c.ChangePassword(ctx, testPassword, next)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Token == "" || fresh.Token == s.Token || fresh.User.ID != s.User.ID {
		t.Fatalf("ChangePassword answered %+v", fresh)
	}
	_, err = c.Me(ctx) // the old session was revoked with the others
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidToken)
	c = c.As(fresh.Token)
	if _, err := client.New(gh.url).Login(ctx, s.User.Username, next); err != nil {
		t.Fatalf("sign-in with the new password: %v", err)
	}

	err = c.DeleteAccount(ctx, testPassword) // the old password
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidCredentials)
	if err := c.DeleteAccount(ctx, next); err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(ctx)
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidToken)
	_, err = client.New(gh.url).Login(ctx, s.User.Username, next)
	wantCode(t, err, http.StatusUnauthorized, client.CodeInvalidCredentials)
}
