package gatehouse

import (
	"context"
	"time"
)

// Store is everything Gatehouse keeps. store/sqlstore implements the whole interface, on SQLite
// and on PostgreSQL, and passes the conformance suite in store/storetest on both.
//
// Rules for every implementation:
//   - a missing row is an error matching ErrNotFound (errors.Is);
//   - a unique violation becomes a *Error with the matching code (CodeUsernameTaken,
//     CodeEmailTaken, CodeConflict); driver errors never leak as is;
//   - usernames, emails and org names compare case-insensitively;
//   - times are stored and returned in UTC with at least millisecond precision.
type Store interface {
	UserStore
	SessionStore
	OrgStore
	AuditStore
	LoginThrottleStore
	PATStore
	AgentStore
	APIKeyStore
	MailStore
	OneTimeTokenStore
	PasskeyStore
	IdentityStore
	ChallengeStore
	OAuthClientStore
	SigningKeyStore
	OAuthGrantStore
	CredentialChangeStore

	// Ping reports whether the database answers (used by /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser inserts u and, in the same transaction, the given memberships.
	CreateUser(ctx context.Context, u *User, memberships ...Membership) error
	UserByID(ctx context.Context, id string) (*User, error)
	UserByUsername(ctx context.Context, username string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUser applies upd and returns the updated user.
	UpdateUser(ctx context.Context, id string, upd UserUpdate) (*User, error)
	// SetPassword stores a new PHC hash. With revokeSessions it also revokes, in the same
	// transaction, every active session of the user (reason "password_changed").
	SetPassword(ctx context.Context, id, hash string, at time.Time, revokeSessions bool) error
	// DeleteUser removes the user with its sessions and memberships; the username and email
	// become free at once. Audit events stay.
	DeleteUser(ctx context.Context, id string) error
	// PlanSource is where the account's plan comes from ("free" until SetPlanSource).
	PlanSource(ctx context.Context, userID string) (string, error)
	// SetPlanSource sets the account's plan source and its update time.
	SetPlanSource(ctx context.Context, userID, source string, at time.Time) error
}

// SessionStore keeps sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// SessionByTokenHash returns the session with that token hash and its user, revoked or
	// expired ones included (the caller decides).
	SessionByTokenHash(ctx context.Context, hash []byte) (*Session, *User, error)
	// ListSessions returns the user's sessions that are not revoked and not expired at now,
	// newest first.
	ListSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// TouchSession records use of the session (last seen time and IP).
	TouchSession(ctx context.Context, id string, at time.Time, ip string) error
	// ReauthenticateSession sets the session's AuthenticatedAt to at and its AMR to amr (a
	// re-authentication); ErrNotFound when it does not exist or is revoked.
	ReauthenticateSession(ctx context.Context, id string, at time.Time, amr []string) error
	// RevokeSession revokes one session of userID; ErrNotFound when it is not the user's or is
	// already revoked.
	RevokeSession(ctx context.Context, userID, sessionID string, at time.Time, reason string) error
	// RevokeUserSessions revokes every active session of the user but exceptID ("" for none)
	// and returns how many it revoked.
	RevokeUserSessions(ctx context.Context, userID, exceptID string, at time.Time, reason string) (int, error)
}

// OrgStore keeps organizations and memberships.
type OrgStore interface {
	// CreateOrg inserts o and, in the same transaction, the given memberships (its creator as
	// owner). A name taken → CodeConflict.
	CreateOrg(ctx context.Context, o *Org, members ...Membership) error
	OrgByID(ctx context.Context, id string) (*Org, error)
	OrgByName(ctx context.Context, name string) (*Org, error)
	AddMember(ctx context.Context, m Membership) error // already a member → CodeConflict
	// ListUserOrgs returns the user's organizations, oldest membership first.
	ListUserOrgs(ctx context.Context, userID string) ([]OrgMembership, error)
	// MemberRole returns userID's role in orgID; ErrNotFound when not a member.
	MemberRole(ctx context.Context, orgID, userID string) (Role, error)
	// ListMembers returns the organization's members with their accounts, oldest first.
	ListMembers(ctx context.Context, orgID string) ([]Member, error)
	// SetMemberRole changes a member's role; ErrNotFound when not a member; CodeConflict when it
	// would leave the organization without an owner. Atomic under concurrent changes.
	SetMemberRole(ctx context.Context, orgID, userID string, role Role) error
	// RemoveMember removes a member; ErrNotFound when not a member; CodeConflict when it is the
	// last owner. Atomic under concurrent removals.
	RemoveMember(ctx context.Context, orgID, userID string) error
}

