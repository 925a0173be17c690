package record

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// at is a time with sub-millisecond digits in a non-UTC zone, so normalisation shows.
var at = time.Date(2026, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("X", 3600))

// stored is at as every store keeps it.
var stored = time.Date(2026, 3, 4, 4, 6, 7, 891_000_000, time.UTC)

func hash(n int) []byte { return make([]byte, n) }

// wantCode fails t unless err has the code want ("" meaning no error).
func wantCode(t *testing.T, err error, want gatehouse.Code) {
	t.Helper()
	if got := gatehouse.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

// wantStored fails t unless got is exactly the normalised at (UTC location included).
func wantStored(t *testing.T, name string, got time.Time) {
	t.Helper()
	if !got.Equal(stored) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v in UTC", name, got, stored)
	}
}

func TestTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"sub-millisecond digits dropped, zone made UTC", at, stored},
		{"whole millisecond kept", stored, stored},
		{"before the epoch truncates down", time.Date(1969, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
			time.Date(1969, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
		{"other zone made UTC", time.Unix(100, 5).In(time.FixedZone("Y", -7200)), time.Unix(100, 0).UTC()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Time(tt.in)
			if got != tt.want { // == also compares location and monotonic reading
				t.Errorf("Time(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if got.UnixMilli() != tt.in.UnixMilli() {
				t.Errorf("Time changed the Unix milliseconds: %d, want %d", got.UnixMilli(), tt.in.UnixMilli())
			}
		})
	}
}

func TestTimePtr(t *testing.T) {
	if TimePtr(nil) != nil {
		t.Error("TimePtr(nil) is not nil")
	}
	in := at
	got := TimePtr(&in)
	if got == &in {
		t.Error("TimePtr returned its argument")
	}
	wantStored(t, "*TimePtr", *got)
	if in != at {
		t.Error("TimePtr changed its argument")
	}
}

func TestCheckTokenHash(t *testing.T) {
	tests := []struct {
		name string
		hash []byte
		want gatehouse.Code
	}{
		{"nil", nil, gatehouse.CodeInvalidRequest},
		{"empty", hash(0), gatehouse.CodeInvalidRequest},
		{"one byte", hash(1), ""},
		{"SHA-256", hash(32), ""},
		{"largest", hash(MaxTokenHash), ""},
		{"too long", hash(MaxTokenHash + 1), gatehouse.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckTokenHash(tt.hash, "agent")
			wantCode(t, err, tt.want)
			if err != nil && !strings.Contains(gatehouse.ErrorMessage(err), "agent token hash") {
				t.Errorf("message %q does not name the token", gatehouse.ErrorMessage(err))
			}
		})
	}
}

func TestCheckClientSecretHash(t *testing.T) {
	tests := []struct {
		name string
		hash []byte
		want gatehouse.Code
	}{
		{"nil", nil, gatehouse.CodeInvalidRequest},
		{"SHA-256", hash(32), ""},
		{"largest", hash(MaxTokenHash), ""},
		{"too long", hash(MaxTokenHash + 1), gatehouse.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, CheckClientSecretHash(tt.hash), tt.want)
		})
	}
}

func TestCheckOneTimeToken(t *testing.T) {
	good := func() *gatehouse.OneTimeToken {
		return &gatehouse.OneTimeToken{Purpose: gatehouse.PurposeMagicLink, UserID: "usr_1",
			TokenHash: hash(32), ExpiresAt: at}
	}
	tests := []struct {
		name   string
		change func(*gatehouse.OneTimeToken)
		want   gatehouse.Code
	}{
		{"complete", func(*gatehouse.OneTimeToken) {}, ""},
		{"no purpose", func(o *gatehouse.OneTimeToken) { o.Purpose = "" }, gatehouse.CodeInvalidRequest},
		{"no user", func(o *gatehouse.OneTimeToken) { o.UserID = "" }, gatehouse.CodeInvalidRequest},
		{"no expiry", func(o *gatehouse.OneTimeToken) { o.ExpiresAt = time.Time{} }, gatehouse.CodeInvalidRequest},
		{"no hash", func(o *gatehouse.OneTimeToken) { o.TokenHash = nil }, gatehouse.CodeInvalidRequest},
		{"hash too long", func(o *gatehouse.OneTimeToken) { o.TokenHash = hash(MaxTokenHash + 1) }, gatehouse.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.change(o)
			wantCode(t, CheckOneTimeToken(o), tt.want)
		})
	}
}

