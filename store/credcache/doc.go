// Package credcache is an in-process cache of credential LOOKUPS: the rows a bearer check reads
// (SessionByTokenHash, PATByTokenHash, APIKeyByTokenHash, AgentByTokenHash, AgentByUserID, and
// UserByID, by which a JWT access token's check reads its user), the OAuth client an OAuth
// request names (OAuthClientByID) and whether a JWT access token's jti is denied
// (AccessTokenDenied), never decisions. Everything auth and oauth decide (revocation, expiry,
// idle timeout, disabled accounts, allowed CIDRs, rate limits, usage batching, session touches,
// client secrets, grant types, the access token's signature and claims) still runs on every
// check, on what this cache returns.
//
// The Cache wraps only a Source, the read side: those eight lookups (Lookups) and Writes, the
// number of writes its source has finished. It never sees a write, so there is no list of writes to keep
// up to date and no write that can pass it by: store/sqlstore counts the writes in its one write
// path (autocommit, inTx and SQLite's group commit move the count once the statement or commit
// has returned, before the write's caller gets its answer), every write that may change a row
// these lookups read — by the tables its statements name, failing safe (writecount.go there).
// app.CachedStore is the composition auth and oauth get: these lookups through the Cache,
// everything else, every write included, straight to the SQL store.
//
// # Contract
//
//   - Only successful lookups are cached: ErrNotFound and every other error go to the caller
//     as the source returned them and are never remembered. A client that is not found is
//     therefore looked up again each time (inserting a client needs no invalidation).
//   - One negative answer is cached: AccessTokenDenied's false (the jti is not on the
//     denylist), as well as its true. This is exact because the only way a jti becomes denied
//     is an insertion into oauth_access_denylist, a write like any other: it moves the source's
//     write count when it is this instance's, SQLite's feed sees every commit, and PostgreSQL's
//     triggers (migration 0010) fire on INSERT into that table as well as on UPDATE, DELETE and
//     TRUNCATE (another instance's denial reaches this one within the window below).
//   - Callers get deep copies: they may change what they receive.
//   - An entry is served only while it is exact: it was stored under the generation of the
//     ChangeFeed that is current now, under the source's write count that is current now, and
//     less than Options.TTL ago (a safety net, 30 s by default).
//   - Both are read BEFORE the lookup and the entry stored under those values, so a change that
//     commits while the lookup runs makes the entry stale at once: a write of this instance
//     moves the count only after its statement or commit returned, so a lookup that read the
//     count before the move may have read the old row but is stored under the old count.
//   - A write of the source moves the count unless every table it writes is one no cached lookup
//     reads and from which no deletion cascades into one (sqlstore's uncachedTables: audit
//     events, mails, refresh tokens and families, codes, challenges, the login throttle, ...;
//     TestUncachedTablesCascadeNowhere checks the list against the migrations). A table not on
//     the list, a new one included, counts: the rule fails safe. A counted write invalidates the
//     whole cache of this instance (a session touch, a usage batch, a revocation). On SQLite the
//     feed moves on every commit of the file anyway; on PostgreSQL the list keeps the cache warm
//     through refresh rotations and audit appends (docs/benchmarks.md, "Issue 11").
//   - Within one request (a requestscope.Scope in the context, which the HTTP layer adds to
//     every request) the generation is read once, at the request's first lookup, and reused by
//     its other lookups (a /v1/verify call looks up its caller and the checked credential): the
//     request is served as of its first lookup, which is exact for a request, since it runs
//     concurrently with whatever commits meanwhile; a change that completed before the request
//     began is always seen. The write count is still read at every lookup, so a request sees
//     its own writes at once.
//   - When the feed cannot vouch for its generation (ok false or an error) the cache is bypassed
//     entirely: every lookup goes to the source, nothing is stored. It fails closed.
//   - The number of entries is bounded (Options.MaxEntries, 100,000 by default); a full cache
//     evicts an arbitrary entry (Go's map order) per insertion.
//
// # Feeds and the window between instances
//
//   - SQLite (store/sqlstore's sqliteFeed): the WAL-index header in the shared-memory file,
//     read in the mapping of one dedicated connection. Every commit of any connection rewrites
//     it before it returns: this process's writer, or another process on the file such as
//     `gatehouse admin` or a second server. A lock-free read of 96 bytes; when SQLite keeps no
//     such mapping, PRAGMA data_version on that connection instead. Exact: a commit that
//     finished before Generation is always seen, so there is no window between instances.
//   - PostgreSQL (store/sqlstore's postgresFeed): triggers (migration 0007) call
//     pg_notify('gatehouse_credentials') on every security-relevant change of users, sessions,
//     personal_access_tokens, api_keys and agents, and (migration 0010) on every UPDATE, DELETE
//     and TRUNCATE of oauth_clients (an organization's deletion reaches it by cascade) and on
//     every INSERT, UPDATE, DELETE and TRUNCATE of oauth_access_denylist; a listener on a
//     dedicated connection bumps the generation for each notification. While the listener is
//     disconnected the feed says ok=false (bypass); it bumps the generation when it goes down
//     and again after LISTEN succeeds, before it says ok=true, and Generation reads ok before
//     the generation, so entries from before the outage are never served. A silent connection
//     (no error, no notification) is noticed by a heartbeat ping within 2 s. The window, accepted
//     by the design: another instance's commit reaches this one asynchronously, when this
//     instance's listener has read the commit's notification (PostgreSQL sends it to every
//     listener at the commit; sub-millisecond on one host); until then this instance may serve
//     the entry it had. It is bounded by the 2 s of the heartbeat when the connection is lost
//     silently, and by Options.TTL in any case. This instance's own writes are exact (the
//     write count). The e2e second-instance tests check the 2 s bound and log the delay seen.
//
// Adding a cached lookup means adding it to Lookups and to app.CachedStore, and, on PostgreSQL,
// making sure the triggers notify on every change of a column it returns. Adding a write needs
// nothing here. Caching another negative answer (a not found) needs what the denylist has: every
// insertion that could turn it true notifies on PostgreSQL.
package credcache
