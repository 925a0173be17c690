// Package sqlite is the gatehouse.Store on one SQLite file, through the pure-Go driver
// modernc.org/sqlite (no cgo). It passes the conformance suite in store/storetest.
//
// # Connections
//
// Open makes two database/sql pools over the same file:
//   - the writer: exactly one connection (MaxOpenConns 1). Every write goes through it, so
//     writers in this process queue in Go instead of spinning on SQLite's lock. Its
//     transactions are BEGIN IMMEDIATE (_txlock=immediate): a read-modify-write transaction such
//     as ClaimLoginAttempt holds the write lock from its first statement, which also serialises
//     it against other processes on the file (`gatehouse admin` next to a running server);
//   - the read pool: WithReadConns connections (default max(4, NumCPU)) with query_only=1.
//     In WAL mode readers never wait for the writer, nor the writer for readers.
//
// Every connection runs journal_mode=WAL (checked at Open), synchronous=FULL (a commit is on
// disk before it returns, so a crash right after a 201 loses nothing), foreign_keys=ON and
// busy_timeout (WithBusyTimeout, default 5s; a lock still held after it is CodeUnavailable).
//
// The hot paths, SessionByTokenHash (every authenticated request), PATByTokenHash and
// APIKeyByTokenHash (every request with those credentials, and /v1/verify), run on a third, small pool
// (lookup.go; at most WithReadConns connections, opened on first need, query_only): connections
// opened through SQLite's C API (modernc.org/sqlite/lib) that keep the statement prepared. The
// database/sql driver cannot: its Stmt prepares the SQL again on every execution, which was
// about 90% of the lookup's cost (about 42µs before, 3µs after, BenchmarkSessionByTokenHash on
// the 2-core reference machine).
//
// # Schema
//
// Numbered migrations are embedded from migrations/NNNN_name.sql and applied at Open, each in
// its own transaction together with its row in schema_migrations (version, name, applied_at);
// Migrate applies them alone (`gatehouse migrate`). Migrations must not change pragmas.
//
//   - users: username_lower (UNIQUE) and email_lower (UNIQUE where <> ”, so many accounts
//     may have no email) hold strings.ToLower of username and email: case-insensitive
//     uniqueness behaves exactly as in store/postgres, which uses the same columns (no
//     COLLATE NOCASE, which folds ASCII only).
//   - sessions: token_hash BLOB UNIQUE (the SHA-256 of the token); user_id references users
//     ON DELETE CASCADE; index (user_id, created_at) for ListSessions.
//   - orgs: name_lower UNIQUE. memberships: PRIMARY KEY (org_id, user_id), both ON DELETE
//     CASCADE; index (user_id, created_at) for ListUserOrgs.
//   - audit_events: no foreign keys (events outlive accounts); details is JSON text or NULL;
//     indexes (actor_id, id), (subject_id, id), (org_id, id), (created_at).
//   - login_attempts: key, failures, last_attempt_at, blocked_until.
//   - personal_access_tokens (0002): token_hash BLOB UNIQUE; user_id ON DELETE CASCADE; scopes a
//     JSON array ('[]' when none); index (user_id, created_at) for ListPATs and CreatePAT's count.
//   - agents: user_id (the agent's account) UNIQUE and owner_id, both ON DELETE CASCADE to users;
//     token_hash UNIQUE; index (owner_id, created_at). DeleteUser and DeleteAgent delete the
//     accounts of the agents owned (recursively) in the same statement, with a recursive CTE:
//     no cascade runs from an agent row to its account.
//   - api_keys: org_id ON DELETE CASCADE; token_hash UNIQUE; scopes and allowed_cidrs JSON
//     arrays; rate_limit and rate_period_ms (both NULL: no limit); index (org_id, created_at).
//   - outbox_mails (0003): no foreign keys (a queued mail outlives its recipient's account);
//     partial index (next_attempt_at, created_at) WHERE sent_at IS NULL for ClaimMail, one
//     UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING that moves the due mails' next
//     attempt forward by the lease.
//   - one_time_tokens (0003): user_id ON DELETE CASCADE; token_hash UNIQUE per purpose among
//     unused tokens (partial index WHERE used_at IS NULL: a six-digit code may recur once used);
//     index (user_id, purpose, created_at). ConsumeOneTimeToken and FailOneTimeToken are each
//     one UPDATE ... RETURNING on the writer; CreateOneTimeToken replaces the user's earlier
//     tokens, inserts and enqueues its mail in one transaction.
//   - passkeys (0004): user_id ON DELETE CASCADE; credential_id BLOB UNIQUE; credential the
//     WebAuthn library's JSON record; sign_count INTEGER CHECK 0..2^32-1; index (user_id,
//     created_at). RecordPasskeyUse applies the sign-count rule in its UPDATE's WHERE clause
//     (new > stored, or both zero), so concurrent sign-ins cannot both pass one count.
//   - identities (0004): user_id ON DELETE CASCADE; UNIQUE (provider, subject) and UNIQUE
//     (user_id, provider), both CodeConflict.
//   - challenges (0004): no foreign key (user_id is empty before sign-in); index (expires_at).
//     TakeChallenge is one DELETE ... RETURNING on the writer; PruneChallenges (not yet in the
//     interface) deletes the expired ones.
//   - oauth_clients (0005): org_id NOT NULL ON DELETE CASCADE (the built-in CLI client is a
//     constant in code, never a row: its ID is refused by CreateOAuthClient and not found by
//     OAuthClientByID); secret_hash NULL exactly for public clients (CHECK); redirect_uris,
//     grant_types and scopes JSON arrays; index (org_id, created_at).
//   - signing_keys (0005): state CHECK next/current/previous/retired, with a partial UNIQUE
//     index on state WHERE state IN (next, current, previous): at most one key in each
//     published state; retired keys stay. public_jwk is a BLOB kept byte for byte.
//     PublishedSigningKeys returns them current, next, previous. RotateSigningKeys and
//     InitSigningKeys run in one BEGIN IMMEDIATE transaction (serialised with every process on
//     the file): of concurrent first starts exactly one inserts its pair, and conditional
//     rotations expecting one current key rotate once (the others CodeConflict).
//   - oauth grants (0006): oauth_authorization_codes, oauth_refresh_families and
//     oauth_refresh_tokens (tokens ON DELETE CASCADE with their family), oauth_access_denylist
//     (jti until expiry), oauth_device_authorizations (device and user code hashes unique) and
//     oauth_consents (user, client); user_id ON DELETE CASCADE everywhere, client_id not a foreign
//     key (the built-in client has no row): DeleteOAuthClient deletes a client's grants in its
//     transaction. Single-use artefacts are consumed inside one serialised transaction (refresh
//     rotations as savepoints of a shared, group-committed one: groupcommit.go); the
//     shared decisions (rotation, device polls) live in store/internal/record and the root.
//   - 0007: nothing (PostgreSQL's credential-change triggers; the credential cache watches
//     the WAL-index header here: ChangeFeed).
//   - outbox_mails.failed_at (0008): dead letters, never claimed again.
//   - signing_keys (0009): the unique index is per (algorithm, state): one RS256 and one ES256
//     key in each published state.
//   - 0010: nothing (PostgreSQL's OAuth-change triggers; see 0007).
//
// CreatePAT's count and insert, ClaimMail, CreateOneTimeToken, SetMemberRole's and RemoveMember's owner check and write, and
// RotateAPIKey's check and writes, RotateOAuthClientSecret, RotateSigningKeys and
// InitSigningKeys each run in one BEGIN IMMEDIATE transaction on the writer: no
// other write (in this or another process) comes between.
//
// All tables are STRICT. Times are INTEGER Unix milliseconds in UTC; the store truncates times
// it is given to the millisecond and returns them in UTC.
//
// # Errors
//
// Driver errors become domain errors here: sql.ErrNoRows and foreign-key violations are
// not found (errors.Is(err, gatehouse.ErrNotFound)); unique violations are CodeUsernameTaken
// (users.username_lower), CodeEmailTaken (users.email_lower) or CodeConflict (with a message
// naming a taken passkey or identity link where one is known); SQLITE_BUSY and
// SQLITE_LOCKED are CodeUnavailable. Other errors are wrapped and reach callers as internal.
package sqlite
