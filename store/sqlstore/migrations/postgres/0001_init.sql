-- 0001: accounts, sessions, organizations, audit log, login throttle.
-- Times are timestamptz, written truncated to the millisecond. Case-insensitive uniqueness uses
-- *_lower columns that the store fills with strings.ToLower, exactly as store/sqlite does.
-- IDs and keys use COLLATE "C": byte order, so that "ORDER BY id" and "id < cursor" follow the
-- time order of the IDs whatever the database's locale.

CREATE TABLE users (
    id             text COLLATE "C" PRIMARY KEY,
    kind           text NOT NULL,
    username       text NOT NULL,
    username_lower text COLLATE "C" NOT NULL,
    email          text NOT NULL DEFAULT '',
    email_lower    text COLLATE "C" NOT NULL DEFAULT '',
    email_verified boolean NOT NULL DEFAULT false,
    display_name   text NOT NULL DEFAULT '',
    avatar_url     text NOT NULL DEFAULT '',
    banner_url     text NOT NULL DEFAULT '',
    description    text NOT NULL DEFAULT '',
    theme          text NOT NULL DEFAULT '',
    font           text NOT NULL DEFAULT '',
    password_hash  text NOT NULL DEFAULT '',
    is_admin       boolean NOT NULL DEFAULT false,
    disabled_at    timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT users_username_lower_key UNIQUE (username_lower)
);

-- Email is unique only when set: many accounts may have none.
CREATE UNIQUE INDEX users_email_lower_key ON users (email_lower) WHERE email_lower <> '';

CREATE TABLE sessions (
    id            text COLLATE "C" PRIMARY KEY,
    user_id       text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    bytea NOT NULL,
    token_prefix  text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    ip            text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT '',
    revoked_at    timestamptz,
    revoke_reason text NOT NULL DEFAULT '',
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);

CREATE INDEX sessions_user_created ON sessions (user_id, created_at);

CREATE TABLE orgs (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    name_lower text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT orgs_name_lower_key UNIQUE (name_lower)
);

CREATE TABLE memberships (
    org_id     text COLLATE "C" NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

CREATE INDEX memberships_user_created ON memberships (user_id, created_at);

-- Append-only. actor_id, subject_id and org_id are plain strings, not foreign keys: events
-- outlive what they mention. details is a JSON object or NULL.
CREATE TABLE audit_events (
    id         text COLLATE "C" PRIMARY KEY,
    type       text NOT NULL,
    actor_id   text COLLATE "C" NOT NULL DEFAULT '',
    subject_id text COLLATE "C" NOT NULL DEFAULT '',
    org_id     text COLLATE "C" NOT NULL DEFAULT '',
    ip         text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    details    jsonb
);

CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_subject ON audit_events (subject_id, id);
CREATE INDEX audit_events_org ON audit_events (org_id, id);
CREATE INDEX audit_events_created ON audit_events (created_at);

-- Per-key throttle of failed logins (see gatehouse.LoginThrottleStore).
CREATE TABLE login_attempts (
    key             text COLLATE "C" PRIMARY KEY,
    failures        integer NOT NULL,
    last_attempt_at timestamptz NOT NULL,
    blocked_until   timestamptz NOT NULL
);