// PATStore keeps personal access tokens.
type PATStore interface {
	// CreatePAT inserts t unless its user already holds max active tokens (not revoked, not
	// expired at now) → CodeTokenLimitReached. Atomic: of parallel creations past the limit,
	// none slips through.
	CreatePAT(ctx context.Context, t *PersonalAccessToken, max int, now time.Time) error
	// PATByTokenHash returns the token with that hash and its user, revoked or expired included.
	PATByTokenHash(ctx context.Context, hash []byte) (*PersonalAccessToken, *User, error)
	// ListPATs returns the user's active tokens at now, newest first.
	ListPATs(ctx context.Context, userID string, now time.Time) ([]PersonalAccessToken, error)
	// RevokePAT revokes one of the user's tokens; ErrNotFound when not the user's or already
	// revoked.
	RevokePAT(ctx context.Context, userID, id string, at time.Time, reason string) error
	// RecordCredentialUses stores the latest use (time and IP) of each PAT and API key named, in
	// one transaction; uses of unknown IDs are ignored; a use never moves LastUsedAt backwards.
	RecordCredentialUses(ctx context.Context, uses []CredentialUse) error
}

// AgentStore keeps agents. An agent's account is a User with Kind KindAgent.
type AgentStore interface {
	// CreateAgent inserts the agent's account u and the agent a in one transaction.
	CreateAgent(ctx context.Context, a *Agent, u *User) error
	AgentByID(ctx context.Context, id string) (*Agent, error)
	// AgentByUserID returns the agent whose account is userID.
	AgentByUserID(ctx context.Context, userID string) (*Agent, error)
	// AgentByTokenHash returns the agent with that token hash and its account.
	AgentByTokenHash(ctx context.Context, hash []byte) (*Agent, *User, error)
	// ListAgents returns the owner's agents, oldest first.
	ListAgents(ctx context.Context, ownerID string) ([]Agent, error)
	// The four changes below act only when the agent is owned by ownerID ("" for any owner: the
	// operator's and the leak reporter's revocations), checked in the same statement as the
	// change, so a concurrent transfer cannot let the previous owner act once more. Another
	// owner's agent is ErrNotFound.

	// VerifyAgent marks the agent verified at at.
	VerifyAgent(ctx context.Context, id, ownerID string, at time.Time) error
	// RotateAgentToken stores a new token hash and prefix and, in the same transaction, revokes
	// every session of the agent's account (reason "agent_rotated").
	RotateAgentToken(ctx context.Context, id, ownerID string, hash []byte, prefix string, at time.Time) error
	// TransferAgent gives the agent to newOwnerID with a new token (hash and prefix), clears its
	// verification, revokes its account's sessions and removes the account from every
	// organization, in one transaction; an agent that is the only owner of an organization is
	// CodeConflict and nothing changes.
	TransferAgent(ctx context.Context, id, ownerID, newOwnerID string, hash []byte, prefix string, at time.Time) error
	// DeleteAgent deletes the agent and its account (with the account's sessions and
	// memberships), settling the organizations the agent owns as DeleteUser does: CodeConflict
	// naming those that would keep members without an owner (nothing changes), and an
	// organization the agent was alone in is deleted with its keys and clients.
	DeleteAgent(ctx context.Context, id, ownerID string) error
}

// APIKeyStore keeps organizations' API keys.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// APIKeyByTokenHash returns the key with that hash, revoked or expired included.
	APIKeyByTokenHash(ctx context.Context, hash []byte) (*APIKey, error)
	// APIKeyByID returns one of the organization's keys; ErrNotFound for another org's key.
	APIKeyByID(ctx context.Context, orgID, id string) (*APIKey, error)
	// ListAPIKeys returns the organization's keys that are active at now, newest first.
	ListAPIKeys(ctx context.Context, orgID string, now time.Time) ([]APIKey, error)
	// RevokeAPIKey revokes one of the organization's keys; ErrNotFound when not the org's or
	// already revoked.
	RevokeAPIKey(ctx context.Context, orgID, id string, at time.Time, reason string) error
	// RotateAPIKey inserts next and, in the same transaction, sets the old key's ExpiresAt to
	// oldExpiresAt (or keeps its own expiry when that is earlier) and its ReplacedBy to next.ID.
	// ErrNotFound when the old key is not the org's or is not active at next.CreatedAt.
	RotateAPIKey(ctx context.Context, orgID, oldID string, next *APIKey, oldExpiresAt time.Time) error
}

