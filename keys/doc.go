// Package keys manages the token signing keys: it generates them (RS256 with RSA 2048, and ES256
// with P-256), seals their private halves at rest (AES-256-GCM under a key derived from
// GATEHOUSE_SECRET_KEY with HKDF-SHA256, the key ID as additional data) when a secret key is
// configured, encodes their public halves as JWKs (RFC 7517, each with its kid and alg), and
// keeps the published set through a Manager: first-start initialisation, the current signer of
// an algorithm, the JWKS document, manual and scheduled rotation.
//
// There are two key sets. RS256 signs ID tokens: it is the one algorithm every OpenID Connect
// relying party must support (OIDC Core 3.1.3.7, RFC 7518 "Recommended+"). ES256 signs access
// tokens by default, because an RSA-2048 signature costs about 25 times the CPU of a
// P-256 one (docs/benchmarks.md, BenchmarkSign) and a token endpoint issuing thousands of
// tokens a second is bound by it; RFC 9068 resource servers must support RS256, so access
// tokens can be switched back (GATEHOUSE_ACCESS_TOKEN_ALG, which oauth reads: it asks Signer
// for the algorithm it wants). Both sets rotate together and are published together.
//
// Rotation keeps three keys of each algorithm published: next (announced ahead of use), current
// (the only one of its algorithm that signs) and previous (still verifies tokens signed before
// the last rotation), so that no valid token fails verification while caches of the JWKS catch
// up.
//
// The package imports only the root package, the standard library and golang.org/x/crypto, so
// that any layer (httpapi, app, cmd) may depend on it.
package keys
