package app

import (
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/config"
)

func TestAPIProfiles(t *testing.T) {
	tests := []struct {
		name    string
		names   []string
		want    []string
		wantErr string
	}{
		{"none", nil, nil, ""},
		{"in the configured order", []string{"crewkit", "crew", "crustocean"}, []string{"crewkit", "crew", "crustocean"}, ""},
		{"every profile", []string{"crustocean", "crewkit", "rst", "crew"}, []string{"crustocean", "crewkit", "rst", "crew"}, ""},
		{"a name this build does not serve", []string{"crustocean", "stripe"}, nil, `"stripe" is not served`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := APIProfiles(tt.names)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d profiles, want %v", len(got), tt.want)
			}
			for i, p := range got {
				if p.Name() != tt.want[i] {
					t.Errorf("profile %d is %s, want %s", i, p.Name(), tt.want[i])
				}
			}
		})
	}
}

// TestEveryServedProfileIsAValidName: config accepts every profile the build serves, under the
// name the profile gives itself.
func TestEveryServedProfileIsAValidName(t *testing.T) {
	for name, p := range builtProfiles {
		if p.Name() != name {
			t.Errorf("profile registered as %s calls itself %s", name, p.Name())
		}
		c := config.Default()
		c.APIProfiles = []string{name}
		if err := c.Validate(); err != nil {
			t.Errorf("config refuses the served profile %s: %v", name, err)
		}
	}
}

// TestConfigureAuth: a profile's use-case parameters are set only when it is named.
func TestConfigureAuth(t *testing.T) {
	tests := []struct {
		name         string
		names        []string
		revoked      gatehouse.Code
		strictUnlink bool
	}{
		{"native", nil, "", false},
		{"another profile", []string{"crewkit"}, "", false},
		{"crew", []string{"crustocean", "crew"}, gatehouse.CodeExpiredAPIKey, false},
		{"rst", []string{"rst"}, "", true},
		{"both", []string{"rst", "crew"}, gatehouse.CodeExpiredAPIKey, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.APIProfiles = tt.names
			got := authConfig(&c)
			if got.RevokedAPIKeyCode != tt.revoked {
				t.Errorf("RevokedAPIKeyCode = %q, want %q", got.RevokedAPIKeyCode, tt.revoked)
			}
			if got.Google.UnlinkNeedsPassword != tt.strictUnlink {
				t.Errorf("Google.UnlinkNeedsPassword = %v, want %v", got.Google.UnlinkNeedsPassword, tt.strictUnlink)
			}
		})
	}
}
