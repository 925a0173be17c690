package profile

import "testing"

func TestSlug(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lowercase word", "lobby", "lobby"},
		{"capitals and space", "Crab Shack", "crab-shack"},
		{"runs of punctuation", "  Acme, Inc.!! ", "acme-inc"},
		{"digits kept", "Team 42", "team-42"},
		{"non-ASCII letters dropped", "Café Ünïon", "caf-n-on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Slug(tt.in); got != tt.want {
				t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