// AuditStore is the append-only audit log.
type AuditStore interface {
	AppendAuditEvent(ctx context.Context, e *AuditEvent) error
	// ListAuditEvents returns events matching f, newest (highest ID) first, at most f.Limit.
	ListAuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}

// LoginThrottleStore backs the per-account throttle of failed logins. It must be atomic under
// parallel attempts on one or many instances.
type LoginThrottleStore interface {
	// ClaimLoginAttempt is called before a password is checked. If key is blocked at now it
	// records nothing and returns the remaining wait (> 0). Otherwise it counts the attempt as a
	// failure in advance (failures+1, forgetting earlier failures older than p.Forget), blocks
	// the key until now+p.Delay(failures) and returns 0. A successful login then calls
	// ResetLoginAttempts, so only failures remain counted.
	ClaimLoginAttempt(ctx context.Context, key string, now time.Time, p LoginThrottlePolicy) (time.Duration, error)
	ResetLoginAttempts(ctx context.Context, key string) error
	// PruneLoginAttempts deletes the state of keys whose last counted failure and block both
	// ended before cutoff (callers pass now minus the policy's Forget, after which a claim would
	// start afresh anyway) and returns how many it deleted.
	PruneLoginAttempts(ctx context.Context, cutoff time.Time) (int, error)
}

// MailStore is the outbox of mails.
type MailStore interface {
	// EnqueueMail adds m to the outbox (NextAttemptAt zero means now).
	EnqueueMail(ctx context.Context, m *OutboundMail) error
	// ClaimMail leases up to limit unsent mails due at now (NextAttemptAt <= now), oldest first,
	// to the calling worker by moving their NextAttemptAt to now+lease, so that no other worker
	// (on any instance) takes them meanwhile. Atomic across instances.
	ClaimMail(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboundMail, error)
	// MarkMailSent records a successful send.
	MarkMailSent(ctx context.Context, id string, at time.Time) error
	// MarkMailFailed records a failed attempt: Attempts+1, LastError, and the next attempt.
	MarkMailFailed(ctx context.Context, id string, next time.Time, errText string) error
	// MarkMailDead records a last failed attempt (Attempts+1, LastError) and gives up on the mail
	// at at (FailedAt): ClaimMail never returns it again.
	MarkMailDead(ctx context.Context, id string, at time.Time, errText string) error
}

// OneTimeTokenStore keeps mailed single-use secrets.
type OneTimeTokenStore interface {
	// CreateOneTimeToken stores t and, in the same transaction, marks used every earlier unused
	// token of the same user and purpose (only the newest works) and enqueues mail (nil: none).
	CreateOneTimeToken(ctx context.Context, t *OneTimeToken, mail *OutboundMail) error
	// ConsumeOneTimeToken marks the unused, unexpired token of that purpose and hash used at now
	// and returns it; ErrNotFound otherwise. Of concurrent consumers of one token exactly one
	// succeeds, on one instance or many.
	ConsumeOneTimeToken(ctx context.Context, purpose string, hash []byte, now time.Time) (*OneTimeToken, error)
	// ActiveOneTimeToken returns the user's newest unused, unexpired token of purpose;
	// ErrNotFound when there is none.
	ActiveOneTimeToken(ctx context.Context, userID, purpose string, now time.Time) (*OneTimeToken, error)
	// FailOneTimeToken counts one wrong guess against the token and returns the new count
	// (atomic under concurrent guesses).
	FailOneTimeToken(ctx context.Context, id string) (int, error)
}

// PasskeyStore keeps WebAuthn credentials.
type PasskeyStore interface {
	CreatePasskey(ctx context.Context, p *Passkey) error // a credential ID in use → CodeConflict
	// PasskeyByCredentialID returns the passkey and its user.
	PasskeyByCredentialID(ctx context.Context, credentialID []byte) (*Passkey, *User, error)
	// ListPasskeys returns the user's passkeys, oldest first.
	ListPasskeys(ctx context.Context, userID string) ([]Passkey, error)
	// RenamePasskey and DeletePasskey act on one of the user's passkeys; ErrNotFound otherwise.
	// With a guard, DeletePasskey refuses (CodeConflict, nothing deleted) to remove the last way
	// in (see SignInGuard).
	RenamePasskey(ctx context.Context, userID, id, name string) error
	DeletePasskey(ctx context.Context, userID, id string, guard *SignInGuard) error
	// RecordPasskeyUse stores a sign-in's new sign count, backup state and credential record.
	// It refuses, with CodeConflict and nothing changed, a sign count that does not increase
	// while either the stored or the new count is non-zero (a cloned authenticator), atomically
	// under concurrent sign-ins.
	RecordPasskeyUse(ctx context.Context, id string, signCount uint32, backupState bool, credential []byte, at time.Time) error
}

