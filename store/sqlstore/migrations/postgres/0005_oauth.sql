-- 0005: organizations' OAuth clients and the token signing keys.

-- The built-in CLI client (gatehouse.BuiltInCLIClientID) is a constant in code, never a row:
-- every stored client belongs to an organization. secret_hash is NULL for public clients (the
-- CHECK keeps the two consistent). redirect_uris, grant_types and scopes are text[] ('{}' when
-- none).
CREATE TABLE oauth_clients (
    id            text COLLATE "C" PRIMARY KEY,
    org_id        text COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name          text NOT NULL DEFAULT '',
    public        boolean NOT NULL DEFAULT false,
    secret_hash   bytea,
    secret_prefix text NOT NULL DEFAULT '',
    redirect_uris text[] NOT NULL DEFAULT '{}',
    grant_types   text[] NOT NULL DEFAULT '{}',
    scopes        text[] NOT NULL DEFAULT '{}',
    created_by    text COLLATE "C" NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT oauth_clients_secret_check CHECK (public = (secret_hash IS NULL))
);

-- ListOAuthClients and the cascade from orgs.
CREATE INDEX oauth_clients_org_created ON oauth_clients (org_id, created_at);

-- private_key is PKCS#8 DER, sealed (AES-256-GCM) when sealed; public_jwk is the JWK JSON, kept
-- byte for byte (bytea, not jsonb, which would reorder it). Retired keys stay (retired_at set)
-- but are no longer published.
CREATE TABLE signing_keys (
    id           text COLLATE "C" PRIMARY KEY,
    algorithm    text NOT NULL,
    state        text COLLATE "C" NOT NULL
                 CHECK (state IN ('next', 'current', 'previous', 'retired')),
    private_key  bytea NOT NULL,
    sealed       boolean NOT NULL DEFAULT false,
    public_jwk   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    activated_at timestamptz,
    retired_at   timestamptz
);

-- At most one key in each published state (next, current, previous); any number retired.
CREATE UNIQUE INDEX signing_keys_published_state ON signing_keys (state)
    WHERE state IN ('next', 'current', 'previous');
