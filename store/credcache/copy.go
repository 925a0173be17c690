package credcache

import (
	"bytes"
	"slices"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Deep copies of the cached rows: every pointer, slice and map a caller could change through is
// duplicated. TestCopiesShareNothing fails when a field is added that these miss.

func copyUser(u *gatehouse.User) *gatehouse.User {
	if u == nil {
		return nil
	}
	c := *u
	c.DisabledAt = copyTime(u.DisabledAt)
	return &c
}

func copySession(s *gatehouse.Session) *gatehouse.Session {
	if s == nil {
		return nil
	}
	c := *s
	c.TokenHash = bytes.Clone(s.TokenHash)
	c.RevokedAt = copyTime(s.RevokedAt)
	c.AMR = slices.Clone(s.AMR)
	return &c
}

func copyPAT(t *gatehouse.PersonalAccessToken) *gatehouse.PersonalAccessToken {
	if t == nil {
		return nil
	}
	c := *t
	c.TokenHash = bytes.Clone(t.TokenHash)
	c.Scopes = slices.Clone(t.Scopes)
	c.ExpiresAt = copyTime(t.ExpiresAt)
	c.LastUsedAt = copyTime(t.LastUsedAt)
	c.RevokedAt = copyTime(t.RevokedAt)
	return &c
}

func copyAPIKey(k *gatehouse.APIKey) *gatehouse.APIKey {
	if k == nil {
		return nil
	}
	c := *k
	c.TokenHash = bytes.Clone(k.TokenHash)
	c.Scopes = slices.Clone(k.Scopes)
	c.AllowedCIDRs = slices.Clone(k.AllowedCIDRs)
	if k.RateLimit != nil {
		r := *k.RateLimit
		c.RateLimit = &r
	}
	c.ExpiresAt = copyTime(k.ExpiresAt)
	c.LastUsedAt = copyTime(k.LastUsedAt)
	c.RevokedAt = copyTime(k.RevokedAt)
	return &c
}

func copyAgent(a *gatehouse.Agent) *gatehouse.Agent {
	if a == nil {
		return nil
	}
	c := *a
	c.TokenHash = bytes.Clone(a.TokenHash)
	c.VerifiedAt = copyTime(a.VerifiedAt)
	return &c
}

func copyOAuthClient(c *gatehouse.OAuthClient) *gatehouse.OAuthClient {
	if c == nil {
		return nil
	}
	d := *c
	d.SecretHash = bytes.Clone(c.SecretHash)
	d.RedirectURIs = slices.Clone(c.RedirectURIs)
	d.GrantTypes = slices.Clone(c.GrantTypes)
	d.Scopes = slices.Clone(c.Scopes)
	return &d
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
