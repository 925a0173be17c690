package auth

import (
	"strings"
	"testing"
)

func TestValidPlanSource(t *testing.T) {
	tests := []struct {
		name   string
		source string
		want   bool
	}{
		{"the default", "free", true},
		{"a billing system", "stripe", true},
		{"digits and punctuation", "team-2024_v1.0", true},
		{"the longest", strings.Repeat("a", maxPlanSourceLen), true},
		{"empty", "", false},
		{"too long", strings.Repeat("a", maxPlanSourceLen+1), false},
		{"upper case", "Stripe", false},
		{"a space", "paid plan", false},
		{"non-ASCII", "grätis", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validPlanSource(tt.source); got != tt.want {
				t.Errorf("validPlanSource(%q) = %v, want %v", tt.source, got, tt.want)
			}
		})
	}
}
