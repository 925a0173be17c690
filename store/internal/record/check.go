package record

import "github.com/gatehouse-auth/gatehouse"

// MaxTokenHash is the largest token or secret hash, in bytes, a store accepts.
const MaxTokenHash = 64

// ErrClientReserved is FillOAuthClient's answer for the built-in CLI client's ID.
var ErrClientReserved = gatehouse.Errorf(gatehouse.CodeConflict, "That client ID is reserved.")

// CheckTokenHash rejects a token hash the lookups could not find: none, or more than
// MaxTokenHash bytes (CodeInvalidRequest). what names the token in the message ("agent").
func CheckTokenHash(hash []byte, what string) error {
	if len(hash) == 0 || len(hash) > MaxTokenHash {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A %s token hash has 1 to %d bytes.", what, MaxTokenHash)
	}
	return nil
}

// CheckClientSecretHash rejects an OAuth client secret hash of no or more than MaxTokenHash
// bytes (CodeInvalidRequest).
func CheckClientSecretHash(hash []byte) error {
	if len(hash) == 0 || len(hash) > MaxTokenHash {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A client secret hash has 1 to %d bytes.", MaxTokenHash)
	}
	return nil
}

// CheckOneTimeToken rejects a one-time token without a purpose, a user or an expiry time, or
// with a bad token hash (CodeInvalidRequest).
func CheckOneTimeToken(t *gatehouse.OneTimeToken) error {
	if t.Purpose == "" || t.UserID == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A one-time token needs a purpose and a user.")
	}
	if t.ExpiresAt.IsZero() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "A one-time token needs an expiry time.")
	}
	return CheckTokenHash(t.TokenHash, "one-time")
}

// CheckMembership rejects a membership whose role is not owner, admin or member
// (CodeInvalidRequest).
func CheckMembership(m gatehouse.Membership) error {
	if !m.Role.Valid() {
		return gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The role must be owner, admin or member.")
	}
	return nil
}
