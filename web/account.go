package web

import "net/http"

// AccountPage is the /account page, one tab at a time. Page carries the signed-in user
// (Username, Email, DisplayName: the form values after a failed profile submission) and the
// Error, Status and RequestID of a failure.
type AccountPage struct {
	Page
	// Tab is the tab shown: "profile", "tokens", "sessions", "passkeys" or "connected".
	Tab string
	// Notice is a success message shown with role="status" ("" for none).
	Notice string
	// EmailVerified tells whether the stored email address is verified.
	EmailVerified bool
	// StoredEmail is the email address on the account (Email may hold a rejected new one).
	StoredEmail string
	// PendingEmail is the new address waiting for its mailed code ("" for none).
	PendingEmail string

	// Tokens tab.
	Tokens        []AccountToken
	NewToken      *AccountNewToken // the token just made, shown this once
	TokenName     string           // the form's values after a failed creation
	ExpiryChoices []AccountChoice
	ScopeChoices  []AccountScopeChoice

	// Sessions tab.
	Sessions []AccountSession

	// Passkeys tab.
	Passkeys []AccountPasskey

	// Connected accounts tab.
	GoogleEnabled   bool
	GoogleLinked    bool
	CanUnlinkGoogle bool
	// LinkURL starts the redirect flow and comes back to this tab.
	LinkURL string

	// Reauth, when set, opens the re-authentication dialog: the form just sent was a
	// sensitive action and the session is not recent.
	Reauth *AccountReauth
}

// AccountToken is one active personal access token in the list: never the token itself.
type AccountToken struct {
	ID, Name, Prefix string
	Scopes           []string // empty: not limited by scopes
	Created          AccountTime
	Expires          AccountTime // zero: never
	LastUsed         AccountTime // zero: never
}

// AccountNewToken is the token just created.
type AccountNewToken struct {
	Name, Token string
	Expires     AccountTime // zero: never
}

// AccountSession is one active session of the user.
type AccountSession struct {
	ID, Device, UserAgent, IP, Prefix string
	Created, LastSeen                 AccountTime
	Current                           bool // the session of this browser
}

// AccountPasskey is one passkey in the Passkeys tab's list.
type AccountPasskey struct {
	ID, Name       string
	Created        AccountTime
	LastUsed       AccountTime // zero: never
	Synced         bool        // backed up (a synced passkey)
	BackupEligible bool
}

// AccountChoice is an option of a select.
type AccountChoice struct {
	Value, Label string
	Selected     bool
}

// AccountScopeChoice is a configured resource with its read and write checkboxes.
type AccountScopeChoice struct {
	Resource    string
	Read, Write AccountChoice // Value is the scope, Selected whether it is checked
}

// AccountTime is a time as the page shows it: machine-readable for <time datetime> and in words.
type AccountTime struct {
	ISO, Text string
}

// IsZero reports an absent time (never).
func (t AccountTime) IsZero() bool { return t.ISO == "" }

// AccountReauth is the re-authentication dialog: the form to send again (its action and
// fields) once the person has confirmed who they are.
type AccountReauth struct {
	Action string
	Fields []AccountField
	Error  string // the last attempt's failure, "" on the first showing
}

// AccountField is one field of the form to retry.
type AccountField struct{ Name, Value string }

// Account writes the /account page on the tab d.Tab names.
func (p *Pages) Account(w http.ResponseWriter, r *http.Request, status int, d AccountPage) {
	p.render(w, r, status, pageAccount, d)
}
