-- 0004: passkeys (WebAuthn credentials), links to external identity providers (OpenID Connect)
-- and the state of sign-in ceremonies in flight.

-- credential holds the WebAuthn library's whole credential record (JSON); sign_count and the
-- backup flags are kept as columns too so that RecordPasskeyUse can compare the sign count in
-- its UPDATE. sign_count is a uint32, hence bigint.
CREATE TABLE passkeys (
    id              text COLLATE "C" PRIMARY KEY,
    user_id         text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            text NOT NULL DEFAULT '',
    credential_id   bytea NOT NULL,
    credential      bytea NOT NULL,
    sign_count      bigint NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
    backup_eligible boolean NOT NULL DEFAULT false,
    backup_state    boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz,
    CONSTRAINT passkeys_credential_id_key UNIQUE (credential_id)
);

-- ListPasskeys and the cascade from users.
CREATE INDEX passkeys_user_created ON passkeys (user_id, created_at);

-- One account per (provider, subject), and at most one identity per provider per account.
CREATE TABLE identities (
    id             text COLLATE "C" PRIMARY KEY,
    user_id        text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider       text COLLATE "C" NOT NULL,
    subject        text COLLATE "C" NOT NULL,
    email          text NOT NULL DEFAULT '',
    email_verified boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL,
    CONSTRAINT identities_provider_subject_key UNIQUE (provider, subject),
    CONSTRAINT identities_user_provider_key UNIQUE (user_id, provider)
);

-- Challenges are not linked to users (user_id is '' before sign-in); TakeChallenge deletes the
-- one it returns and PruneChallenges the expired ones.
CREATE TABLE challenges (
    id         text COLLATE "C" PRIMARY KEY,
    purpose    text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL DEFAULT '',
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);

-- PruneChallenges.
CREATE INDEX challenges_expires ON challenges (expires_at);
