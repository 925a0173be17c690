-- 0002: developer credentials: personal access tokens, agents, organizations' API keys.
-- Only SHA-256 hashes of tokens are stored; every token_hash is UNIQUE (the hot-path lookup).
-- scopes and allowed_cidrs are text[] ('{}' when none); CIDRs as netip.Prefix.String writes
-- them (text, not cidr: a prefix with host bits set round-trips unchanged).

CREATE TABLE personal_access_tokens (
    id            text COLLATE "C" PRIMARY KEY,
    user_id       text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          text NOT NULL DEFAULT '',
    token_hash    bytea NOT NULL,
    prefix        text NOT NULL DEFAULT '',
    scopes        text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz,
    last_used_at  timestamptz,
    last_used_ip  text NOT NULL DEFAULT '',
    revoked_at    timestamptz,
    revoke_reason text NOT NULL DEFAULT '',
    CONSTRAINT personal_access_tokens_token_hash_key UNIQUE (token_hash)
);

-- ListPATs and the active count of CreatePAT.
CREATE INDEX personal_access_tokens_user_created ON personal_access_tokens (user_id, created_at);

-- user_id is the agent's own account (one agent per account). Deleting the owner deletes the
-- agent rows (ON DELETE CASCADE) and the store deletes the agents' accounts in the same
-- statement (DeleteUser), since no cascade runs from agents to users.
CREATE TABLE agents (
    id           text COLLATE "C" PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    owner_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL DEFAULT '',
    role         text NOT NULL DEFAULT '',
    token_hash   bytea NOT NULL,
    token_prefix text NOT NULL DEFAULT '',
    verified_at  timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT agents_user_id_key UNIQUE (user_id),
    CONSTRAINT agents_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX agents_owner_created ON agents (owner_id, created_at);

-- rate_limit and rate_period_ms are both NULL (no per-key limit) or both set (Limit events per
-- Period). created_by and replaced_by are plain IDs, not foreign keys: keys outlive their
-- creators.
CREATE TABLE api_keys (
    id             text COLLATE "C" PRIMARY KEY,
    org_id         text COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name           text NOT NULL DEFAULT '',
    environment    text NOT NULL,
    prefix         text NOT NULL DEFAULT '',
    token_hash     bytea NOT NULL,
    scopes         text[] NOT NULL DEFAULT '{}',
    allowed_cidrs  text[] NOT NULL DEFAULT '{}',
    rate_limit     integer,
    rate_period_ms bigint,
    created_by     text COLLATE "C" NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz,
    replaced_by    text COLLATE "C" NOT NULL DEFAULT '',
    last_used_at   timestamptz,
    last_used_ip   text NOT NULL DEFAULT '',
    revoked_at     timestamptz,
    revoke_reason  text NOT NULL DEFAULT '',
    CONSTRAINT api_keys_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX api_keys_org_created ON api_keys (org_id, created_at);
