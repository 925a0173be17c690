package e2e

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

var patFormat = regexp.MustCompile(`^gth_pat_[0-9A-Za-z]{38}$`)

// patCreate makes a personal access token over HTTP and returns the decoded 201 answer.
func (s *server) patCreate(bearer string, body map[string]any) map[string]any {
	s.t.Helper()
	r := s.do("POST", "/v1/auth/tokens", bearer, body)
	mustStatus(s.t, r, http.StatusCreated)
	return r.json(s.t)
}

// patTamper returns tok with one character of its random part replaced.
func patTamper(tok string) string {
	b := []byte(tok)
	i := len(b) - 20
	if b[i] == 'Q' {
		b[i] = 'R'
	} else {
		b[i] = 'Q'
	}
	return string(b)
}

// patMustError fails unless r has the status and error code.
func patMustError(t *testing.T, r response, status int, code string) {
	t.Helper()
	mustStatus(t, r, status)
	if got := r.errorCode(t); got != code {
		t.Fatalf("error %q, want %q; body: %s", got, code, r.body)
	}
}

func TestPATCreateListUseRevoke(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		ses, userID := s.register("patty", goodPassword, "")
		other, _ := s.register("mallory", goodPassword, "")

		v := s.patCreate(ses, map[string]any{"name": "CI deploys", "expires_in": "90d", "scopes": []string{"calls:read"}})
		tok, _ := v["token"].(string)
		id, _ := v["id"].(string)
		if !patFormat.MatchString(tok) || !strings.HasPrefix(id, "pat_") {
			t.Fatalf("token %q… / id %q do not have the documented format", tok[:min(len(tok), 8)], id)
		}
		if v["name"] != "CI deploys" || v["prefix"] != token.DisplayPrefix(tok) || canonical(t, v["scopes"]) != `["calls:read"]` {
			t.Fatalf("unexpected answer %v", v)
		}
		created, err1 := time.Parse(time.RFC3339, fmt.Sprint(v["created_at"]))
		expires, err2 := time.Parse(time.RFC3339, fmt.Sprint(v["expires_at"]))
		if err1 != nil || err2 != nil || expires.Sub(created) != 90*24*time.Hour {
			t.Fatalf("created_at %v, expires_at %v: want 90 days apart", v["created_at"], v["expires_at"])
		}
		never := s.patCreate(ses, map[string]any{"name": "laptop", "expires_in": "never"})
		if never["expires_at"] != nil || canonical(t, never["scopes"]) != `[]` {
			t.Fatalf("a never-expiring unscoped token: %v", never)
		}

		// Accepted where a session is.
		me := s.do("GET", "/v1/me", tok, nil)
		mustStatus(t, me, http.StatusOK)
		if me.json(t)["id"] != userID {
			t.Fatalf("/v1/me with the PAT: %s", me.body)
		}

		// The list never carries the token, and shows the last use once flushed.
		if err := s.m.Auth.Sessions.FlushUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
		// A PAT scoped to a platform resource reaches nothing else of Gatehouse's own API (API.md:
		// only gatehouse:read and gatehouse:write do); the list is the session's.
		patMustError(t, s.do("GET", "/v1/auth/tokens", tok, nil), http.StatusForbidden, "insufficient_permissions")
		list := s.do("GET", "/v1/auth/tokens", ses, nil)
		mustStatus(t, list, http.StatusOK)
		if contains(list.body, tok) || contains(list.body, never["token"].(string)) {
			t.Fatal("the token list contains a token")
		}
		lv := list.json(t)
		data, _ := lv["data"].([]any)
		if len(data) != 2 || lv["next_cursor"] != "" {
			t.Fatalf("list: %s", list.body)
		}
		byID := map[string]map[string]any{}
		for _, d := range data {
			m := d.(map[string]any)
			byID[m["id"].(string)] = m
			for _, k := range []string{"id", "name", "prefix", "scopes", "created_at", "expires_at", "last_used_at"} {
				if _, ok := m[k]; !ok {
					t.Fatalf("list entry lacks %q: %v", k, m)
				}
			}
			if _, ok := m["token"]; ok {
				t.Fatalf("list entry has a token field: %v", m)
			}
		}
		if byID[id]["last_used_at"] == nil || byID[never["id"].(string)]["last_used_at"] != nil {
			t.Fatalf("last_used_at: used %v, unused %v", byID[id]["last_used_at"], byID[never["id"].(string)]["last_used_at"])
		}

		// A PAT cannot mint siblings; another user cannot revoke it; one changed character fails.
		patMustError(t, s.do("POST", "/v1/auth/tokens", tok, map[string]any{"name": "sibling", "expires_in": "never"}), http.StatusForbidden, "insufficient_permissions")
		patMustError(t, s.do("DELETE", "/v1/auth/tokens/"+id, other, nil), http.StatusNotFound, "not_found")
		patMustError(t, s.do("GET", "/v1/me", patTamper(tok), nil), http.StatusUnauthorized, "invalid_token")

		// Revoked: fails on the very next request, leaves the list, cannot be revoked twice.
		mustStatus(t, s.do("DELETE", "/v1/auth/tokens/"+id, ses, nil), http.StatusNoContent)
		patMustError(t, s.do("GET", "/v1/me", tok, nil), http.StatusUnauthorized, "invalid_token")
		list = s.do("GET", "/v1/auth/tokens", ses, nil)
		if contains(list.body, id) {
			t.Fatalf("a revoked token is still listed: %s", list.body)
		}
		patMustError(t, s.do("DELETE", "/v1/auth/tokens/"+id, ses, nil), http.StatusNotFound, "not_found")

		// Its trace: token.issued and token.revoked, without the secret.
		audit := s.do("GET", "/v1/me/audit-events?type=token.issued,token.revoked", ses, nil)
		mustStatus(t, audit, http.StatusOK)
		if n := strings.Count(string(audit.body), `"token.issued"`); n != 2 {
			t.Errorf("%d token.issued events, want 2: %s", n, audit.body)
		}
		if n := strings.Count(string(audit.body), `"token.revoked"`); n != 1 {
			t.Errorf("%d token.revoked events, want 1: %s", n, audit.body)
		}
		if contains(audit.body, tok) {
			t.Fatal("the audit trail contains the token")
		}

		// The secret appears nowhere the server keeps things.
		if strings.Contains(s.logText(), tok) {
			t.Fatal("the token appears in the server's logs")
		}
		patMustNotBeStored(t, s, dbURL, tok)
	})
}

