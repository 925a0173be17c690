-- 0012: when the account's credentials last changed wholesale (a password change or reset, an
-- operator's revoke-sessions, a claim of the address); NULL: never. OAuth access tokens are
-- JWTs, not stored: one issued (iat, whole seconds) before this time, rounded up to the second,
-- is refused (gatehouse.User.AccessTokenRevoked). An UPDATE of users notifies the credential
-- cache's feed (0007), so every instance sees a change at once.
ALTER TABLE users ADD COLUMN credentials_changed_at timestamptz;
