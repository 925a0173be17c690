// Package storetest is the conformance suite of gatehouse.Store (in the style of dex's
// storage/conformance). Every backend runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) gatehouse.Store { return openFresh(t) })
//	}
//	func TestShared(t *testing.T) {
//		storetest.RunShared(t, func(t *testing.T) storetest.Opener { ... })
//	}
//
// Run checks every method of gatehouse.Store against the rules written in the root package's
// store.go, each in its own named subtest on a fresh, empty store. RunShared checks what needs
// several stores over one database: data survives Close and reopen, two instances see each other's
// writes at once, and ClaimLoginAttempt, the unique rules, single-use tokens and challenges,
// the passkey sign-count rule and the serialisation of signing key changes hold across
// instances.
//
// Beyond the doc comments of store.go the suite pins down these behaviours, which both backends
// share:
//   - Create* and AppendAuditEvent assign an ID (gatehouse.NewID) when it is empty and
//     CreatedAt (time.Now) when it is zero;
//   - a reference to a missing row (membership of an unknown org, session of an unknown user)
//     is an error matching gatehouse.ErrNotFound; a duplicate ID is CodeConflict;
//   - a membership with an invalid role is rejected (CodeInvalidRequest), and so is a session
//     whose token hash is empty or longer than 64 bytes;
//   - list methods return an empty, non-nil slice when nothing matches; RevokeUserSessions of
//     an unknown user returns 0 and no error; ResetLoginAttempts of an unknown key is no error;
//   - sessions that are expired at the given time are neither listed nor revoked in bulk
//     (RevokeUserSessions, SetPassword) nor counted: only active sessions are;
//   - ClaimLoginAttempt forgets earlier failures once now >= last counted attempt + Forget;
//     Forget <= 0 never forgets; blocked claims record nothing (not even the attempt time);
//   - AuditFilter.Limit above 1000 is treated as 1000;
//   - CreateOrg fills a membership's empty OrgID (the new org's) and zero CreatedAt (the org's);
//     a membership naming another org is CodeInvalidRequest;
//   - CreatePAT with max <= 0 applies no limit; Create{PAT,APIKey} and CreateAgent reject token
//     hashes that are empty or longer than 64 bytes (CodeInvalidRequest), and a taken hash is
//     CodeConflict; CreateAPIKey rejects an Environment other than live or test and a
//     RateLimit with no count or period; CreateAgent fills the account as CreateUser does, with
//     Kind KindAgent (another kind is CodeInvalidRequest), and the agent's empty UserID, ID and
//     zero times; RotateAPIKey fills next's empty OrgID;
//   - Scopes and AllowedCIDRs come back as empty, non-nil slices when none were stored; a nil
//     RateLimit stays nil; CIDRs round-trip exactly (host bits included);
//   - VerifyAgent, RotateAgentToken and TransferAgent set the agent's UpdatedAt to their time;
//     a rotation keeps the agent verified; sessions revoked by a rotation or transfer are
//     those active at its time;
//   - DeleteUser and DeleteAgent also delete the accounts of the agents the deleted account
//     owns, recursively, with everything of theirs;
//   - RecordCredentialUses with a kind other than CredentialPAT and CredentialAPIKey rejects
//     the whole batch (CodeInvalidRequest); a use as old as the stored one changes nothing;
//   - CreatePasskey rejects a passkey without user, credential ID or credential, CreateIdentity
//     one without user, provider or subject, SaveChallenge one without purpose or expiry
//     (CodeInvalidRequest); SaveChallenge fills an empty ID (chl_, random) and stores nil Data as
//     empty; a challenge's UserID need not name a user;
//   - RecordPasskeyUse with a nil or empty credential keeps the stored record; it checks the
//     passkey exists before the sign count (unknown → not found, whatever the count); the full
//     uint32 range of sign counts round-trips;
//   - provider and subject of identities compare exactly (case-sensitive); TakeChallenge of
//     another purpose, or at or after ExpiresAt, is not found and leaves the challenge in place;
//   - PruneChallenges(cutoff), where a store has it, deletes challenges with ExpiresAt <= cutoff.
//   - OAuth clients: the built-in CLI client is not stored (CreateOAuthClient with its ID is
//     CodeConflict, OAuthClientByID of it not found); a client needs an OrgID, a public one no
//     secret hash (an empty one is stored as nil) and a confidential one a hash of 1 to 64
//     bytes (else CodeInvalidRequest, also for RotateOAuthClientSecret's hash); a zero
//     UpdatedAt is CreatedAt; RotateOAuthClientSecret sets UpdatedAt to its time; lists come
//     back empty and non-nil; ListOAuthClients ties are by ID;
//   - signing keys: PublishedSigningKeys returns current, then next, then previous (an empty
//     non-nil slice before InitSigningKeys); a key needs an algorithm, a private key and a
//     public JWK, nil is refused (CodeInvalidRequest); the store sets State (whatever the caller
//     put there), fills an empty ID (sig_) and a zero CreatedAt (now for Init, the rotation's
//     time for Rotate), clears RetiredAt and a next key's ActivatedAt, and defaults the
//     current key's ActivatedAt to its CreatedAt; Rotate without a current and a next key is
//     not found, and a failed Rotate or Init changes nothing. Keys are kept per algorithm (an
//     RS256 and an ES256 set): Init inserts a pair only for an algorithm without published keys,
//     Rotate rotates every algorithm it is given in one transaction, conditionally on each
//     expected current key;
//   - OAuth grants: codes, refresh families and tokens, device flows and consents are consumed
//     exactly once under concurrency, on one store or two over one database (RunShared); a used
//     refresh token revokes its family; deleting a user or a client deletes its grants;
//   - sign-in guard: a guarded DeletePasskey or DeleteIdentity that would leave an account no
//     way in is CodeConflict and deletes nothing, also when the two race;
//   - mail: a dead letter (MarkMailDead) is never claimed again.
//
// Times in the suite have millisecond precision; stores must return them in UTC.
package storetest