// patMustNotBeStored checks that tok is nowhere in the database while its SHA-256 is: the SQLite
// files' bytes (main file, WAL and shared memory), or every row of every table of the test's
// PostgreSQL schema as text.
func patMustNotBeStored(t *testing.T, s *server, dbURL, tok string) {
	t.Helper()
	hash := token.Hash(tok)
	var haystack []byte
	if path, ok := strings.CutPrefix(dbURL, "sqlite://"); ok {
		path, _, _ = strings.Cut(path, "?")
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			haystack = append(haystack, b...)
		}
	} else {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, `SELECT quote_ident(table_name) FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(tables) == 0 {
			t.Fatalf("tables of the schema: %v, %v", tables, err)
		}
		for _, table := range tables {
			rows, err := conn.Query(ctx, "SELECT t::text FROM "+table+" t")
			if err != nil {
				t.Fatal(err)
			}
			texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range texts {
				haystack = append(haystack, x...)
			}
		}
	}
	if bytes.Contains(haystack, []byte(tok)) {
		t.Fatal("the token is stored in the database")
	}
	// The hash must be found (raw, or hex as PostgreSQL prints bytea): proof the search looked in
	// the right place.
	if !bytes.Contains(haystack, hash) && !bytes.Contains(bytes.ToLower(haystack), []byte(hex.EncodeToString(hash))) {
		t.Fatal("the token's SHA-256 is not in the database either: the search looked in the wrong place")
	}
}

func TestPATValidationOverHTTP(t *testing.T) {
	s := start(t, backends()[0].dbURL(t), nil)
	ses, _ := s.register("valerie", goodPassword, "")
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"no name", map[string]any{"expires_in": "30d"}, 400, "invalid_request"},
		{"name too long", map[string]any{"name": strings.Repeat("n", 65), "expires_in": "30d"}, 400, "invalid_request"},
		{"no expiry", map[string]any{"name": "ci"}, 400, "invalid_request"},
		{"unknown expiry", map[string]any{"name": "ci", "expires_in": "2y"}, 400, "invalid_request"},
		{"unknown resource", map[string]any{"name": "ci", "expires_in": "30d", "scopes": []string{"billing:read"}}, 400, "invalid_request"},
		{"malformed scope", map[string]any{"name": "ci", "expires_in": "30d", "scopes": []string{"calls"}}, 400, "invalid_request"},
		{"reserved scope", map[string]any{"name": "ci", "expires_in": "30d", "scopes": []string{"gatehouse:verify"}}, 403, "insufficient_permissions"},
		{"unknown field", map[string]any{"name": "ci", "expires_in": "30d", "expires_at": "2030-01-01T00:00:00Z"}, 400, "invalid_request"},
		{"scopes not a list", `{"name":"ci","expires_in":"30d","scopes":"calls:read"}`, 400, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			patMustError(t, s.do("POST", "/v1/auth/tokens", ses, c.body), c.status, c.code)
		})
	}
	t.Run("signed out", func(t *testing.T) {
		patMustError(t, s.do("POST", "/v1/auth/tokens", "", map[string]any{"name": "ci", "expires_in": "30d"}), 401, "invalid_token")
		patMustError(t, s.do("GET", "/v1/auth/tokens", "", nil), 401, "invalid_token")
	})
}

func TestPATLimitOfTenActive(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		ses, _ := s.register("tenner", goodPassword, "")
		var ids []string
		for i := 0; i < gatehouse.MaxActivePATs; i++ {
			ids = append(ids, s.patCreate(ses, map[string]any{"name": fmt.Sprintf("t%d", i), "expires_in": "30d"})["id"].(string))
		}
		eleventh := map[string]any{"name": "eleventh", "expires_in": "30d"}
		patMustError(t, s.do("POST", "/v1/auth/tokens", ses, eleventh), http.StatusConflict, "token_limit_reached")
		mustStatus(t, s.do("DELETE", "/v1/auth/tokens/"+ids[3], ses, nil), http.StatusNoContent)
		s.patCreate(ses, eleventh)
		patMustError(t, s.do("POST", "/v1/auth/tokens", ses, eleventh), http.StatusConflict, "token_limit_reached")
	})
}

// patInsert stores a PAT for userID directly (what CreatePAT would, with chosen times) and
// returns its token.
func patInsert(t *testing.T, s *server, userID string, created time.Time, expires *time.Time, scopes []string) string {
	t.Helper()
	tok, err := token.Generator{Brand: "gth"}.New(token.KindPAT)
	if err != nil {
		t.Fatal(err)
	}
	pat := &gatehouse.PersonalAccessToken{
		ID: gatehouse.NewID(gatehouse.PrefixPAT, created, nil), UserID: userID, Name: "inserted",
		TokenHash: token.Hash(tok), Prefix: token.DisplayPrefix(tok), Scopes: scopes,
		CreatedAt: created, ExpiresAt: expires,
	}
	if err := s.m.Store.CreatePAT(context.Background(), pat, gatehouse.MaxActivePATs, time.Now()); err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestExpiredPATFails(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		ses, userID := s.register("olde", goodPassword, "")
		now := time.Now().UTC().Truncate(time.Millisecond)
		past, future := now.Add(-time.Minute), now.Add(time.Hour)
		expired := patInsert(t, s, userID, now.Add(-31*24*time.Hour), &past, nil)
		alive := patInsert(t, s, userID, now.Add(-time.Hour), &future, nil)
		patMustError(t, s.do("GET", "/v1/me", expired, nil), http.StatusUnauthorized, "expired_token")
		mustStatus(t, s.do("GET", "/v1/me", alive, nil), http.StatusOK)
		// An expired token is no longer listed and does not count against the limit.
		list := s.do("GET", "/v1/auth/tokens", ses, nil)
		if n := strings.Count(string(list.body), `"id":"pat_`); n != 1 {
			t.Fatalf("%d tokens listed, want only the live one: %s", n, list.body)
		}
	})
}

