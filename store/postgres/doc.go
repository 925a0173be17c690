// Package postgres is the gatehouse.Store on PostgreSQL through pgx v5 (pgxpool). It passes
// the conformance suite in store/storetest, and any number of instances may share a database.
//
// # Connections
//
// Open takes a URL as pgx.ParseConfig accepts it; pool settings (pool_max_conns ...) and
// runtime parameters (search_path ...) go in it. pgx prepares each statement once per
// connection (its statement cache), the session lookup included.
//
// # Schema
//
// Numbered migrations are embedded from migrations/NNNN_name.sql and applied at Open (and by
// Migrate, for `gatehouse migrate`) while holding the session-level advisory lock
// MigrationLockKey, so instances that start together apply each migration exactly once. Each
// migration runs in its own transaction with its row in schema_migrations (version, name,
// applied_at). Tables live in the first schema of the search_path.
//
// The schema mirrors store/sqlite's:
//   - users: username_lower (constraint users_username_lower_key) and email_lower (partial
//     unique index users_email_lower_key, where <> ”) hold strings.ToLower of username and
//     email, so case-insensitive uniqueness behaves exactly as in SQLite (no citext, no
//     lower() in SQL, whose folding depends on the server's locale);
//   - sessions: token_hash bytea (constraint sessions_token_hash_key); user_id references
//     users ON DELETE CASCADE; index (user_id, created_at);
//   - orgs: name_lower (orgs_name_lower_key); memberships: PRIMARY KEY (org_id, user_id), both
//     ON DELETE CASCADE; index (user_id, created_at);
//   - audit_events: no foreign keys (events outlive accounts); details jsonb or NULL; indexes
//     (actor_id, id), (subject_id, id), (org_id, id), (created_at);
//   - login_attempts: key, failures, last_attempt_at, blocked_until. ClaimLoginAttempt locks
//     the key's row (an upsert that creates it when missing) for its read-modify-write, so it
//     is atomic across instances;
//   - personal_access_tokens (0002): token_hash unique; user_id ON DELETE CASCADE; scopes
//     text[]; index (user_id, created_at). CreatePAT locks the user's row (FOR NO KEY UPDATE)
//     before it counts and inserts, so parallel creations on any instance cannot pass the limit;
//   - agents: user_id (the agent's account, unique) and owner_id, both ON DELETE CASCADE to
//     users; token_hash unique; index (owner_id, created_at). DeleteUser and DeleteAgent delete
//     the accounts of the agents owned (recursively) in the same statement (a recursive CTE):
//     no cascade runs from an agent row to its account;
//   - api_keys: org_id ON DELETE CASCADE; token_hash unique; scopes and allowed_cidrs text[]
//     (CIDRs as text, so that a prefix with host bits set round-trips); rate_limit and
//     rate_period_ms (both NULL: no limit); index (org_id, created_at). RotateAPIKey locks the
//     old key's row (FOR UPDATE);
//   - outbox_mails (0003): no foreign keys (a queued mail outlives its recipient's account);
//     partial index (next_attempt_at, created_at) WHERE sent_at IS NULL. ClaimMail is one
//     UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING, so
//     instances claiming at once never take the same mail;
//   - one_time_tokens (0003): user_id ON DELETE CASCADE; token_hash unique per purpose among
//     unused tokens (partial unique index one_time_tokens_purpose_hash WHERE used_at IS NULL: a
//     six-digit code may recur once used); index (user_id, purpose, created_at).
//     CreateOneTimeToken locks the user's row (FOR NO KEY UPDATE) before it replaces the
//     earlier tokens, inserts and enqueues its mail, so parallel creations leave one unused
//     token; ConsumeOneTimeToken and FailOneTimeToken are single UPDATE ... RETURNING
//     statements (the row lock and the re-check make them atomic across instances);
//   - passkeys (0004): user_id ON DELETE CASCADE; credential_id unique
//     (passkeys_credential_id_key); credential bytea (the WebAuthn library's JSON record);
//     sign_count bigint CHECK 0..2^32-1; index (user_id, created_at). RecordPasskeyUse is one
//     statement whose UPDATE applies the sign-count rule in its WHERE clause (new > stored, or
//     both zero): a concurrent use waits for the row lock and re-checks against the committed
//     count, so of uses with one count exactly one passes on any number of instances;
//   - identities (0004): user_id ON DELETE CASCADE; identities_provider_subject_key and
//     identities_user_provider_key, both CodeConflict;
//   - challenges (0004): no foreign key (user_id is empty before sign-in); index (expires_at).
//     TakeChallenge is one DELETE ... RETURNING (atomic across instances); PruneChallenges (not
//     yet in the interface) deletes the expired ones.
//   - oauth_clients (0005): org_id NOT NULL ON DELETE CASCADE (the built-in CLI client is a
//     constant in code, never a row: its ID is refused by CreateOAuthClient and not found by
//     OAuthClientByID); secret_hash NULL exactly for public clients (oauth_clients_secret_check);
//     redirect_uris, grant_types and scopes text[]; index (org_id, created_at).
//     RotateOAuthClientSecret locks the client's row (FOR UPDATE) before it checks and writes;
//   - signing_keys (0005): state CHECK next/current/previous/retired, with the partial unique
//     index signing_keys_published_state on state WHERE state IN (next, current, previous): at
//     most one key in each published state; retired keys stay. public_jwk is bytea (not jsonb,
//     which would reorder the JSON). PublishedSigningKeys returns them current, next, previous.
//     RotateSigningKeys and InitSigningKeys take pg_advisory_xact_lock(SigningKeyLockKey) first
//     in their transaction, so key changes of all instances are serialised: of concurrent first
//     starts exactly one inserts its pair, and conditional rotations expecting one current key
//     rotate once (the others CodeConflict).
//   - oauth grants (0006): oauth_authorization_codes, oauth_refresh_families and
//     oauth_refresh_tokens (tokens ON DELETE CASCADE with their family), oauth_access_denylist
//     (jti until expiry), oauth_device_authorizations (device and user code hashes unique) and
//     oauth_consents (user, client); user_id ON DELETE CASCADE everywhere, client_id not a foreign
//     key (the built-in client has no row): DeleteOAuthClient deletes a client's grants in its
//     transaction. Single-use artefacts are consumed inside one serialised transaction; the
//     shared decisions (rotation, device polls) live in store/internal/record and the root.
//   - 0007: triggers that pg_notify('gatehouse_credentials', schema) on every security-relevant
//     change of users, sessions, PATs, API keys and agents, for the credential cache (ChangeFeed
//     LISTENs; store/credcache).
//   - outbox_mails.failed_at (0008): dead letters, never claimed again.
//   - signing_keys (0009): the unique index is per (algorithm, state): one RS256 and one ES256
//     key in each published state.
//   - 0010: the same for oauth_clients and the access-token denylist (INSERT too).
//
// SetMemberRole and RemoveMember lock the organization's row (FOR NO KEY UPDATE, which the
// foreign-key checks of new memberships do not wait for) before they check the owners, so
// concurrent changes to one organization's members cannot leave it without an owner.
// RecordCredentialUses updates each table with one statement over arrays (unnest).
//
// IDs and keys are text COLLATE "C" (byte order, as the time-sortable IDs need, whatever the
// database's locale). Times are timestamptz; the store truncates times it is given to the
// millisecond (as store/sqlite) and returns them in UTC.
//
// # Errors
//
// Driver errors become domain errors here: pgx.ErrNoRows and foreign-key violations (23503)
// are not found (errors.Is(err, gatehouse.ErrNotFound)); unique violations (23505) are mapped
// by constraint name to CodeUsernameTaken, CodeEmailTaken or CodeConflict (with a message naming
// a taken passkey or identity link where one is known); serialization
// failures, deadlocks, lock timeouts and "too many connections" are CodeUnavailable. Other
// errors are wrapped and reach callers as internal.
package postgres
