package profile

import (
	"regexp"
	"strings"
)

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// Slug is an organization's slug as the profiles show it: its name in lowercase, every run of
// other characters one '-', none at either end ("Crab Shack" → "crab-shack").
func Slug(name string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
}
