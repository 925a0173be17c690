// Package sqlstore is Gatehouse's one gatehouse.Store, on database/sql, for SQLite
// (modernc.org/sqlite, no cgo) and PostgreSQL (pgx v5 through its stdlib driver). Both bind $N
// placeholders, so every entity file holds one SQL text for both; a small dialect value
// (dialect.go) carries what differs. It passes the conformance suite in store/storetest on both,
// with and without the credential cache in front (app's TestCachedStoreConformance).
//
// # The dialect
//
//   - Time codec: SQLite stores INTEGER Unix milliseconds in UTC (the on-disk format of every
//     existing file), PostgreSQL timestamptz. Arguments are converted in one place
//     (dialect.args: time.Time, *time.Time, []string, []netip.Prefix); reading needs no dialect,
//     since the column scanners (columns.go) accept either form. Lists are JSON text on SQLite,
//     text[] on PostgreSQL. The store truncates times it is given to the millisecond
//     (record.Time) and returns them in UTC on both.
//   - Row locks: PostgreSQL's read-modify-write transactions lock what they read (dialect.lock:
//     FOR UPDATE, FOR NO KEY UPDATE, SKIP LOCKED; lockUser; the advisory lock SigningKeyLockKey),
//     so that any number of instances may share a database. SQLite needs none: its writer takes
//     the file's write lock at BEGIN.
//   - How a write transaction begins: on SQLite the one writer connection (MaxOpenConns 1,
//     _txlock=immediate: BEGIN IMMEDIATE), which serialises every write of this process and,
//     through the file lock, of every other process on the file (`gatehouse admin`); on
//     PostgreSQL a READ COMMITTED transaction of the pool.
//   - Error classification: sql.ErrNoRows and foreign-key violations are not found
//     (errors.Is(err, gatehouse.ErrNotFound)); unique violations are CodeUsernameTaken,
//     CodeEmailTaken, record.ErrUserCodeInUse or CodeConflict (with a message naming a taken
//     passkey or identity link), recognised by SQLite's column names or PostgreSQL's constraint
//     names (uniqueErrors); SQLITE_BUSY and SQLITE_LOCKED, and PostgreSQL's serialization
//     failures, deadlocks, lock timeouts and connection limits, are CodeUnavailable. Other
//     errors are wrapped and reach callers as internal.
//
// A handful of statements differ in text (dialect.pick): SQLite's scalar max/min are
// PostgreSQL's greatest/least, and an ID selected from a parameter needs PostgreSQL's type and
// collation.
//
// # The one write path
//
// Reads go through read(), which cannot write; every write is autocommit (one statement on
// the writer, RETURNING included; exec is its short form) or inTx (a transaction), or on SQLite a
// step of the refresh-rotation group commit. Each moves Writes once the statement or commit has
// returned, before the write's caller is answered, when one of its statements names a table a
// credential lookup may read (writecount.go: every table but the uncachedTables, which
// TestUncachedTablesCascadeNowhere checks against the migrations; a group commit always
// counts): the count store/credcache keys its entries with, so that no write of this store that
// can change a cached row, whichever method makes it, is missed by the cache of this process.
// TestOneWritePath keeps the writer out of reach of everything else.
//
// # SQLite
//
// OpenSQLite makes two pools over one file: the writer (above) and a read pool of
// WithReadConns query_only connections (default max(4, NumCPU)); in WAL mode readers never wait
// for the writer. Every connection runs journal_mode=WAL (checked at Open), synchronous=FULL (a
// commit is on disk before it returns), foreign_keys=ON and busy_timeout (WithBusyTimeout,
// default 5s). ":memory:" is refused: the pools must share one file.
//
// Machinery kept for SQLite alone, each measured in docs/benchmarks.md:
//   - sqlite_lookup.go: the hot lookups (SessionByTokenHash, PATByTokenHash,
//     APIKeyByTokenHash) run on a small pool of connections opened through SQLite's C API that
//     keep their statements prepared; the database/sql driver prepares again on every
//     execution (about 42µs against 3µs per session lookup on the 2-core reference machine).
//   - sqlite_groupcommit.go: concurrent RotateRefreshToken calls share one BEGIN IMMEDIATE
//     transaction and one fsync, each in its own savepoint.
//   - sqlite_changefeed.go, sqlite_walindex.go: the change feed of store/credcache reads the
//     WAL-index header that every commit of every process rewrites.
//
// # PostgreSQL
//
// OpenPostgres takes a URL as pgx.ParseConfig accepts it, runtime parameters (search_path ...)
// included; pool_max_conns sets the database/sql pool's size (default max(16, 4×GOMAXPROCS)).
// pgx keeps each statement prepared per connection (its statement cache). The change feed
// (postgres_changefeed.go) LISTENs on CredentialsChannel on a native pgx connection of its own;
// triggers of migrations 0007 and 0010 notify it.
//
// # Schema
//
// Numbered migrations are embedded from migrations/sqlite and migrations/postgres (the same
// numbers, each in its database's dialect) and applied at Open, each in its own transaction
// together with its row in schema_migrations (version, name, applied_at; unchanged from the
// stores this package replaces, so existing databases open without re-running anything);
// MigrateSQLite and MigratePostgres apply them alone (`gatehouse migrate`). On PostgreSQL they
// run under the session-level advisory lock MigrationLockKey, so instances starting together
// apply each migration once; on SQLite under BEGIN IMMEDIATE. Migrations must not change
// pragmas. The tables:
//   - users: username_lower and email_lower (unique where <> ”) hold strings.ToLower of
//     username and email, so case-insensitive uniqueness is the same on both databases.
//   - sessions, personal_access_tokens, agents, api_keys: token_hash unique (the hot lookups);
//     user_id / org_id ON DELETE CASCADE. DeleteUser and DeleteAgent delete the accounts of the
//     agents owned (recursively) in the same statement, with a recursive CTE: no cascade runs
//     from an agent row to its account.
//   - orgs (name_lower unique), memberships (PRIMARY KEY (org_id, user_id)). SetMemberRole and
//     RemoveMember lock the organization's row before they count its owners.
//   - audit_events: no foreign keys; details JSON text (SQLite) or jsonb.
//   - login_attempts: ClaimLoginAttempt creates the key's row if needed with an upsert that
//     also locks it, then reads and writes it in the same transaction.
//   - outbox_mails (0003, 0008 failed_at): ClaimMail is one UPDATE ... WHERE id IN (SELECT ...
//     LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING.
//   - one_time_tokens (0003): token_hash unique per purpose among unused tokens.
//   - passkeys, identities, challenges (0004): RecordPasskeyUse applies the sign-count rule in
//     its UPDATE's WHERE clause, so concurrent sign-ins cannot both pass one count.
//   - oauth_clients, signing_keys (0005, 0009): at most one key per algorithm in each
//     published state (partial unique index); RotateSigningKeys and InitSigningKeys are
//     serialised across instances.
//   - oauth grants (0006): codes, refresh families and tokens, the access-token denylist, device
//     authorizations and consents; single-use artefacts are consumed in one serialised
//     transaction that reads them locked; the shared decisions live in store/internal/record.
//   - 0007, 0010: PostgreSQL's notification triggers (nothing on SQLite).
//   - 0011, 0012: sessions' authentication time and methods; users.credentials_changed_at.
//
// IDs and keys are text (COLLATE "C" on PostgreSQL: byte order, as the time-sortable IDs need).
// All SQLite tables are STRICT.
package sqlstore
