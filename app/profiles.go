package app

import (
	"fmt"

	"github.com/gatehouse-auth/gatehouse/auth"
	"github.com/gatehouse-auth/gatehouse/httpapi"
	"github.com/gatehouse-auth/gatehouse/httpapi/profile/crew"
	"github.com/gatehouse-auth/gatehouse/httpapi/profile/crewkit"
	"github.com/gatehouse-auth/gatehouse/httpapi/profile/crustocean"
	"github.com/gatehouse-auth/gatehouse/httpapi/profile/rst"
)

// builtProfiles are the seed API profiles by their GATEHOUSE_API_PROFILES name.
var builtProfiles = map[string]httpapi.Profile{
	"crustocean": crustocean.Profile{},
	"crewkit":    crewkit.Profile{},
	"crew":       crew.Profile{},
	"rst":        rst.Profile{},
}

// APIProfiles are the profiles GATEHOUSE_API_PROFILES names, in its order. config validated
// the names; one config accepts but this build does not serve fails the start.
func APIProfiles(names []string) ([]httpapi.Profile, error) {
	out := make([]httpapi.Profile, 0, len(names))
	for _, n := range names {
		p, ok := builtProfiles[n]
		if !ok {
			return nil, fmt.Errorf("GATEHOUSE_API_PROFILES: the profile %q is not served by this build", n)
		}
		out = append(out, p)
	}
	return out, nil
}

// configureAuth lets each named profile that states a rule of its own (httpapi.AuthConfigurer)
// set its parameters of the use cases; names this build does not serve are skipped (Start
// refuses them first).
func configureAuth(c *auth.Config, names []string) {
	for _, n := range names {
		if p, ok := builtProfiles[n].(httpapi.AuthConfigurer); ok {
			p.ConfigureAuth(c)
		}
	}
}
