-- 0010: nothing to do in SQLite. PostgreSQL's 0010 adds triggers that NOTIFY other instances of
-- changes of oauth_clients and oauth_access_denylist (for the credential cache, which now serves
-- OAuthClientByID and AccessTokenDenied); SQLite's cache asks PRAGMA data_version, which changes
-- whenever another connection, in this process or another, commits. The file keeps the two
-- stores' migration numbers aligned.
SELECT 1;
