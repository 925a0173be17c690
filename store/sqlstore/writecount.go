package sqlstore

import (
	"regexp"
	"strings"
	"sync"
)

// Which writes move the write count (Store.Writes), the credential cache's signal that this
// instance changed what it caches. A write moves it unless every table it writes is one no cached
// lookup reads and from which no delete cascades into one: appending an audit event or rotating a
// refresh token then keeps the cache warm on PostgreSQL, where the cache would otherwise miss
// after every write of the instance (SQLite's change feed moves on every commit anyway). The rule
// fails safe: a statement naming a table not listed here — a new table, or one the parser cannot
// tell — moves the count, and TestUncachedTablesCascadeNowhere checks the list against the
// migrations.

// uncachedTables are the tables no credential lookup reads (store/credcache: sessions, users,
// personal access tokens, agents, API keys, OAuth clients, the access-token denylist) and none of
// whose deletions cascades into such a table.
var uncachedTables = map[string]bool{
	"audit_events": true, "challenges": true, "identities": true, "login_attempts": true,
	"memberships": true, "oauth_authorization_codes": true, "oauth_consents": true,
	"oauth_device_authorizations": true, "oauth_refresh_families": true, "oauth_refresh_tokens": true,
	"one_time_tokens": true, "outbox_mails": true, "passkeys": true, "signing_keys": true,
}

// writeTarget finds the table after each INSERT INTO, UPDATE and DELETE FROM of a statement; the
// words that follow UPDATE in ON CONFLICT ... DO UPDATE SET and FOR UPDATE are not tables.
var writeTarget = regexp.MustCompile(`(?i)\b(?:insert\s+into|update|delete\s+from|replace\s+into|truncate(?:\s+table)?)\s+"?([a-z_][a-z0-9_]*)`)

var notATable = map[string]bool{"set": true, "skip": true, "of": true, "nowait": true}

// invalidating remembers, per statement text, whether it may change a cached row.
var invalidating sync.Map // string → bool

// mayChangeCached reports whether statement query may change a row a credential lookup reads.
func mayChangeCached(query string) bool {
	if v, ok := invalidating.Load(query); ok {
		return v.(bool)
	}
	changes := false
	for _, m := range writeTarget.FindAllStringSubmatch(query, -1) {
		table := strings.ToLower(m[1])
		if notATable[table] {
			continue
		}
		if !uncachedTables[table] {
			changes = true
			break
		}
	}
	invalidating.Store(query, changes)
	return changes
}
