package gatehouse

import "time"

// ID prefixes of OAuth clients and signing keys.
const (
	PrefixOAuthClient = "cli"
	PrefixSigningKey  = "sig"
)

// BuiltInCLIClientID is the public client every deployment has, used by `gatehouse login` for the
// device flow.
const BuiltInCLIClientID = "gatehouse-cli"

// OAuthClient is a third-party application registered by an organization. Confidential clients
// have a secret (`<brand>_cs_…`, random, so only its SHA-256 is stored); public clients have none.
type OAuthClient struct {
	ID           string // the client_id: cli_... (or BuiltInCLIClientID)
	OrgID        string // "" for the built-in client
	Name         string
	Public       bool
	SecretHash   []byte // nil for public clients
	SecretPrefix string // display prefix of the secret
	RedirectURIs []string
	GrantTypes   []string
	Scopes       []string
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Signing key states: the JWKS publishes next, current and previous keys, so that no valid token
// fails verification during a rotation; only the current key signs.
const (
	KeyStateNext     = "next"
	KeyStateCurrent  = "current"
	KeyStatePrevious = "previous"
	KeyStateRetired  = "retired" // no longer published
)

// SigningKey is a key that signs tokens (JWT access tokens, ID tokens). The private key is stored
// sealed (AES-256-GCM under a key derived from GATEHOUSE_SECRET_KEY) when a secret key is
// configured, else as is (with a warning at start).
type SigningKey struct {
	ID          string // the JWK "kid": sig_...
	Algorithm   string // "RS256" or "ES256"
	State       string // a KeyState* value
	PrivateKey  []byte // PKCS#8 DER, sealed or not (Sealed says which)
	Sealed      bool
	PublicJWK   []byte // the public key as a JWK (JSON), published as is
	CreatedAt   time.Time
	ActivatedAt *time.Time // when it became current
	RetiredAt   *time.Time // when it stopped being published
}
