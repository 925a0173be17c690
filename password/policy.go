package password

import (
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse"
)

// MaxBytes is the longest password accepted, in bytes of the raw input.
const MaxBytes = 1024

// DefaultMinLength is the minimum length when Policy.MinLength is zero or less.
const DefaultMinLength = 8

// Policy is the rule set for new passwords. There are no composition rules.
type Policy struct {
	MinLength int // in characters (runes) after normalisation; <= 0 means DefaultMinLength
}

// Check returns nil when pw may be set, or a *gatehouse.Error:
//   - CodePasswordTooLong when pw is over MaxBytes bytes (checked first, before any other work);
//   - CodeInvalidRequest when pw is not valid UTF-8;
//   - CodePasswordTooShort when the normalised pw has fewer than MinLength characters;
//   - CodePasswordBreached when it is in the common-password list (IsCommon).
//
// The messages never contain the password.
func (p Policy) Check(pw string) error {
	if len(pw) > MaxBytes {
		return gatehouse.Errorf(gatehouse.CodePasswordTooLong, "The password is too long: use at most %d bytes.", MaxBytes)
	}
	if !utf8.ValidString(pw) {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The password contains invalid characters (it is not valid UTF-8 text).")
	}
	minLen := p.MinLength
	if minLen <= 0 {
		minLen = DefaultMinLength
	}
	if utf8.RuneCountInString(Normalize(pw)) < minLen {
		return gatehouse.Errorf(gatehouse.CodePasswordTooShort, "The password is too short: use at least %d characters.", minLen)
	}
	if IsCommon(pw) {
		return gatehouse.Errorf(gatehouse.CodePasswordBreached, "This password is too common and appears in lists of breached passwords; choose another one.")
	}
	return nil
}
