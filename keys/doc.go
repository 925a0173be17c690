// Package keys manages the token signing keys: it generates them (RS256, RSA 2048), seals their
// private halves at rest (AES-256-GCM under a key derived from GATEHOUSE_SECRET_KEY with
// HKDF-SHA256, the key ID as additional data) when a secret key is configured, encodes their
// public halves as JWKs (RFC 7517), and keeps the published set through a Manager: first-start
// initialisation, the current signer, the JWKS document, manual and scheduled rotation.
//
// RS256 is the default because it is the one algorithm every OpenID Connect relying party must
// support (OIDC Core 3.1.3.7, RFC 7518 "Recommended+") and the one the widest range of OAuth
// client libraries, API gateways and older JOSE stacks accept; ES256 keys are understood too.
//
// Rotation keeps three keys published: next (announced ahead of use), current (the only one that
// signs) and previous (still verifies tokens signed before the last rotation), so that no valid
// token fails verification while caches of the JWKS catch up.
//
// The package imports only the root package, the standard library and golang.org/x/crypto, so
// that any layer (httpapi, app, cmd) may depend on it.
package keys
