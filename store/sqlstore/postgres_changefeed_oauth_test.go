package sqlstore

// The change feed and the credential cache for the OAuth lookups (migration 0010): clients and
// the access-token denylist. The shared fixtures are in changefeed_test.go.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
)

// feedOAuth is an OAuth client of an organization and a jti that is not denied.
type feedOAuth struct {
	feedCredentials
	client *gatehouse.OAuthClient
	jti    string
}

func mustCreateFeedOAuth(t *testing.T, s gatehouse.Store, name string) feedOAuth {
	t.Helper()
	o := feedOAuth{feedCredentials: mustCreateFeedCredentials(t, s, name)}
	o.client = &gatehouse.OAuthClient{ID: gatehouse.NewID(gatehouse.PrefixOAuthClient, feedCreated, nil), OrgID: o.org.ID,
		Name: name + "-app", SecretHash: feedHash(), SecretPrefix: "gh_cs_old", GrantTypes: []string{"client_credentials"},
		CreatedAt: feedCreated}
	if err := s.CreateOAuthClient(t.Context(), o.client); err != nil {
		t.Fatalf("CreateOAuthClient: %v", err)
	}
	o.jti = "jti-" + name
	return o
}

func clientState(ctx context.Context, s lookups, o feedOAuth) string {
	c, err := s.OAuthClientByID(ctx, o.client.ID)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("prefix=%s hash=%x", c.SecretPrefix, c.SecretHash[:4])
}

func deniedState(ctx context.Context, s lookups, o feedOAuth) string {
	denied, err := s.AccessTokenDenied(ctx, o.jti)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("denied=%v", denied)
}

// TestChangeFeedOAuthAcrossInstances is TestChangeFeedAcrossInstances for the OAuth lookups the
// cache serves (migration 0010's triggers): a client's secret rotation and deletion, and a jti
// cached as NOT denied, then denied (an INSERT into the denylist).
func TestChangeFeedOAuthAcrossInstances(t *testing.T) {
	url := pgtest.FreshSchema(t, "gatehouse_test_")
	now := feedCreated.Add(time.Hour)
	runAcrossInstances(t, url, mustCreateFeedOAuth, []acrossCase[feedOAuth]{
		{"client secret rotated", clientState, func(ctx context.Context, s gatehouse.Store, o feedOAuth) error {
			return s.RotateOAuthClientSecret(ctx, o.org.ID, o.client.ID, feedHash(), "gh_cs_new", now)
		}},
		{"client deleted", clientState, func(ctx context.Context, s gatehouse.Store, o feedOAuth) error {
			return s.DeleteOAuthClient(ctx, o.org.ID, o.client.ID)
		}},
		{"jti denied", deniedState, func(ctx context.Context, s gatehouse.Store, o feedOAuth) error {
			return s.DenyAccessToken(ctx, o.jti, now)
		}},
	})

}

// TestChangeFeedOAuthNotifications is TestChangeFeedNotifications for migration 0010: which
// writes of oauth_clients and oauth_access_denylist notify, and how many times.
func TestChangeFeedOAuthNotifications(t *testing.T) {
	s, w := openWatched(t)
	ctx := t.Context()
	o := mustCreateFeedOAuth(t, s, "watched")
	now := feedCreated.Add(time.Hour)
	w.check(t, []notifyCase{
		{"client created", func() error {
			c := *o.client
			c.ID = gatehouse.NewID(gatehouse.PrefixOAuthClient, now, nil)
			return s.CreateOAuthClient(ctx, &c)
		}, 0},
		{"client read and listed", func() error {
			if _, err := s.OAuthClientByID(ctx, o.client.ID); err != nil {
				return err
			}
			_, err := s.ListOAuthClients(ctx, o.org.ID)
			return err
		}, 0},
		{"client secret rotated", func() error {
			return s.RotateOAuthClientSecret(ctx, o.org.ID, o.client.ID, feedHash(), "gh_cs_new", now)
		}, 1},
		{"jti denied (INSERT)", func() error { return s.DenyAccessToken(ctx, o.jti, now) }, 1},
		{"jti denied again (ON CONFLICT DO UPDATE)", func() error { return s.DenyAccessToken(ctx, o.jti, now.Add(time.Hour)) }, 1},
		{"denylist read", func() error { _, err := s.AccessTokenDenied(ctx, o.jti); return err }, 0},
		{"grants pruned, no denylist entry expired", func() error { _, err := s.PruneOAuthGrants(ctx, now); return err }, 0},
		{"grants pruned, the denylist entry expired", func() error {
			_, err := s.PruneOAuthGrants(ctx, now.Add(3*time.Hour))
			return err
		}, 1},
		{"client deleted with its grants (one transaction)", func() error { return s.DeleteOAuthClient(ctx, o.org.ID, o.client.ID) }, 1},
		{"denylist truncated", func() error { _, err := s.w.ExecContext(ctx, "TRUNCATE oauth_access_denylist"); return err }, 1},
		{"clients truncated", func() error { _, err := s.w.ExecContext(ctx, "TRUNCATE oauth_clients"); return err }, 1},
	})
}
