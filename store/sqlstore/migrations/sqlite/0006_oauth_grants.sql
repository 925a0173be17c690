-- 0006: the OAuth provider's grants: authorization codes, refresh token families and tokens,
-- the access token denylist, device flows and consents. Times are INTEGER Unix milliseconds
-- (UTC); an auth_time that was not given is NULL. Lists are JSON arrays of strings ('[]' when
-- none). Secrets are stored only as their SHA-256.
--
-- client_id is never a foreign key: the built-in CLI client (gatehouse.BuiltInCLIClientID) has
-- no row in oauth_clients. user_id references users with ON DELETE CASCADE: deleting an account
-- deletes its grants.

-- Single use: used_at is set by the one redemption; family_id, access_jti and
-- access_expires_at record what it issued, so that a second redemption can revoke it.
CREATE TABLE oauth_authorization_codes (
    id                TEXT PRIMARY KEY,
    code_hash         BLOB NOT NULL UNIQUE,
    client_id         TEXT NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri      TEXT NOT NULL,
    scopes            TEXT NOT NULL DEFAULT '[]',
    nonce             TEXT NOT NULL DEFAULT '',
    code_challenge    TEXT NOT NULL DEFAULT '',
    auth_time         INTEGER,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    used_at           INTEGER,
    family_id         TEXT NOT NULL DEFAULT '',
    access_jti        TEXT NOT NULL DEFAULT '',
    access_expires_at INTEGER
) STRICT;

-- The cascade from users, deleting a deleted client's grants, and PruneOAuthGrants.
CREATE INDEX oauth_authorization_codes_user ON oauth_authorization_codes (user_id);
CREATE INDEX oauth_authorization_codes_client ON oauth_authorization_codes (client_id);
CREATE INDEX oauth_authorization_codes_expires ON oauth_authorization_codes (expires_at);

-- One grant's chain of refresh tokens; revoking it revokes every token of the chain.
CREATE TABLE oauth_refresh_families (
    id            TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes        TEXT NOT NULL DEFAULT '[]',
    auth_time     INTEGER,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    revoke_reason TEXT NOT NULL DEFAULT ''
) STRICT;

-- RevokeUserRefreshFamilies (with or without a client), RevokeConsent and the cascade from
-- users; deleting a deleted client's families.
CREATE INDEX oauth_refresh_families_user_client ON oauth_refresh_families (user_id, client_id);
CREATE INDEX oauth_refresh_families_client ON oauth_refresh_families (client_id);

CREATE TABLE oauth_refresh_tokens (
    id         TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES oauth_refresh_families (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

-- The cascade from families, PruneOAuthGrants' emptied families, and the prune itself.
CREATE INDEX oauth_refresh_tokens_family ON oauth_refresh_tokens (family_id);
CREATE INDEX oauth_refresh_tokens_expires ON oauth_refresh_tokens (expires_at);

-- Revoked JWT access tokens, kept until they expire.
CREATE TABLE oauth_access_denylist (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX oauth_access_denylist_expires ON oauth_access_denylist (expires_at);

-- Device flows (RFC 8628). user_code_hash is UNIQUE: CreateDeviceAuthorization first releases
-- (sets to NULL) the user code of expired flows that hold it, in the same transaction, so two
-- unexpired flows never share a user code while an expired flow still answers its polls.
-- user_id is NULL while pending. interval_ms is the poll interval in milliseconds.
CREATE TABLE oauth_device_authorizations (
    id               TEXT PRIMARY KEY,
    device_code_hash BLOB NOT NULL UNIQUE,
    user_code_hash   BLOB UNIQUE,
    client_id        TEXT NOT NULL,
    scopes           TEXT NOT NULL DEFAULT '[]',
    state            TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'consumed')),
    user_id          TEXT REFERENCES users (id) ON DELETE CASCADE,
    interval_ms      INTEGER NOT NULL CHECK (interval_ms >= 0),
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    last_polled_at   INTEGER,
    decided_at       INTEGER,
    auth_time        INTEGER
) STRICT;

-- The cascade from users, deleting a deleted client's grants, and PruneOAuthGrants.
CREATE INDEX oauth_device_authorizations_user ON oauth_device_authorizations (user_id);
CREATE INDEX oauth_device_authorizations_client ON oauth_device_authorizations (client_id);
CREATE INDEX oauth_device_authorizations_expires ON oauth_device_authorizations (expires_at);

-- A user's remembered approval of a client.
CREATE TABLE oauth_consents (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL DEFAULT '[]',
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
) STRICT, WITHOUT ROWID;

-- Deleting a client's consents.
CREATE INDEX oauth_consents_client ON oauth_consents (client_id);