func TestCheckMembership(t *testing.T) {
	tests := []struct {
		name string
		role gatehouse.Role
		want gatehouse.Code
	}{
		{"owner", gatehouse.RoleOwner, ""},
		{"admin", gatehouse.RoleAdmin, ""},
		{"member", gatehouse.RoleMember, ""},
		{"no role", "", gatehouse.CodeInvalidRequest},
		{"unknown role", "superuser", gatehouse.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, CheckMembership(gatehouse.Membership{OrgID: "org_1", UserID: "usr_1", Role: tt.role}), tt.want)
		})
	}
}

func TestFillUser(t *testing.T) {
	t.Run("empty user gets defaults", func(t *testing.T) {
		before := time.Now().Add(-time.Millisecond)
		u := &gatehouse.User{}
		FillUser(u, gatehouse.KindAgent)
		if !strings.HasPrefix(u.ID, gatehouse.PrefixUser+"_") {
			t.Errorf("ID = %q, want prefix %s_", u.ID, gatehouse.PrefixUser)
		}
		if u.Kind != gatehouse.KindAgent {
			t.Errorf("Kind = %q, want %q", u.Kind, gatehouse.KindAgent)
		}
		if u.CreatedAt.Before(before) || u.CreatedAt.After(time.Now()) || u.CreatedAt != Time(u.CreatedAt) {
			t.Errorf("CreatedAt = %v, want now, normalised", u.CreatedAt)
		}
		if u.UpdatedAt != u.CreatedAt {
			t.Errorf("UpdatedAt = %v, want CreatedAt %v", u.UpdatedAt, u.CreatedAt)
		}
	})
	t.Run("given fields kept, times normalised", func(t *testing.T) {
		later, disabled := at.Add(time.Hour), at
		u := &gatehouse.User{ID: "usr_given", Kind: gatehouse.KindUser, CreatedAt: at, UpdatedAt: later, DisabledAt: &disabled}
		FillUser(u, gatehouse.KindAgent)
		if u.ID != "usr_given" || u.Kind != gatehouse.KindUser {
			t.Errorf("ID, Kind = %q, %q; want the given ones", u.ID, u.Kind)
		}
		wantStored(t, "CreatedAt", u.CreatedAt)
		wantStored(t, "UpdatedAt - 1h", u.UpdatedAt.Add(-time.Hour))
		wantStored(t, "DisabledAt", *u.DisabledAt)
	})
}

