-- 0011: when the person behind a session last proved who they are (the sign-in, or a later
-- re-authentication: POST /v1/auth/reauth), and how (RFC 8176 amr values, space-separated).
-- Sensitive actions need a sign-in within GATEHOUSE_REAUTH_WINDOW; existing sessions count
-- from their creation.
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
UPDATE sessions SET authenticated_at = created_at;