// IdentityStore keeps links to external identity providers.
type IdentityStore interface {
	// CreateIdentity links an identity; (provider, subject) already linked, or the user already
	// linked at that provider → CodeConflict.
	CreateIdentity(ctx context.Context, i *Identity) error
	// IdentityBySubject returns the linked identity and its user.
	IdentityBySubject(ctx context.Context, provider, subject string) (*Identity, *User, error)
	// ListIdentities returns the user's linked identities, oldest first.
	ListIdentities(ctx context.Context, userID string) ([]Identity, error)
	// DeleteIdentity unlinks the user's identity at provider; ErrNotFound when none. With a
	// guard it refuses (CodeConflict, nothing deleted) to remove the last way in.
	DeleteIdentity(ctx context.Context, userID, provider string, guard *SignInGuard) error
}

// ChallengeStore keeps ceremony state.
type ChallengeStore interface {
	SaveChallenge(ctx context.Context, c *Challenge) error
	// TakeChallenge deletes and returns the challenge with that ID and purpose if it has not
	// expired at now; ErrNotFound otherwise. Of concurrent takers exactly one gets it.
	TakeChallenge(ctx context.Context, id, purpose string, now time.Time) (*Challenge, error)
	// PruneChallenges deletes challenges that expired at or before cutoff (abandoned ceremonies)
	// and returns how many.
	PruneChallenges(ctx context.Context, cutoff time.Time) (int, error)
}

// OAuthClientStore keeps organizations' OAuth clients.
type OAuthClientStore interface {
	CreateOAuthClient(ctx context.Context, c *OAuthClient) error // ID taken → CodeConflict
	// OAuthClientByID returns any client by its client_id (for the token endpoint).
	OAuthClientByID(ctx context.Context, id string) (*OAuthClient, error)
	// OAuthClientBySecretHash returns the confidential client whose current secret has that
	// SHA-256 (for leaked-secret reports: rare, not a hot path); ErrNotFound otherwise.
	OAuthClientBySecretHash(ctx context.Context, hash []byte) (*OAuthClient, error)
	// ListOAuthClients returns the organization's clients, oldest first.
	ListOAuthClients(ctx context.Context, orgID string) ([]OAuthClient, error)
	// DeleteOAuthClient deletes one of the organization's clients and, in the same transaction,
	// its grants (refresh families, codes, device flows, consents); ErrNotFound otherwise.
	DeleteOAuthClient(ctx context.Context, orgID, id string) error
	// RotateOAuthClientSecret replaces a confidential client's secret hash and prefix;
	// ErrNotFound when not the org's; CodeInvalidRequest for a public client.
	RotateOAuthClientSecret(ctx context.Context, orgID, id string, hash []byte, prefix string, at time.Time) error
}

// SigningKeyStore keeps token signing keys. Each algorithm (RS256, ES256) has its own
// published keys: at most one next, one current and one previous key per algorithm.
type SigningKeyStore interface {
	// PublishedSigningKeys returns the keys in states next, current and previous: the current
	// keys first, then the next ones, then the previous ones, by algorithm within a state.
	PublishedSigningKeys(ctx context.Context) ([]SigningKey, error)
	// RotateSigningKeys rotates, in one transaction serialised across instances, every algorithm
	// of next (one new key per algorithm; two of one algorithm is CodeInvalidRequest): for each,
	// it retires the previous key (RetiredAt = at), makes the current one previous, the next one
	// current (ActivatedAt = at) and inserts the given key as the new next key. ErrNotFound when
	// an algorithm of next has no current or no next key (call InitSigningKeys first). Every ID
	// in expectCurrent must still name a current key, else CodeConflict (another instance
	// rotated first): scheduled rotations on many instances rotate once. A failed rotation
	// changes nothing.
	RotateSigningKeys(ctx context.Context, expectCurrent []string, next []*SigningKey, at time.Time) error
	// InitSigningKeys inserts current and next (both of one algorithm, else CodeInvalidRequest)
	// when no published key of that algorithm exists (a first start, or an algorithm added
	// since) and reports whether it did; concurrent first starts insert exactly one pair per
	// algorithm.
	InitSigningKeys(ctx context.Context, current, next *SigningKey) (bool, error)
}