func TestFillAPIKey(t *testing.T) {
	good := func() *gatehouse.APIKey {
		return &gatehouse.APIKey{OrgID: "org_1", Environment: gatehouse.EnvironmentLive, TokenHash: hash(32)}
	}
	tests := []struct {
		name   string
		change func(*gatehouse.APIKey)
		want   gatehouse.Code
	}{
		{"minimal live key", func(*gatehouse.APIKey) {}, ""},
		{"test environment", func(k *gatehouse.APIKey) { k.Environment = gatehouse.EnvironmentTest }, ""},
		{"no environment", func(k *gatehouse.APIKey) { k.Environment = "" }, gatehouse.CodeInvalidRequest},
		{"unknown environment", func(k *gatehouse.APIKey) { k.Environment = "staging" }, gatehouse.CodeInvalidRequest},
		{"no hash", func(k *gatehouse.APIKey) { k.TokenHash = nil }, gatehouse.CodeInvalidRequest},
		{"hash too long", func(k *gatehouse.APIKey) { k.TokenHash = hash(MaxTokenHash + 1) }, gatehouse.CodeInvalidRequest},
		{"good rate limit", func(k *gatehouse.APIKey) { k.RateLimit = &gatehouse.Rate{Limit: 100, Period: time.Minute} }, ""},
		{"largest rate limit", func(k *gatehouse.APIKey) {
			k.RateLimit = &gatehouse.Rate{Limit: MaxRateLimit, Period: time.Millisecond}
		}, ""},
		{"rate limit over 32 bits", func(k *gatehouse.APIKey) {
			over := int64(MaxRateLimit) + 1
			k.RateLimit = &gatehouse.Rate{Limit: int(over), Period: time.Minute}
		}, gatehouse.CodeInvalidRequest},
		{"zero rate limit", func(k *gatehouse.APIKey) { k.RateLimit = &gatehouse.Rate{Limit: 0, Period: time.Minute} }, gatehouse.CodeInvalidRequest},
		{"negative rate limit", func(k *gatehouse.APIKey) { k.RateLimit = &gatehouse.Rate{Limit: -1, Period: time.Minute} }, gatehouse.CodeInvalidRequest},
		{"sub-millisecond period", func(k *gatehouse.APIKey) {
			k.RateLimit = &gatehouse.Rate{Limit: 1, Period: time.Millisecond - 1}
		}, gatehouse.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := good()
			tt.change(k)
			wantCode(t, FillAPIKey(k), tt.want)
		})
	}

	t.Run("defaults", func(t *testing.T) {
		k := good()
		if err := FillAPIKey(k); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k.ID, gatehouse.PrefixAPIKey+"_") {
			t.Errorf("ID = %q, want prefix %s_", k.ID, gatehouse.PrefixAPIKey)
		}
		if k.CreatedAt.IsZero() || k.CreatedAt != Time(k.CreatedAt) {
			t.Errorf("CreatedAt = %v, want now, normalised", k.CreatedAt)
		}
		if k.Scopes == nil || len(k.Scopes) != 0 || k.AllowedCIDRs == nil || len(k.AllowedCIDRs) != 0 {
			t.Errorf("Scopes, AllowedCIDRs = %#v, %#v; want empty, non-nil", k.Scopes, k.AllowedCIDRs)
		}
	})
	t.Run("given fields kept, times normalised", func(t *testing.T) {
		k := good()
		e, u, r := at, at, at
		k.ID, k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt = "key_given", at, &e, &u, &r
		k.Scopes, k.AllowedCIDRs = []string{"read"}, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		if err := FillAPIKey(k); err != nil {
			t.Fatal(err)
		}
		if k.ID != "key_given" || len(k.Scopes) != 1 || len(k.AllowedCIDRs) != 1 {
			t.Errorf("ID, Scopes, AllowedCIDRs = %q, %v, %v; want the given ones", k.ID, k.Scopes, k.AllowedCIDRs)
		}
		wantStored(t, "CreatedAt", k.CreatedAt)
		wantStored(t, "ExpiresAt", *k.ExpiresAt)
		wantStored(t, "LastUsedAt", *k.LastUsedAt)
		wantStored(t, "RevokedAt", *k.RevokedAt)
	})
}

func TestFillMail(t *testing.T) {
	t.Run("no recipient", func(t *testing.T) {
		wantCode(t, FillMail(&gatehouse.OutboundMail{Subject: "Hi"}), gatehouse.CodeInvalidRequest)
	})
	t.Run("defaults", func(t *testing.T) {
		m := &gatehouse.OutboundMail{To: "a@example.com"}
		if err := FillMail(m); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.ID, gatehouse.PrefixMail+"_") {
			t.Errorf("ID = %q, want prefix %s_", m.ID, gatehouse.PrefixMail)
		}
		if m.CreatedAt.IsZero() || m.CreatedAt != Time(m.CreatedAt) || m.NextAttemptAt != m.CreatedAt {
			t.Errorf("CreatedAt, NextAttemptAt = %v, %v; want now, normalised, twice", m.CreatedAt, m.NextAttemptAt)
		}
	})
	t.Run("given fields kept, times normalised", func(t *testing.T) {
		sent := at
		m := &gatehouse.OutboundMail{ID: "mail_given", To: "a@example.com", CreatedAt: at, NextAttemptAt: at, SentAt: &sent}
		if err := FillMail(m); err != nil {
			t.Fatal(err)
		}
		if m.ID != "mail_given" {
			t.Errorf("ID = %q, want the given one", m.ID)
		}
		wantStored(t, "CreatedAt", m.CreatedAt)
		wantStored(t, "NextAttemptAt", m.NextAttemptAt)
		wantStored(t, "SentAt", *m.SentAt)
	})
	t.Run("last error clipped", func(t *testing.T) {
		m := &gatehouse.OutboundMail{To: "a@example.com", LastError: strings.Repeat("x", MaxMailError+10)}
		if err := FillMail(m); err != nil {
			t.Fatal(err)
		}
		if len(m.LastError) != MaxMailError {
			t.Errorf("len(LastError) = %d, want %d", len(m.LastError), MaxMailError)
		}
	})
}