func TestPATRevocationSeenByASecondInstance(t *testing.T) {
	if os.Getenv("GATEHOUSE_TEST_POSTGRES_URL") == "" {
		t.Skip("GATEHOUSE_TEST_POSTGRES_URL is not set: two instances need a shared PostgreSQL")
	}
	dbURL := freshPostgresSchema(t)
	a := start(t, dbURL, nil)
	b := start(t, dbURL, nil)
	ses, _ := a.register("twin", goodPassword, "")
	tok := a.patCreate(ses, map[string]any{"name": "shared", "expires_in": "30d"})
	mustStatus(t, b.do("GET", "/v1/me", tok["token"].(string), nil), http.StatusOK)
	mustStatus(t, a.do("DELETE", "/v1/auth/tokens/"+tok["id"].(string), ses, nil), http.StatusNoContent)
	patMustError(t, a.do("GET", "/v1/me", tok["token"].(string), nil), http.StatusUnauthorized, "invalid_token")
	seenWithin(t, dbURL, "the second instance refuses the revoked PAT", func() bool {
		return b.do("GET", "/v1/me", tok["token"].(string), nil).status == http.StatusUnauthorized
	})
	patMustError(t, b.do("GET", "/v1/me", tok["token"].(string), nil), http.StatusUnauthorized, "invalid_token")
}
