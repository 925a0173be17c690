-- 0007: nothing to do in SQLite. PostgreSQL's 0007 adds triggers that NOTIFY other instances of
-- credential changes (for the credential cache); SQLite's cache asks PRAGMA data_version, which
-- changes whenever another connection, in this process or another, commits. The file keeps the
-- two stores' migration numbers aligned.
SELECT 1;