func TestClipError(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"short kept", "smtp: 421", "smtp: 421"},
		{"empty kept", "", ""},
		{"long clipped", strings.Repeat("a", MaxMailError+1), strings.Repeat("a", MaxMailError)},
		{"cut rune dropped", strings.Repeat("a", MaxMailError-1) + "é", strings.Repeat("a", MaxMailError-1)},
		{"invalid UTF-8 dropped", "bad\xffbyte", "badbyte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClipError(tt.in); got != tt.want {
				t.Errorf("ClipError = %q (len %d), want len %d", got, len(got), len(tt.want))
			}
		})
	}
}

func TestFillOAuthClient(t *testing.T) {
	tests := []struct {
		name   string
		client gatehouse.OAuthClient
		want   gatehouse.Code
	}{
		{"confidential", gatehouse.OAuthClient{OrgID: "org_1", SecretHash: hash(32)}, ""},
		{"public", gatehouse.OAuthClient{OrgID: "org_1", Public: true}, ""},
		{"public with empty secret", gatehouse.OAuthClient{OrgID: "org_1", Public: true, SecretHash: []byte{}}, ""},
		{"no organization", gatehouse.OAuthClient{SecretHash: hash(32)}, gatehouse.CodeInvalidRequest},
		{"built-in CLI ID", gatehouse.OAuthClient{ID: gatehouse.BuiltInCLIClientID, OrgID: "org_1", Public: true}, gatehouse.CodeConflict},
		{"public with secret", gatehouse.OAuthClient{OrgID: "org_1", Public: true, SecretHash: hash(32)}, gatehouse.CodeInvalidRequest},
		{"confidential without secret", gatehouse.OAuthClient{OrgID: "org_1"}, gatehouse.CodeInvalidRequest},
		{"secret hash too long", gatehouse.OAuthClient{OrgID: "org_1", SecretHash: hash(MaxTokenHash + 1)}, gatehouse.CodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client
			err := FillOAuthClient(&c)
			wantCode(t, err, tt.want)
			if err != nil {
				return
			}
			if c.Public && c.SecretHash != nil {
				t.Errorf("public client's SecretHash = %#v, want nil", c.SecretHash)
			}
			if !strings.HasPrefix(c.ID, gatehouse.PrefixOAuthClient+"_") {
				t.Errorf("ID = %q, want prefix %s_", c.ID, gatehouse.PrefixOAuthClient)
			}
			if c.CreatedAt.IsZero() || c.CreatedAt != Time(c.CreatedAt) || c.UpdatedAt != c.CreatedAt {
				t.Errorf("CreatedAt, UpdatedAt = %v, %v; want now, normalised, twice", c.CreatedAt, c.UpdatedAt)
			}
			for name, l := range map[string][]string{"RedirectURIs": c.RedirectURIs, "GrantTypes": c.GrantTypes, "Scopes": c.Scopes} {
				if l == nil || len(l) != 0 {
					t.Errorf("%s = %#v, want empty, non-nil", name, l)
				}
			}
		})
	}
	t.Run("reserved error is ErrClientReserved", func(t *testing.T) {
		if err := FillOAuthClient(&gatehouse.OAuthClient{ID: gatehouse.BuiltInCLIClientID, OrgID: "org_1"}); err != ErrClientReserved {
			t.Errorf("err = %v, want ErrClientReserved", err)
		}
	})
	t.Run("given fields kept, times normalised", func(t *testing.T) {
		c := gatehouse.OAuthClient{ID: "cli_given", OrgID: "org_1", Public: true, CreatedAt: at, UpdatedAt: at,
			RedirectURIs: []string{"https://app.example/cb"}}
		if err := FillOAuthClient(&c); err != nil {
			t.Fatal(err)
		}
		if c.ID != "cli_given" || len(c.RedirectURIs) != 1 {
			t.Errorf("ID, RedirectURIs = %q, %v; want the given ones", c.ID, c.RedirectURIs)
		}
		wantStored(t, "CreatedAt", c.CreatedAt)
		wantStored(t, "UpdatedAt", c.UpdatedAt)
	})
}

