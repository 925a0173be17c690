// Package token is the Gatehouse credential format: it generates, parses, checksums and hashes
// bearer secrets.
//
// A token is
//
//	<brand>_<kind>_<32 base62 random><6 base62 checksum>
//
// where brand is 2–8 lowercase ASCII letters (default "gth"), kind is one of Kinds (pat, ses,
// agt, rt, sk_live, sk_test, cs), the random part is 32 characters drawn uniformly from the base62
// alphabet 0-9A-Za-z (in that order) by rejection sampling from crypto/rand (about 190.5 bits),
// and the checksum is the CRC32-IEEE of the 32 random characters (as ASCII bytes) written in
// base62, most significant digit first, left-padded with '0' to 6 characters.
//
// The contract:
//   - Parse is strict and cheap: it checks the shape, the brand, the kind, the alphabet and the
//     checksum with bounded work, touches no database and never panics. Callers compare the
//     returned brand and kind with what they expect. Its errors (ErrMalformed, ErrChecksum) never
//     contain the token.
//   - Only Hash(token) (SHA-256 of the whole string) and DisplayPrefix(token) are stored; the token
//     itself is shown once and never logged. Token.String redacts the random part for the same
//     reason.
//   - Pattern(brand, kind) is the published regular expression (RE2 and PCRE) that secret
//     scanners use to find leaked tokens.
//
// The package imports nothing from the module; callers map its errors to the root package's
// codes (gatehouse.CodeInvalidToken, gatehouse.CodeInvalidAPIKey, ...).
package token
