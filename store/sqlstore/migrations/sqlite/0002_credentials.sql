-- 0002: developer credentials: personal access tokens, agents, organizations' API keys.
-- Times are INTEGER Unix milliseconds (UTC). Only SHA-256 hashes of tokens are stored; every
-- token_hash is UNIQUE (the hot-path lookup). scopes and allowed_cidrs are JSON arrays of strings
-- ('[]' when none).

CREATE TABLE personal_access_tokens (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL DEFAULT '',
    token_hash    BLOB NOT NULL UNIQUE,
    prefix        TEXT NOT NULL DEFAULT '',
    scopes        TEXT NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    last_used_ip  TEXT NOT NULL DEFAULT '',
    revoked_at    INTEGER,
    revoke_reason TEXT NOT NULL DEFAULT ''
) STRICT;

-- ListPATs and the active count of CreatePAT.
CREATE INDEX personal_access_tokens_user_created ON personal_access_tokens (user_id, created_at);

-- user_id is the agent's own account (one agent per account). Deleting the owner deletes the
-- agent rows (ON DELETE CASCADE) and the store deletes the agents' accounts in the same
-- transaction (DeleteUser), since no cascade runs from agents to users.
CREATE TABLE agents (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    owner_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL DEFAULT '',
    token_hash   BLOB NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL DEFAULT '',
    verified_at  INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX agents_owner_created ON agents (owner_id, created_at);

-- rate_limit and rate_period_ms are both NULL (no per-key limit) or both set (Limit events per
-- Period). created_by and replaced_by are plain IDs, not foreign keys: keys outlive their
-- creators, and the replacement may be deleted with its org only.
CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name           TEXT NOT NULL DEFAULT '',
    environment    TEXT NOT NULL,
    prefix         TEXT NOT NULL DEFAULT '',
    token_hash     BLOB NOT NULL UNIQUE,
    scopes         TEXT NOT NULL DEFAULT '[]',
    allowed_cidrs  TEXT NOT NULL DEFAULT '[]',
    rate_limit     INTEGER,
    rate_period_ms INTEGER,
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER,
    replaced_by    TEXT NOT NULL DEFAULT '',
    last_used_at   INTEGER,
    last_used_ip   TEXT NOT NULL DEFAULT '',
    revoked_at     INTEGER,
    revoke_reason  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX api_keys_org_created ON api_keys (org_id, created_at);

-- ListMembers (oldest first) and the owner count of SetMemberRole and RemoveMember use the
-- primary key (org_id, user_id); no other index is needed.
