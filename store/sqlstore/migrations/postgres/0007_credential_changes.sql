-- 0007: announce changes of the rows a credential check reads, for the in-process lookup cache
-- (store/credcache): every such change calls pg_notify('gatehouse_credentials', <the table's
-- schema>), and every Gatehouse instance's ChangeFeed (store/postgres/changefeed.go) LISTENs on
-- that channel and stops serving what it cached before. Channels are per database, not per
-- schema: the payload lets an instance ignore the changes of other schemas (other deployments
-- or tests sharing the database).
--
-- What a check reads: sessions joined with users (SessionByTokenHash), personal_access_tokens
-- joined with users (PATByTokenHash), api_keys (APIKeyByTokenHash), agents joined with users
-- (AgentByTokenHash, AgentByUserID). Memberships and orgs are not read by a check (an org's
-- deletion reaches api_keys through ON DELETE CASCADE, which fires api_keys' DELETE trigger).
--
-- Which changes notify:
--   - DELETE and TRUNCATE of any of the five tables: always.
--   - UPDATE of users and agents: always (no hot write touches them; every column is returned to
--     callers, e.g. is_admin, email and email_verified decide who is an administrator).
--   - UPDATE of sessions: unless ONLY last_seen_at and ip changed (TouchSession, once a minute
--     per active session). The instance that touches a session drops its own cached entry; other
--     instances keep a last-seen time older than the truth, which can only make the idle-timeout
--     check stricter, and only for at most the cache's TTL.
--   - UPDATE of personal_access_tokens and api_keys: unless ONLY last_used_at and last_used_ip
--     changed (RecordCredentialUses batches; no decision reads them).
-- The rule is written as "every column but the excluded ones" (to_jsonb(row) minus keys), so a
-- column added later notifies without another migration.
-- INSERT never notifies: the cache keeps only rows that were found.
--
-- pg_notify folds identical notifications of one transaction into one, so a statement changing
-- many rows (a user's deletion cascading to its sessions) sends one.
--
-- The OAuth grant tables (0006) will want the same once their lookups are cached: add their
-- triggers in a later migration with gatehouse_credentials_changed() below.

CREATE FUNCTION gatehouse_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gatehouse_credentials', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER users_credentials_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER users_credentials_truncated AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_credentials_changed();

CREATE TRIGGER agents_credentials_changed AFTER UPDATE OR DELETE ON agents
    FOR EACH ROW EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER agents_credentials_truncated AFTER TRUNCATE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_credentials_changed();

CREATE TRIGGER sessions_credentials_updated AFTER UPDATE ON sessions
    FOR EACH ROW
    WHEN (to_jsonb(OLD) - 'last_seen_at' - 'ip' IS DISTINCT FROM to_jsonb(NEW) - 'last_seen_at' - 'ip')
    EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER sessions_credentials_deleted AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER sessions_credentials_truncated AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_credentials_changed();

CREATE TRIGGER personal_access_tokens_credentials_updated AFTER UPDATE ON personal_access_tokens
    FOR EACH ROW
    WHEN (to_jsonb(OLD) - 'last_used_at' - 'last_used_ip' IS DISTINCT FROM to_jsonb(NEW) - 'last_used_at' - 'last_used_ip')
    EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER personal_access_tokens_credentials_deleted AFTER DELETE ON personal_access_tokens
    FOR EACH ROW EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER personal_access_tokens_credentials_truncated AFTER TRUNCATE ON personal_access_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_credentials_changed();

CREATE TRIGGER api_keys_credentials_updated AFTER UPDATE ON api_keys
    FOR EACH ROW
    WHEN (to_jsonb(OLD) - 'last_used_at' - 'last_used_ip' IS DISTINCT FROM to_jsonb(NEW) - 'last_used_at' - 'last_used_ip')
    EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER api_keys_credentials_deleted AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER api_keys_credentials_truncated AFTER TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_credentials_changed();
