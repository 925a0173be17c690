// Package password hashes and checks passwords for Gatehouse.
//
// The contract:
//   - Hashes are argon2id (golang.org/x/crypto/argon2) stored as PHC strings
//     "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>" (standard base64 without padding). The
//     default parameters (DefaultParams) are m=19 MiB, t=2, p=1, a 16-byte salt and a 32-byte
//     key. Verify reports needsRehash when a stored hash was made with other parameters, so
//     callers re-encode it on the next successful login.
//   - Every password goes through Normalize (Unicode NFKC) before hashing and before the common
//     list lookup, identically at set and at check. Nothing is truncated; there are no
//     composition rules.
//   - Policy.Check enforces the rules for new passwords, in this order: at most MaxBytes (1024)
//     bytes of raw input (checked first and cheaply), valid UTF-8, at least MinLength characters
//     (runes after normalisation), not in the bundled common-password list (compared
//     case-insensitively after normalisation). Its errors are *gatehouse.Error values with the
//     codes of the HTTP contract and friendly messages that never echo the password.
//   - Hashing runs in a Hasher: at most Workers argon2 computations at once (each allocates
//     Params.Memory KiB), at most MaxQueue callers waiting, each for at most MaxWait. Beyond that
//     callers get ErrBusy at once (temporarily_unavailable, Retry-After 1s), so a login flood is
//     shed with fast 503s and memory stays bounded.
//   - Secrets (passwords, salts, keys, PHC strings) never appear in errors.
//
// The common list comes from the npm package @zxcvbn-ts/language-common 4.1.3 (MIT); see
// commonlist/SOURCE.md.
package password
