-- 0009: signing keys per algorithm. Access tokens are signed ES256 and ID tokens RS256, so each
-- algorithm has its own next, current and previous key: at most one key per published state
-- and algorithm (instead of one per state); any number retired. Existing RS256 keys stay as
-- they are; the server adds the ES256 ones at its next start.
DROP INDEX signing_keys_published_state;
CREATE UNIQUE INDEX signing_keys_published_algorithm_state ON signing_keys (algorithm, state)
    WHERE state IN ('next', 'current', 'previous');
