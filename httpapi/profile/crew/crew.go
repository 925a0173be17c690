package crew

import (
	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/httpapi"
	"github.com/gatehouse-auth/gatehouse/openapi"
)

// Profile is the crew seed API profile.
type Profile struct{}

// Name is "crew".
func (Profile) Name() string { return "crew" }

// Mount registers nothing: Crew's API is the native one.
func (Profile) Mount(*httpapi.ProfileRouter) {}

// Operations is empty: the profile has no routes of its own.
func (Profile) Operations() []openapi.Operation { return nil }

// ConfigureAuth makes a revoked API key answer expired_api_key.
func (Profile) ConfigureAuth(c *auth.Config) { c.RevokedAPIKeyCode = gatehouse.CodeExpiredAPIKey }
