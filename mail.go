package gatehouse

import "time"

// PrefixMail and PrefixOneTimeToken are the ID prefixes of outbox mails and one-time tokens.
const (
	PrefixMail         = "mail"
	PrefixOneTimeToken = "ott"
)

// OutboundMail is one mail in the outbox. It is written in the same transaction as the action
// that causes it and sent later by a worker, so a crash or an SMTP outage loses no mail and never
// fails the request.
type OutboundMail struct {
	ID            string // mail_...
	Kind          string // the template it was rendered from, e.g. "password_reset"; for logs and metrics
	To            string
	Subject       string
	Text          string
	HTML          string
	CreatedAt     time.Time
	Attempts      int       // failed sending attempts so far
	NextAttemptAt time.Time // when a worker may (re)try it
	SentAt        *time.Time
	LastError     string // of the last failed attempt; never contains the mail's secrets
	// FailedAt is set when the outbox gave up on the mail (a dead letter): it is never tried
	// again and stays for inspection.
	FailedAt *time.Time
}

// Purposes of one-time tokens.
const (
	PurposeEmailVerify   = "email_verify"   // a six-digit code mailed to the address being verified
	PurposePasswordReset = "password_reset" // a link token, 1 hour
	PurposeMagicLink     = "magic_link"     // a link token, 15 minutes
	PurposeEmailChange   = "email_change"   // a six-digit code mailed to the new address (Email); the account's address until then stays
)

// OneTimeToken is a single-use secret mailed to a user: a verification code or a link token. Only
// its SHA-256 is stored.
type OneTimeToken struct {
	ID        string // ott_...
	Purpose   string
	UserID    string
	Email     string // the address it was sent to (for email_verify: the address being verified; for email_change: the pending address)
	TokenHash []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int        // wrong guesses so far (codes)
	UsedAt    *time.Time // set when consumed, or when a newer token of the same purpose replaced it
}
