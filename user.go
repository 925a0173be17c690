package gatehouse

import (
	"strings"
	"time"
)

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
	// CredentialsChangedAt is when the account's credentials last changed wholesale (a password
	// change or reset, an operator's revoke-sessions, a claim of the address): OAuth access
	// tokens (JWTs, which are not stored) issued before it are refused. Zero: never.
	CredentialsChangedAt time.Time
}

// Disabled reports whether the account may not sign in.
func (u *User) Disabled() bool { return u.DisabledAt != nil }

// UserUpdate is a partial update of a profile: nil fields are left alone.
type UserUpdate struct {
	Email         *string // setting it clears EmailVerified (unless EmailVerified is set too)
	EmailVerified *bool   // mark the address verified (applied after Email)
	DisplayName   *string
	AvatarURL     *string
	BannerURL     *string
	Description   *string
	Theme         *string
	Font          *string
	IsAdmin       *bool
	UpdatedAt     time.Time
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
	// AuthenticatedAt is when the person last proved who they are on this session: the sign-in
	// or a re-authentication (POST /v1/auth/reauth). Sensitive actions need it recent.
	AuthenticatedAt time.Time
	// AMR lists how (RFC 8176 values: pwd, hwk, otp, fed; "agt" for an agent token).
	AMR []string
}

// ParseAMR reads the stored form of an AMR list (space-separated).
func ParseAMR(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

// FormatAMR is the stored form of an AMR list.
func FormatAMR(amr []string) string { return strings.Join(amr, " ") }

// Active reports whether the session may be used at now given the idle timeout (0: none).
func (s *Session) Active(now time.Time, idle time.Duration) bool {
	if s.RevokedAt != nil || !now.Before(s.ExpiresAt) {
		return false
	}
	return idle <= 0 || now.Sub(s.LastSeenAt) < idle
}

// Principal is who a request acts as, once its credential is verified. Exactly one of User (for
// sessions, agent sessions and PATs) or APIKey (an organization's key) is the actor.
type Principal struct {
	User    *User
	Session *Session             // the session, for session and agent-session credentials
	PAT     *PersonalAccessToken // the token, for PAT credentials
	Agent   *Agent               // the agent, when User is an agent's account
	APIKey  *APIKey              // the key, for API-key credentials (User is nil)
	// Access is the JWT access token, for OAuth access-token credentials. User is its subject
	// (nil for a client_credentials token, whose subject is the client).
	Access *AccessToken
	// Credential is one of the Credential* kinds.
	Credential string
}

// Scopes returns the scopes the credential is limited to, and whether it is limited at all
// (sessions are not; PATs with no scopes are not).
func (p *Principal) Scopes() ([]string, bool) {
	switch {
	case p.APIKey != nil:
		return p.APIKey.Scopes, true
	case p.PAT != nil && len(p.PAT.Scopes) > 0:
		return p.PAT.Scopes, true
	case p.Access != nil && p.Access.ClientID != BuiltInCLIClientID:
		// Third-party apps act only within the scopes the user granted; the built-in CLI's
		// tokens act as the user, like a session.
		return p.Access.Scopes, true
	}
	return nil, false
}

// Outstanding access tokens. A JWT's "iat" has whole seconds, and so has CredentialsChangedAt:
// the store sets it to the change's time rounded up to the second, and at least a second past the
// previous value (SetCredentialsChangedAt), so that every change ends the tokens issued before it,
// even several changes within one second. A token whose iat is before CredentialsChangedAt is
// refused; tokens issued after a change carry an iat no earlier than CredentialsChangedAt
// (AccessTokenIssuedAt, at most a few seconds ahead of the clock), so that they work at once.

// AccessTokenRevoked reports whether an access token of u with that iat was issued before u's
// credentials last changed.
func (u *User) AccessTokenRevoked(iat time.Time) bool {
	return !u.CredentialsChangedAt.IsZero() && iat.Before(u.CredentialsChangedAt)
}

// AccessTokenIssuedAt is the iat of an access token of u issued at now: now in whole seconds, or
// CredentialsChangedAt when that is later (a change within now's second).
func (u *User) AccessTokenIssuedAt(now time.Time) time.Time {
	iat := now.Truncate(time.Second)
	if iat.Before(u.CredentialsChangedAt) {
		return u.CredentialsChangedAt
	}
	return iat
}

// CeilSecond is t rounded up to the whole second: what SetCredentialsChangedAt stores at least.
func CeilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); r.Before(t) {
		return r.Add(time.Second)
	}
	return t
}
