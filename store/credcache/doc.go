// Package credcache is an in-process cache of credential LOOKUPS in front of a gatehouse.Store:
// the rows a bearer check reads (SessionByTokenHash, PATByTokenHash, APIKeyByTokenHash,
// AgentByTokenHash, AgentByUserID, and UserByID, by which a JWT access token's check reads its
// user), the OAuth client an OAuth request names (OAuthClientByID)
// and whether a JWT access token's jti is denied (AccessTokenDenied), never decisions.
// Everything auth and oauth decide (revocation, expiry, idle timeout, disabled accounts, allowed
// CIDRs, rate limits, usage batching, session touches, client secrets, grant types, the access
// token's signature and claims) still runs on every check, on what this cache returns.
//
// # Contract
//
//   - Only successful lookups are cached: ErrNotFound and every other error go to the caller
//     as the store returned them and are never remembered. A client that is not found is
//     therefore looked up again each time (inserting a client needs no invalidation).
//   - One negative answer is cached: AccessTokenDenied's false (the jti is not on the
//     denylist), as well as its true. This is exact because the only way a jti becomes denied
//     is an insertion into oauth_access_denylist (DenyAccessToken; no other store method
//     writes the table but PruneOAuthGrants, which deletes expired rows), and that insertion
//     is seen like every other change: DenyAccessToken through this Store moves the write
//     epoch, SQLite's feed sees every commit, and PostgreSQL's triggers (migration 0010) fire
//     on INSERT into that table as well as on UPDATE, DELETE and TRUNCATE (another instance's
//     denial reaches this one within PostgreSQL's residual window, below, like another
//     instance's revocation of a PAT). A cached true can only become false through
//     PruneOAuthGrants (the token expired: its check fails anyway), which also moves the epoch
//     and notifies.
//   - Callers get deep copies: they may change what they receive.
//   - An entry is served only while it is exact: it was stored under the generation of the
//     ChangeFeed that is current now, under this cache's own write epoch that is current now,
//     and less than Options.TTL ago (a safety net, 30 s by default).
//   - The generation is read BEFORE the lookup and the entry stored under that value, so a
//     change that commits while the lookup runs makes the entry stale at once.
//   - Within one request (a gatehouse.RequestScope in the context, which the HTTP layer adds to
//     every request) the generation is read once, at the request's first lookup, and reused by
//     its other lookups (a /v1/verify call looks up its caller and the checked credential): the
//     request is served as of its first lookup, which is exact for a request, since it runs
//     concurrently with whatever commits meanwhile; a change that completed before the request
//     began is always seen. The write epoch is still read at every lookup, so a request sees its
//     own writes at once.
//   - When the feed cannot vouch for its generation (ok false or an error) the cache is bypassed
//     entirely, reads and writes: every lookup goes to the database. It fails closed.
//   - Writes through this Store that change a cached table (revocations, rotations, transfers,
//     user updates and deletions, password changes; OAuth clients' deletions and secret
//     rotations; DenyAccessToken and PruneOAuthGrants) move the cache's own write epoch after the
//     store returns, so this instance never serves a row older than its own committed write,
//     whatever the feed's latency. TouchSession drops the cached entry of that session (its
//     last-seen time changed; PostgreSQL's feed deliberately does not announce touches).
//   - The number of entries is bounded (Options.MaxEntries, 100,000 by default); a full cache
//     evicts an arbitrary entry (Go's map order) per insertion.
//
// # Feeds
//
//   - SQLite (store/sqlite ChangeFeed): the WAL-index header in the shared-memory file, read in
//     the mapping of one dedicated connection. Every commit of any connection rewrites it before
//     it returns: this process's writer, or another process on the file such as `gatehouse
//     admin`. A lock-free read of 96 bytes; when SQLite keeps no such mapping, PRAGMA
//     data_version on that connection instead (concurrent calls share a query only when it
//     started after they arrived). Exact: a commit that finished before Generation is always
//     seen.
//   - PostgreSQL (store/postgres ChangeFeed): triggers (migration 0007) call
//     pg_notify('gatehouse_credentials') on every security-relevant change of users, sessions,
//     personal_access_tokens, api_keys and agents, and (migration 0010) on every UPDATE, DELETE
//     and TRUNCATE of oauth_clients (an organization's deletion reaches it by cascade) and on
//     every INSERT, UPDATE, DELETE and TRUNCATE of oauth_access_denylist; a listener on a
//     dedicated connection bumps the generation for each notification. While the listener is
//     disconnected the feed says ok=false (bypass); it bumps the generation when it goes down
//     and again after LISTEN succeeds, before it says ok=true, and Generation reads ok before
//     the generation, so entries from before the outage are never served. A silent connection
//     (no error, no notification) is noticed by a heartbeat ping within 2 s. Residual window, accepted by
//     the design: another instance's commit reaches this one asynchronously, within the time
//     PostgreSQL takes to deliver the notification (sub-millisecond on one host); this
//     instance's own writes are exact (write epoch above). Write-then-observe narrows the
//     window further: after each invalidating write the cache calls the feed's Fence (Fencer),
//     which returns once this instance's listener has received the write's notification
//     (bounded to 1 s), so the writer's answer (e.g. the 204 of a revocation) follows the
//     delivery of the notification, which PostgreSQL sends every listener at the same commit.
//     What remains is the other instance's listener goroutine reading it.
//
// Adding a cached lookup, or a store write that changes a column a decision reads, means
// updating this package (the write lists in writes.go and oauth.go) and the PostgreSQL triggers.
// Caching another negative answer (a not found) needs what the denylist has: every insertion
// that could turn it true moves the epoch here and notifies on PostgreSQL.
package credcache
