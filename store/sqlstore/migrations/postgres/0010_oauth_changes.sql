-- 0010: announce changes of the OAuth rows the credential cache (store/credcache) now serves:
-- oauth_clients (OAuthClientByID) and oauth_access_denylist (AccessTokenDenied). The triggers
-- call gatehouse_credentials_changed() of 0007, which notifies 'gatehouse_credentials' with the
-- table's schema as payload, so every instance's ChangeFeed stops serving what it cached before.
--
-- Which changes notify:
--   - oauth_clients: every UPDATE (secret rotation; every column is returned to callers and
--     decides something: the secret, redirect URIs, grant types, scopes), every DELETE (a
--     client's deletion, and an organization's by ON DELETE CASCADE), TRUNCATE. INSERT does not:
--     only found clients are cached.
--   - oauth_access_denylist: INSERT too. The cache keeps AccessTokenDenied's "not denied"
--     answers, and a jti becomes denied by an insertion (DenyAccessToken; its ON CONFLICT DO
--     UPDATE fires the UPDATE trigger instead). DELETE (PruneOAuthGrants' expired rows) and
--     TRUNCATE turn a cached "denied" into "not denied".
-- pg_notify folds identical notifications of one transaction into one.

CREATE TRIGGER oauth_clients_credentials_changed AFTER UPDATE OR DELETE ON oauth_clients
    FOR EACH ROW EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER oauth_clients_credentials_truncated AFTER TRUNCATE ON oauth_clients
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_credentials_changed();

CREATE TRIGGER oauth_access_denylist_credentials_changed AFTER INSERT OR UPDATE OR DELETE ON oauth_access_denylist
    FOR EACH ROW EXECUTE FUNCTION gatehouse_credentials_changed();
CREATE TRIGGER oauth_access_denylist_credentials_truncated AFTER TRUNCATE ON oauth_access_denylist
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_credentials_changed();
