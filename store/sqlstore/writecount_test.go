package sqlstore

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// cachedTables are the tables the credential cache's lookups read (store/credcache) and the ones
// whose deletions cascade into them; every other table of the migrations must be in
// uncachedTables.
var cachedTables = map[string]bool{
	"users": true, "orgs": true, "sessions": true, "personal_access_tokens": true, "agents": true,
	"api_keys": true, "oauth_clients": true, "oauth_access_denylist": true,
}

var (
	createTable = regexp.MustCompile(`(?is)create\s+table\s+(?:if\s+not\s+exists\s+)?"?([a-z_]+)"?\s*\((.*?)\n\)`)
	references  = regexp.MustCompile(`(?i)references\s+"?([a-z_]+)"?[^,\n]*on\s+delete\s+(cascade|set\s+null|set\s+default)`)
)

// TestUncachedTablesCascadeNowhere: every table of both dialects' migrations is classified, and
// no deletion in a table the write count ignores cascades into a cached one (which would change a
// cached row without moving the count).
func TestUncachedTablesCascadeNowhere(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			files, err := fs.Glob(migrationFiles, "migrations/"+dialect+"/*.sql")
			if err != nil || len(files) == 0 {
				t.Fatalf("migrations: %v (%d files)", err, len(files))
			}
			tables := 0
			for _, f := range files {
				b, err := fs.ReadFile(migrationFiles, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
					table := strings.ToLower(m[1])
					tables++
					if !cachedTables[table] && !uncachedTables[table] && table != "schema_migrations" {
						t.Errorf("%s: table %s is neither cached nor known to be outside the cache (writecount.go)", f, table)
					}
					if !cachedTables[table] {
						continue
					}
					for _, r := range references.FindAllStringSubmatch(m[2], -1) {
						if parent := strings.ToLower(r[1]); uncachedTables[parent] {
							t.Errorf("%s: deleting from %s (not counted) changes the cached %s (ON DELETE %s)", f, parent, table, r[2])
						}
					}
				}
			}
			if tables < len(cachedTables)+len(uncachedTables) {
				t.Errorf("found %d tables, fewer than the %d classified: the parser misses some", tables, len(cachedTables)+len(uncachedTables))
			}
		})
	}
}

func TestMayChangeCached(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  bool
	}{
		{"audit append", `INSERT INTO audit_events (id, type) VALUES ($1, $2)`, false},
		{"refresh rotation", `UPDATE oauth_refresh_tokens SET used_at = $1 WHERE token_hash = $2 RETURNING id`, false},
		{"upsert of an uncached table", `INSERT INTO login_attempts (key) VALUES ($1) ON CONFLICT (key) DO UPDATE SET failures = login_attempts.failures + 1`, false},
		{"read for update", `SELECT id FROM oauth_refresh_families WHERE id = $1 FOR UPDATE`, false},
		{"read for update of", `SELECT id FROM oauth_refresh_tokens t WHERE id = $1 FOR UPDATE OF t`, false},
		{"session touch", `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, true},
		{"PAT revocation", `update personal_access_tokens set revoked_at = $1`, true},
		{"user deletion", `DELETE FROM users WHERE id = $1`, true},
		{"organization deletion cascades into keys", `DELETE FROM orgs WHERE id = $1`, true},
		{"denylist", `INSERT INTO oauth_access_denylist (jti) VALUES ($1)`, true},
		{"a CTE writing a cached table", `WITH gone AS (DELETE FROM one_time_tokens WHERE id = $1) UPDATE users SET email_verified = true`, true},
		{"an unknown table", `INSERT INTO totp_secrets (user_id) VALUES ($1)`, true},
		{"quoted table", `INSERT INTO "api_keys" (id) VALUES ($1)`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mayChangeCached(tc.query); got != tc.want {
				t.Errorf("mayChangeCached(%q) = %v, want %v", tc.query, got, tc.want)
			}
		})
	}
}
