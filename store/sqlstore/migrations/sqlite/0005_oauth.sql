-- 0005: organizations' OAuth clients and the token signing keys. Times are INTEGER Unix
-- milliseconds (UTC).

-- The built-in CLI client (gatehouse.BuiltInCLIClientID) is a constant in code, never a row:
-- every stored client belongs to an organization. secret_hash is NULL for public clients (the
-- CHECK keeps the two consistent). redirect_uris, grant_types and scopes are JSON arrays of
-- strings ('[]' when none).
CREATE TABLE oauth_clients (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name          TEXT NOT NULL DEFAULT '',
    public        INTEGER NOT NULL DEFAULT 0,
    secret_hash   BLOB,
    secret_prefix TEXT NOT NULL DEFAULT '',
    redirect_uris TEXT NOT NULL DEFAULT '[]',
    grant_types   TEXT NOT NULL DEFAULT '[]',
    scopes        TEXT NOT NULL DEFAULT '[]',
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CHECK ((public = 1) = (secret_hash IS NULL))
) STRICT;

-- ListOAuthClients and the cascade from orgs.
CREATE INDEX oauth_clients_org_created ON oauth_clients (org_id, created_at);

-- private_key is PKCS#8 DER, sealed (AES-256-GCM) when sealed = 1; public_jwk is the JWK JSON,
-- kept byte for byte. Retired keys stay (retired_at set) but are no longer published.
CREATE TABLE signing_keys (
    id           TEXT PRIMARY KEY,
    algorithm    TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('next', 'current', 'previous', 'retired')),
    private_key  BLOB NOT NULL,
    sealed       INTEGER NOT NULL DEFAULT 0,
    public_jwk   BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    activated_at INTEGER,
    retired_at   INTEGER
) STRICT;

-- At most one key in each published state (next, current, previous); any number retired.
CREATE UNIQUE INDEX signing_keys_published_state ON signing_keys (state)
    WHERE state IN ('next', 'current', 'previous');
