package token

// Kind is what a token is for; it is the part after the brand.
type Kind string

// The token kinds. KindAPIKeyLive and KindAPIKeyTest contain an underscore.
const (
	KindPAT          Kind = "pat"     // personal access token
	KindSession      Kind = "ses"     // browser or CLI session
	KindAgent        Kind = "agt"     // agent token
	KindRefresh      Kind = "rt"      // OAuth refresh token
	KindAPIKeyLive   Kind = "sk_live" // live API key
	KindAPIKeyTest   Kind = "sk_test" // test API key
	KindClientSecret Kind = "cs"      // OAuth client secret
)

// Kinds lists every kind. Treat it as read-only: validation does not consult it.
var Kinds = []Kind{KindPAT, KindSession, KindAgent, KindRefresh, KindAPIKeyLive, KindAPIKeyTest, KindClientSecret}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindPAT, KindSession, KindAgent, KindRefresh, KindAPIKeyLive, KindAPIKeyTest, KindClientSecret:
		return true
	}
	return false
}

// ValidBrand reports whether brand can prefix tokens: 2 to 8 lowercase ASCII letters.
func ValidBrand(brand string) error {
	if len(brand) < MinBrandLen || len(brand) > MaxBrandLen {
		return errBrand
	}
	for i := 0; i < len(brand); i++ {
		if c := brand[i]; c < 'a' || c > 'z' {
			return errBrand
		}
	}
	return nil
}
