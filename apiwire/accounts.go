package apiwire

import "time"

// User is an account's public profile (GET /v1/me, PATCH /v1/me and the user of a Session). It
// never carries the password hash.
type User struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"` // "user" or "agent"
	Username      string    `json:"username"`
	DisplayName   string    `json:"display_name"`
	Email         string    `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	AvatarURL     string    `json:"avatar_url"`
	BannerURL     string    `json:"banner_url"`
	Description   string    `json:"description"`
	Theme         string    `json:"theme"`
	Font          string    `json:"font"`
	IsAdmin       bool      `json:"is_admin"`
	CreatedAt     time.Time `json:"created_at"`
	// Owner is the person who owns an agent; only GET /v1/me as an agent sets it, every other
	// answer leaves it nil (and so without the key).
	Owner *Owner `json:"owner,omitempty"`
}

// Owner names the person who owns an agent.
type Owner struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

// Session is the answer of every endpoint that signs someone in: the session token (a secret),
// when it expires and who it is for.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
}

// SessionInfo is one of the caller's sessions as GET /v1/me/sessions lists it (never the
// token).
type SessionInfo struct {
	ID         string    `json:"id"`
	Prefix     string    `json:"prefix"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"` // the session making the request
}

// RegisterRequest is the body of POST /v1/auth/register. Email and DisplayName are optional: an
// empty string is the same as leaving them out.
type RegisterRequest struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	Email       string `json:"email,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
}

// ProfileUpdate is the body of PATCH /v1/me: nil (or JSON null) fields are left unchanged.
type ProfileUpdate struct {
	Email       *string `json:"email,omitempty"`
	DisplayName *string `json:"display_name,omitempty"`
	AvatarURL   *string `json:"avatar_url,omitempty"`
	BannerURL   *string `json:"banner_url,omitempty"`
	Description *string `json:"description,omitempty"`
	Theme       *string `json:"theme,omitempty"`
	Font        *string `json:"font,omitempty"`
}

// EmailChange is the 202 answer of PATCH /v1/me when it asks for a new email address: the address
// waits for the code mailed to it (POST /v1/auth/verify-email); the account keeps its address
// until then. The answer is the same whether or not another account holds the address.
type EmailChange struct {
	PendingEmail string `json:"pending_email"`
}

// LoginRequest is the body of POST /v1/auth/login.
type LoginRequest struct {
	Username string `json:"username"` // a username or an email address
	Password string `json:"password"`
}

// ChangePasswordRequest is the body of POST /v1/me/change-password.
type ChangePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// DeleteAccountRequest is the body of DELETE /v1/me. Password is optional for an account
// without one (a recent sign-in confirms instead); the body itself may be left out.
type DeleteAccountRequest struct {
	Password string `json:"password,omitempty"`
}

// ReauthRequest is the body of POST /v1/auth/reauth: the account's password.
type ReauthRequest struct {
	Password string `json:"password"`
}

// Reauthenticated is the answer of the re-authentication endpoints: when the caller's session
// became recent again.
type Reauthenticated struct {
	ReauthenticatedAt time.Time `json:"reauthenticated_at"`
}
