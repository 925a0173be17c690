-- 0003: the mail outbox and mailed one-time tokens (verification codes, reset and magic links).
-- Times are INTEGER Unix milliseconds (UTC). Only SHA-256 hashes of one-time tokens are stored.

-- A mail is due when sent_at IS NULL AND next_attempt_at <= now; ClaimMail leases it by moving
-- next_attempt_at forward. Outbox mails are not linked to users: deleting an account does not
-- take back a mail already queued.
CREATE TABLE outbox_mails (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL DEFAULT '',
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL DEFAULT '',
    text_body       TEXT NOT NULL DEFAULT '',
    html_body       TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT NOT NULL DEFAULT ''
) STRICT;

-- ClaimMail: only unsent mails, by due time.
CREATE INDEX outbox_mails_due ON outbox_mails (next_attempt_at, created_at) WHERE sent_at IS NULL;

-- used_at is set when the token is consumed or replaced by a newer one of the same user and
-- purpose. The token hash is unique per purpose among unused tokens (a six-digit code may come
-- back once its token is used; CreateOneTimeToken marks the user's earlier ones used first).
CREATE TABLE one_time_tokens (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT NOT NULL DEFAULT '',
    token_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    used_at    INTEGER
) STRICT;

-- ConsumeOneTimeToken.
CREATE UNIQUE INDEX one_time_tokens_purpose_hash ON one_time_tokens (purpose, token_hash) WHERE used_at IS NULL;

-- ActiveOneTimeToken and CreateOneTimeToken's invalidation.
CREATE INDEX one_time_tokens_user_purpose_created ON one_time_tokens (user_id, purpose, created_at);
