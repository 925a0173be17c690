-- 0001: accounts, sessions, organizations, audit log, login throttle.
-- Times are INTEGER Unix milliseconds (UTC). Case-insensitive uniqueness uses *_lower columns
-- that the store fills with strings.ToLower, so that SQLite and PostgreSQL agree exactly.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    username       TEXT NOT NULL,
    username_lower TEXT NOT NULL UNIQUE,
    email          TEXT NOT NULL DEFAULT '',
    email_lower    TEXT NOT NULL DEFAULT '',
    email_verified INTEGER NOT NULL DEFAULT 0,
    display_name   TEXT NOT NULL DEFAULT '',
    avatar_url     TEXT NOT NULL DEFAULT '',
    banner_url     TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    theme          TEXT NOT NULL DEFAULT '',
    font           TEXT NOT NULL DEFAULT '',
    password_hash  TEXT NOT NULL DEFAULT '',
    is_admin       INTEGER NOT NULL DEFAULT 0,
    disabled_at    INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

-- Email is unique only when set: many accounts may have none.
CREATE UNIQUE INDEX users_email_lower ON users (email_lower) WHERE email_lower <> '';

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    BLOB NOT NULL UNIQUE,
    token_prefix  TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    revoked_at    INTEGER,
    revoke_reason TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX sessions_user_created ON sessions (user_id, created_at);

CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX memberships_user_created ON memberships (user_id, created_at);

-- Append-only. actor_id, subject_id and org_id are plain strings, not foreign keys: events
-- outlive what they mention. details is a JSON object or NULL.
CREATE TABLE audit_events (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    actor_id   TEXT NOT NULL DEFAULT '',
    subject_id TEXT NOT NULL DEFAULT '',
    org_id     TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    details    TEXT
) STRICT;

CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_subject ON audit_events (subject_id, id);
CREATE INDEX audit_events_org ON audit_events (org_id, id);
CREATE INDEX audit_events_created ON audit_events (created_at);

-- Per-key throttle of failed logins (see gatehouse.LoginThrottleStore).
CREATE TABLE login_attempts (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_attempt_at INTEGER NOT NULL,
    blocked_until   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
