-- 0006: the OAuth provider's grants: authorization codes, refresh token families and tokens,
-- the access token denylist, device flows and consents. An auth_time that was not given is
-- NULL. Lists are text[] ('{}' when none). Secrets are stored only as their SHA-256.
--
-- client_id is never a foreign key: the built-in CLI client (gatehouse.BuiltInCLIClientID) has
-- no row in oauth_clients. user_id references users with ON DELETE CASCADE: deleting an account
-- deletes its grants.

-- Single use: used_at is set by the one redemption (under the row lock); family_id, access_jti
-- and access_expires_at record what it issued, so that a second redemption can revoke it.
CREATE TABLE oauth_authorization_codes (
    id                text COLLATE "C" PRIMARY KEY,
    code_hash         bytea NOT NULL,
    client_id         text COLLATE "C" NOT NULL,
    user_id           text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri      text NOT NULL,
    scopes            text[] NOT NULL DEFAULT '{}',
    nonce             text NOT NULL DEFAULT '',
    code_challenge    text NOT NULL DEFAULT '',
    auth_time         timestamptz,
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    used_at           timestamptz,
    family_id         text COLLATE "C" NOT NULL DEFAULT '',
    access_jti        text COLLATE "C" NOT NULL DEFAULT '',
    access_expires_at timestamptz,
    CONSTRAINT oauth_authorization_codes_code_hash_key UNIQUE (code_hash)
);

-- The cascade from users, deleting a deleted client's grants, and PruneOAuthGrants.
CREATE INDEX oauth_authorization_codes_user ON oauth_authorization_codes (user_id);
CREATE INDEX oauth_authorization_codes_client ON oauth_authorization_codes (client_id);
CREATE INDEX oauth_authorization_codes_expires ON oauth_authorization_codes (expires_at);

-- One grant's chain of refresh tokens; revoking it revokes every token of the chain.
CREATE TABLE oauth_refresh_families (
    id            text COLLATE "C" PRIMARY KEY,
    client_id     text COLLATE "C" NOT NULL,
    user_id       text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes        text[] NOT NULL DEFAULT '{}',
    auth_time     timestamptz,
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoke_reason text NOT NULL DEFAULT ''
);

-- RevokeUserRefreshFamilies (with or without a client), RevokeConsent and the cascade from
-- users; deleting a deleted client's families.
CREATE INDEX oauth_refresh_families_user_client ON oauth_refresh_families (user_id, client_id);
CREATE INDEX oauth_refresh_families_client ON oauth_refresh_families (client_id);

CREATE TABLE oauth_refresh_tokens (
    id         text COLLATE "C" PRIMARY KEY,
    family_id  text COLLATE "C" NOT NULL REFERENCES oauth_refresh_families (id) ON DELETE CASCADE,
    token_hash bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT oauth_refresh_tokens_token_hash_key UNIQUE (token_hash)
);

-- The cascade from families, PruneOAuthGrants' emptied families, and the prune itself.
CREATE INDEX oauth_refresh_tokens_family ON oauth_refresh_tokens (family_id);
CREATE INDEX oauth_refresh_tokens_expires ON oauth_refresh_tokens (expires_at);

-- Revoked JWT access tokens, kept until they expire.
CREATE TABLE oauth_access_denylist (
    jti        text COLLATE "C" PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

CREATE INDEX oauth_access_denylist_expires ON oauth_access_denylist (expires_at);

-- Device flows (RFC 8628). user_code_hash is UNIQUE: CreateDeviceAuthorization first releases
-- (sets to NULL) the user code of expired flows that hold it, in the same transaction, so two
-- unexpired flows never share a user code (concurrent creations wait on the unique index) while
-- an expired flow still answers its polls. user_id is NULL while pending. interval_ms is the
-- poll interval in milliseconds.
CREATE TABLE oauth_device_authorizations (
    id               text COLLATE "C" PRIMARY KEY,
    device_code_hash bytea NOT NULL,
    user_code_hash   bytea,
    client_id        text COLLATE "C" NOT NULL,
    scopes           text[] NOT NULL DEFAULT '{}',
    state            text COLLATE "C" NOT NULL
                     CHECK (state IN ('pending', 'approved', 'denied', 'consumed')),
    user_id          text COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
    interval_ms      bigint NOT NULL CHECK (interval_ms >= 0),
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    last_polled_at   timestamptz,
    decided_at       timestamptz,
    auth_time        timestamptz,
    CONSTRAINT oauth_device_authorizations_device_code_hash_key UNIQUE (device_code_hash),
    CONSTRAINT oauth_device_authorizations_user_code_hash_key UNIQUE (user_code_hash)
);

-- The cascade from users, deleting a deleted client's grants, and PruneOAuthGrants.
CREATE INDEX oauth_device_authorizations_user ON oauth_device_authorizations (user_id);
CREATE INDEX oauth_device_authorizations_client ON oauth_device_authorizations (client_id);
CREATE INDEX oauth_device_authorizations_expires ON oauth_device_authorizations (expires_at);

-- A user's remembered approval of a client.
CREATE TABLE oauth_consents (
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  text COLLATE "C" NOT NULL,
    scopes     text[] NOT NULL DEFAULT '{}',
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- Deleting a client's consents.
CREATE INDEX oauth_consents_client ON oauth_consents (client_id);
