package gatehouse

import "time"

// Principal kinds: what /v1/me reports as "kind".
const (
	KindUser  = "user"
	KindAgent = "agent"
)

// User is an account: a person (Kind "user") or, from the credentials issue on, an agent.
type User struct {
	ID            string // usr_...
	Kind          string // KindUser or KindAgent
	Username      string // as the user typed it; unique case-insensitively
	Email         string // "" when none; unique case-insensitively when set
	EmailVerified bool
	DisplayName   string
	AvatarURL     string
	BannerURL     string
	Description   string
	Theme         string
	Font          string
	PasswordHash  string // PHC string; "" for password-less accounts. Never serialised.
	IsAdmin       bool   // instance administrator
	DisabledAt    *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Disabled reports whether the account may not sign in.
func (u *User) Disabled() bool { return u.DisabledAt != nil }

// UserUpdate is a partial update of a profile: nil fields are left alone.
type UserUpdate struct {
	Email       *string // setting it clears EmailVerified
	DisplayName *string
	AvatarURL   *string
	BannerURL   *string
	Description *string
	Theme       *string
	Font        *string
	IsAdmin     *bool
	UpdatedAt   time.Time
}

// Session is a signed-in browser or API session. The bearer token itself is never stored: only
// its SHA-256 (TokenHash) and a display prefix.
type Session struct {
	ID           string // ses_...
	UserID       string
	TokenHash    []byte
	TokenPrefix  string
	CreatedAt    time.Time
	ExpiresAt    time.Time // absolute expiry
	LastSeenAt   time.Time // for the idle timeout; written at most once a minute
	IP           string
	UserAgent    string
	RevokedAt    *time.Time
	RevokeReason string
}

// Active reports whether the session may be used at now given the idle timeout (0: none).
func (s *Session) Active(now time.Time, idle time.Duration) bool {
	if s.RevokedAt != nil || !now.Before(s.ExpiresAt) {
		return false
	}
	return idle <= 0 || now.Sub(s.LastSeenAt) < idle
}

// Principal is who a request acts as, once its credential is verified.
type Principal struct {
	User    *User
	Session *Session // the session the credential belongs to, when it is one
	// Credential names the credential kind: "session" for now; PATs, agent sessions and API keys
	// come with the credentials issue.
	Credential string
}