func TestFillSigningKey(t *testing.T) {
	good := func() *gatehouse.SigningKey {
		return &gatehouse.SigningKey{Algorithm: "ES256", PrivateKey: []byte{1}, PublicJWK: []byte(`{}`)}
	}
	invalid := []struct {
		name   string
		change func(**gatehouse.SigningKey)
	}{
		{"nil key", func(k **gatehouse.SigningKey) { *k = nil }},
		{"no algorithm", func(k **gatehouse.SigningKey) { (*k).Algorithm = "" }},
		{"no private key", func(k **gatehouse.SigningKey) { (*k).PrivateKey = nil }},
		{"no public JWK", func(k **gatehouse.SigningKey) { (*k).PublicJWK = nil }},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			k := good()
			tt.change(&k)
			wantCode(t, FillSigningKey(k, gatehouse.KeyStateNext, at), gatehouse.CodeInvalidRequest)
		})
	}

	activated := at.Add(time.Hour)
	retired := at
	tests := []struct {
		name          string
		state         string
		activatedAt   *time.Time
		wantActivated *time.Time // nil: want none
	}{
		{"next key has no activation", gatehouse.KeyStateNext, &activated, nil},
		{"current key defaults to CreatedAt", gatehouse.KeyStateCurrent, nil, &stored},
		{"current key keeps its activation", gatehouse.KeyStateCurrent, &activated, new(stored.Add(time.Hour))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := good()
			k.State, k.ActivatedAt, k.RetiredAt = gatehouse.KeyStateRetired, tt.activatedAt, &retired
			if err := FillSigningKey(k, tt.state, at); err != nil {
				t.Fatal(err)
			}
			if k.State != tt.state || k.RetiredAt != nil {
				t.Errorf("State, RetiredAt = %q, %v; want %q, nil", k.State, k.RetiredAt, tt.state)
			}
			if !strings.HasPrefix(k.ID, gatehouse.PrefixSigningKey+"_") {
				t.Errorf("ID = %q, want prefix %s_", k.ID, gatehouse.PrefixSigningKey)
			}
			wantStored(t, "CreatedAt (from created)", k.CreatedAt)
			switch {
			case tt.wantActivated == nil && k.ActivatedAt != nil:
				t.Errorf("ActivatedAt = %v, want nil", *k.ActivatedAt)
			case tt.wantActivated != nil && (k.ActivatedAt == nil || *k.ActivatedAt != *tt.wantActivated):
				t.Errorf("ActivatedAt = %v, want %v", k.ActivatedAt, *tt.wantActivated)
			case k.ActivatedAt != nil && k.ActivatedAt == &k.CreatedAt:
				t.Error("ActivatedAt aliases CreatedAt")
			}
		})
	}
	t.Run("given ID and CreatedAt kept", func(t *testing.T) {
		k := good()
		k.ID, k.CreatedAt = "sig_given", at
		if err := FillSigningKey(k, gatehouse.KeyStateNext, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if k.ID != "sig_given" {
			t.Errorf("ID = %q, want the given one", k.ID)
		}
		wantStored(t, "CreatedAt", k.CreatedAt)
	})
}

func TestSettleOwnedOrgs(t *testing.T) {
	tests := []struct {
		name        string
		orgs        []OwnedOrg
		wantDeleted []string
		wantNamed   []string // in the conflict's message; none: no conflict
	}{
		{"none", nil, nil, nil},
		{"sole member", []OwnedOrg{{ID: "org_a", Name: "A"}}, []string{"org_a"}, nil},
		{"another owner stays", []OwnedOrg{{ID: "org_a", Name: "A", Survivors: 2, SurvivingOwners: 1}}, nil, nil},
		{"members without an owner", []OwnedOrg{
			{ID: "org_a", Name: "Alpha"}, {ID: "org_b", Name: "Beta", Survivors: 1}, {ID: "org_c", Name: "Gamma", Survivors: 3},
		}, nil, []string{"Beta, Gamma"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deleted, err := SettleOwnedOrgs(tt.orgs)
			if len(tt.wantNamed) > 0 {
				wantCode(t, err, gatehouse.CodeConflict)
				for _, n := range tt.wantNamed {
					if !strings.Contains(err.Error(), n) {
						t.Fatalf("conflict %q does not name %q", err, n)
					}
				}
				if strings.Contains(err.Error(), "Alpha") || deleted != nil {
					t.Fatalf("conflict %q names the sole-member org, or deletes %v", err, deleted)
				}
				return
			}
			if err != nil || !slices.Equal(deleted, tt.wantDeleted) {
				t.Fatalf("deleted %v, %v; want %v", deleted, err, tt.wantDeleted)
			}
		})
	}
}
