-- 0004: passkeys (WebAuthn credentials), links to external identity providers (OpenID Connect)
-- and the state of sign-in ceremonies in flight. Times are INTEGER Unix milliseconds (UTC).

-- credential holds the WebAuthn library's whole credential record (JSON); sign_count and the
-- backup flags are kept as columns too so that RecordPasskeyUse can compare the sign count in
-- its UPDATE. sign_count is a uint32.
CREATE TABLE passkeys (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            TEXT NOT NULL DEFAULT '',
    credential_id   BLOB NOT NULL UNIQUE,
    credential      BLOB NOT NULL,
    sign_count      INTEGER NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
    backup_eligible INTEGER NOT NULL DEFAULT 0,
    backup_state    INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
) STRICT;

-- ListPasskeys and the cascade from users.
CREATE INDEX passkeys_user_created ON passkeys (user_id, created_at);

-- One account per (provider, subject), and at most one identity per provider per account.
CREATE TABLE identities (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider       TEXT NOT NULL,
    subject        TEXT NOT NULL,
    email          TEXT NOT NULL DEFAULT '',
    email_verified INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    UNIQUE (provider, subject),
    UNIQUE (user_id, provider)
) STRICT;

-- Challenges are not linked to users (user_id is '' before sign-in); TakeChallenge deletes the
-- one it returns and PruneChallenges the expired ones.
CREATE TABLE challenges (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    data       BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- PruneChallenges.
CREATE INDEX challenges_expires ON challenges (expires_at);
