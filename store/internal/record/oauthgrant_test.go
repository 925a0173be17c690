package record

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func TestUnionScopes(t *testing.T) {
	cases := []struct {
		name       string
		had, added []string
		want       []string
	}{
		{"none", nil, nil, []string{}},
		{"only had", []string{"openid"}, nil, []string{"openid"}},
		{"only added", nil, []string{"openid", "email"}, []string{"openid", "email"}},
		{"new ones appended in order", []string{"openid", "profile"}, []string{"email", "openid", "offline_access"},
			[]string{"openid", "profile", "email", "offline_access"}},
		{"duplicates inside a list collapse", []string{"a", "a"}, []string{"b", "b", "a"}, []string{"a", "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := UnionScopes(c.had, c.added)
			if got == nil || !slices.Equal(got, c.want) {
				t.Errorf("UnionScopes(%q, %q) = %#v, want %q", c.had, c.added, got, c.want)
			}
		})
	}
}

func TestDecideRotation(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	used, revoked := now.Add(-time.Minute), now.Add(-time.Second)
	cases := []struct {
		name string
		edit func(r *gatehouse.RefreshToken)
		want Rotation
	}{
		{"fresh token", func(r *gatehouse.RefreshToken) {}, RotateIssue},
		{"used: reuse", func(r *gatehouse.RefreshToken) { r.UsedAt = &used }, RotateReused},
		{"another client's", func(r *gatehouse.RefreshToken) { r.ClientID = "other" }, RotateNotFound},
		{"another client's used token changes nothing", func(r *gatehouse.RefreshToken) { r.ClientID, r.UsedAt = "other", &used }, RotateNotFound},
		{"at expiry", func(r *gatehouse.RefreshToken) { r.ExpiresAt = now }, RotateNotFound},
		{"used and expired", func(r *gatehouse.RefreshToken) { r.ExpiresAt, r.UsedAt = now, &used }, RotateNotFound},
		{"revoked family", func(r *gatehouse.RefreshToken) { r.FamilyRevokedAt = &revoked }, RotateNotFound},
		{"used in a revoked family", func(r *gatehouse.RefreshToken) { r.FamilyRevokedAt, r.UsedAt = &revoked, &used }, RotateNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &gatehouse.RefreshToken{ClientID: "cli", ExpiresAt: now.Add(time.Millisecond)}
			c.edit(r)
			if got := DecideRotation(r, "cli", now); got != c.want {
				t.Errorf("DecideRotation = %d, want %d", got, c.want)
			}
		})
	}
}

func TestFillDeviceAuthorization(t *testing.T) {
	d := &gatehouse.DeviceAuthorization{DeviceCodeHash: hash(32), UserCodeHash: hash(32), ClientID: "cli",
		ExpiresAt: at, Interval: 5*time.Second + 1234*time.Microsecond}
	wantCode(t, FillDeviceAuthorization(d), "")
	if d.State != gatehouse.DeviceStatePending || d.Interval != 5001*time.Millisecond || d.Scopes == nil || d.ID == "" {
		t.Errorf("filled %+v: want pending, interval 5.001s, empty scopes and an ID", d)
	}
	wantStored(t, "ExpiresAt", d.ExpiresAt)
}
