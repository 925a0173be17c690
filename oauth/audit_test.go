package oauth

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

func TestAuditEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		alice := f.register(t, "alice")
		web, ca := f.webApp(t)
		_, challenge := pkce("a")
		a, err := f.p.ParseAuthorize(ctx, AuthorizeRequest{ClientID: web.ID, RedirectURI: web.RedirectURIs[0], ResponseType: "code",
			Scope: "openid offline_access", CodeChallenge: challenge, CodeChallengeMethod: "S256"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.p.Approve(ctx, alice.pr, a, true, auth.Meta{IP: "192.0.2.9"}); err != nil {
			t.Fatal(err)
		}
		tok := f.codeTokens(t, alice, web, ca, "openid offline_access")
		next, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: tok.RefreshToken, Client: ca}, auth.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.p.Revoke(ctx, ca, next.RefreshToken, "", auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		if err := f.p.RevokeConsent(ctx, alice.pr, web.ID, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		d := f.startDevice(t, "openid")
		if err := f.p.DecideDevice(ctx, alice.pr, d.UserCode, true, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		d = f.startDevice(t, "openid")
		if err := f.p.DecideDevice(ctx, alice.pr, d.UserCode, false, auth.Meta{}); err != nil {
			t.Fatal(err)
		}
		if err := f.p.FlushTokenEvents(ctx); err != nil { // token.refreshed is aggregated
			t.Fatal(err)
		}
		events, err := f.store.ListAuditEvents(ctx, gatehouse.AuditFilter{UserID: alice.user.ID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]gatehouse.AuditEvent{}
		for _, e := range events {
			seen[e.Type] = e
		}
		for _, typ := range []string{EventConsentGranted, EventTokenIssued, EventTokenRefreshed, EventTokenRevoked, EventConsentRevoked, EventDeviceApproved, EventDeviceDenied} {
			t.Run(typ, func(t *testing.T) {
				e, ok := seen[typ]
				if !ok {
					t.Fatalf("no %s event", typ)
				}
				if e.Type != EventDeviceApproved && e.Type != EventDeviceDenied && e.OrgID != f.org.ID {
					t.Fatalf("%s has org %q, want the client's %q", typ, e.OrgID, f.org.ID)
				}
				for k, v := range e.Details {
					if s, ok := v.(string); ok && (s == tok.RefreshToken || s == tok.AccessToken || s == next.RefreshToken) {
						t.Fatalf("%s carries a token in %s", typ, k)
					}
				}
			})
		}
	})
}

// TestTokenEventsAreAggregated: client_credentials issuances and refreshes write no audit event
// per token; a flush writes one per event type, client and user, with the count and the first
// and last times; a second flush writes nothing new.
func TestTokenEventsAreAggregated(t *testing.T) {
	eachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		svc, svcCA := f.client(t, auth.OAuthClientInput{GrantTypes: []string{auth.GrantClientCredentials}, Scopes: []string{"calls:read"}})
		alice, bob := f.register(t, "alice"), f.register(t, "bob")
		web, ca := f.webApp(t)
		start := f.clock.now()
		for i := range 3 {
			if _, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantClientCredentials, Client: svcCA}, auth.Meta{IP: "192.0.2.1", UserAgent: "worker"}); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				f.clock.advance(time.Second)
			}
		}
		refreshes := map[*person]int{alice: 2, bob: 1}
		for who, n := range refreshes {
			tok := f.codeTokens(t, who, web, ca, "offline_access")
			for range n {
				next, err := f.p.Token(ctx, TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: tok.RefreshToken, Client: ca}, auth.Meta{IP: "192.0.2.2"})
				if err != nil {
					t.Fatal(err)
				}
				tok = next
			}
		}
		count := func(typ, grant string) []gatehouse.AuditEvent {
			t.Helper()
			events, err := f.store.ListAuditEvents(ctx, gatehouse.AuditFilter{OrgID: f.org.ID, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var out []gatehouse.AuditEvent
			for _, e := range events {
				if e.Type == typ && e.Details["grant_type"] == grant {
					out = append(out, e)
				}
			}
			return out
		}
		if n := len(count(EventTokenIssued, auth.GrantClientCredentials)) + len(count(EventTokenRefreshed, auth.GrantRefreshToken)); n != 0 {
			t.Fatalf("%d token events written before the flush, want 0", n)
		}
		for range 2 { // the second flush has nothing to add
			if err := f.p.FlushTokenEvents(ctx); err != nil {
				t.Fatal(err)
			}
		}
		cc := count(EventTokenIssued, auth.GrantClientCredentials)
		if len(cc) != 1 {
			t.Fatalf("%d client_credentials token.issued events, want 1", len(cc))
		}
		e := cc[0]
		first, last := start.UTC().Format(time.RFC3339Nano), start.Add(time.Second).UTC().Format(time.RFC3339Nano)
		if e.ActorID != svc.ID || e.SubjectID != svc.ID || e.IP != "192.0.2.1" || e.UserAgent != "worker" ||
			e.Details["client_id"] != svc.ID || e.Details["count"] != float64(3) || e.Details["first_at"] != first || e.Details["last_at"] != last {
			t.Fatalf("client_credentials event %+v %v, want 3 tokens of %s from %s to %s", e, e.Details, svc.ID, first, last)
		}
		cases := []struct {
			name string
			who  *person
			n    int
		}{{"alice refreshed twice", alice, 2}, {"bob refreshed once", bob, 1}}
		events := count(EventTokenRefreshed, auth.GrantRefreshToken)
		if len(events) != len(cases) {
			t.Fatalf("%d token.refreshed events, want one per user", len(events))
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for _, e := range events {
					if e.ActorID == c.who.user.ID {
						if e.SubjectID != web.ID || e.Details["count"] != float64(c.n) || e.Details["client_id"] != web.ID {
							t.Fatalf("event %+v %v, want count %d for %s", e, e.Details, c.n, web.ID)
						}
						return
					}
				}
				t.Fatalf("no token.refreshed event for %s", c.who.user.ID)
			})
		}
	})
}
