package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/store/pgtest"
	"github.com/gatehouse-auth/gatehouse/token"
)

// patPromote flags a user as an instance administrator, as the operator's CLI does.
func (s *server) patPromote(userID string) {
	s.t.Helper()
	yes := true
	if _, err := s.m.Store.UpdateUser(context.Background(), userID, gatehouse.UserUpdate{IsAdmin: &yes, UpdatedAt: time.Now()}); err != nil {
		s.t.Fatalf("make admin: %v", err)
	}
}

// verifyRaw posts body to /v1/verify as caller.
func (s *server) verifyRaw(caller string, body any) response {
	s.t.Helper()
	return s.do("POST", "/v1/verify", caller, body)
}

func TestVerifyCallers(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		root, rootID := s.register("root", goodPassword, "")
		s.patPromote(rootID)
		user, _ := s.register("plain", goodPassword, "")
		target := s.patCreate(user, map[string]any{"name": "checked", "expires_in": "30d"})["token"].(string)
		userPAT := s.patCreate(user, map[string]any{"name": "plain's", "expires_in": "30d"})["token"].(string)
		rootPAT := s.patCreate(root, map[string]any{"name": "root's", "expires_in": "30d"})["token"].(string)
		rootScopedPAT := s.patCreate(root, map[string]any{"name": "root's scoped", "expires_in": "30d", "scopes": []string{"calls:read"}})["token"].(string)
		org := s.do("POST", "/v1/orgs", root, map[string]string{"name": "verifiers"})
		mustStatus(t, org, http.StatusCreated)
		orgID := org.json(t)["id"].(string)
		newKey := func(scopes ...string) string {
			r := s.do("POST", "/v1/orgs/"+orgID+"/api-keys", root, map[string]any{"name": "k", "scopes": scopes, "environment": "live"})
			mustStatus(t, r, http.StatusCreated)
			return r.json(t)["key"].(string)
		}
		verifierKey, plainKey := newKey(gatehouse.ReservedScopeVerify), newKey("calls:read", "*:write")

		body := map[string]any{"token": target}
		cases := []struct {
			name    string
			caller  string
			headers []string
			status  int
			code    string
		}{
			{"anonymous", "", nil, 401, "invalid_token"},
			{"garbage bearer", "hello", nil, 401, "invalid_token"},
			{"revoked-looking bearer", patTamper(rootPAT), nil, 401, "invalid_token"},
			{"admin session in a cookie only", "", []string{"Cookie", "gatehouse_session=" + root}, 401, "invalid_token"},
			{"normal user's session", user, nil, 403, "insufficient_permissions"},
			{"normal user's PAT", userPAT, nil, 403, "insufficient_permissions"},
			{"admin's PAT limited to other scopes", rootScopedPAT, nil, 403, "insufficient_permissions"},
			{"API key without gatehouse:verify", plainKey, nil, 403, "insufficient_permissions"},
			{"admin's session", root, nil, 200, ""},
			{"admin's unscoped PAT", rootPAT, nil, 200, ""},
			{"API key with gatehouse:verify", verifierKey, nil, 200, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.do("POST", "/v1/verify", c.caller, body, c.headers...)
				if c.status != 200 {
					patMustError(t, r, c.status, c.code)
					if c.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
						t.Fatalf("401 without a Bearer challenge")
					}
					return
				}
				mustStatus(t, r, 200)
				if v := r.json(t); v["valid"] != true {
					t.Fatalf("answer %v", v)
				}
			})
		}
	})
}

func TestVerifyPATAnswers(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL, nil)
		root, rootID := s.register("root", goodPassword, "")
		s.patPromote(rootID)
		ses, userID := s.register("checked", goodPassword, "")
		scoped := s.patCreate(ses, map[string]any{"name": "reader", "expires_in": "1y", "scopes": []string{"calls:read"}})
		scopedTok := scoped["token"].(string)
		unscopedTok := s.patCreate(ses, map[string]any{"name": "all", "expires_in": "never"})["token"].(string)
		revoked := s.patCreate(ses, map[string]any{"name": "gone", "expires_in": "30d"})
		mustStatus(t, s.do("DELETE", "/v1/auth/tokens/"+revoked["id"].(string), ses, nil), http.StatusNoContent)
		past := time.Now().Add(-time.Second)
		expiredTok := patInsert(t, s, userID, time.Now().Add(-time.Hour), &past, []string{"calls:read"})
		unknown, _ := token.Generator{Brand: "gth"}.New(token.KindPAT)

		t.Run("valid PAT with its scope", func(t *testing.T) {
			r := s.verifyRaw(root, map[string]any{"token": scopedTok, "scopes": []string{"calls:read"}, "ip": "2001:db8::7"})
			mustStatus(t, r, 200)
			v := r.json(t)
			want := map[string]any{
				"valid": true, "kind": "pat", "org": nil, "environment": nil,
				"scopes":    []any{"calls:read"},
				"principal": map[string]any{"id": userID, "kind": "user", "username": "checked"},
			}
			for k, w := range want {
				if canonical(t, v[k]) != canonical(t, w) {
					t.Errorf("%s = %s, want %s", k, canonical(t, v[k]), canonical(t, w))
				}
			}
			if v["expires_at"] != scoped["expires_at"] {
				t.Errorf("expires_at %v, want %v", v["expires_at"], scoped["expires_at"])
			}
		})

		cases := []struct {
			name string
			body map[string]any
			code string // "" for valid
		}{
			{"scope it lacks", map[string]any{"token": scopedTok, "scopes": []string{"calls:write"}}, "insufficient_permissions"},
			{"one of two scopes lacking", map[string]any{"token": scopedTok, "scopes": []string{"calls:read", "agents:read"}}, "insufficient_permissions"},
			{"unscoped PAT is not limited", map[string]any{"token": unscopedTok, "scopes": []string{"calls:write"}}, ""},
			{"session token", map[string]any{"token": ses}, ""},
			{"one character changed", map[string]any{"token": patTamper(scopedTok)}, "invalid_token"},
			{"well-formed but unknown", map[string]any{"token": unknown}, "invalid_token"},
			{"not a token", map[string]any{"token": "hello"}, "invalid_token"},
			{"revoked", map[string]any{"token": revoked["token"]}, "invalid_token"},
			{"expired", map[string]any{"token": expiredTok}, "expired_token"},
			{"IPv4 client address", map[string]any{"token": scopedTok, "ip": "198.51.100.4"}, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.verifyRaw(root, c.body)
				mustStatus(t, r, 200)
				v := r.json(t)
				if c.code == "" {
					if v["valid"] != true {
						t.Fatalf("answer %v, want valid", v)
					}
					return
				}
				if v["valid"] != false || v["code"] != c.code || len(v) != 2 {
					t.Fatalf("answer %v, want exactly {valid: false, code: %s}", v, c.code)
				}
			})
		}

		t.Run("session answer", func(t *testing.T) {
			v := s.verifyRaw(root, map[string]any{"token": ses}).json(t)
			if v["kind"] != "session" || v["scopes"] != nil || v["expires_at"] == nil {
				t.Fatalf("answer %v", v)
			}
		})

		bad := []struct {
			name string
			body any
		}{
			{"no token", map[string]any{"scopes": []string{"calls:read"}}},
			{"ip not an address", map[string]any{"token": scopedTok, "ip": "example.com"}},
			{"ip with a prefix", map[string]any{"token": scopedTok, "ip": "10.0.0.0/8"}},
			{"malformed scope", map[string]any{"token": scopedTok, "scopes": []string{"calls"}}},
			{"unknown field", map[string]any{"token": scopedTok, "scope": "calls:read"}},
			{"not JSON", "token=" + scopedTok},
		}
		for _, c := range bad {
			t.Run("400 "+c.name, func(t *testing.T) {
				patMustError(t, s.verifyRaw(root, c.body), 400, "invalid_request")
			})
		}

		logs := s.logText()
		for _, tok := range []string{scopedTok, unscopedTok, expiredTok, revoked["token"].(string), patTamper(scopedTok), ses, root} {
			if strings.Contains(logs, tok) {
				t.Fatal("a checked token appears in the server's logs")
			}
		}
	})
}

// BenchmarkVerifyPAT measures POST /v1/verify of a scoped PAT through the real HTTP server
// (an administrator's session as the caller), on SQLite and, when GATEHOUSE_TEST_POSTGRES_URL
// is set, PostgreSQL. It runs 16 client goroutines per core over keep-alive connections;
// ns/op is the server's cost per check under that load. Throughput and latency percentiles
// come from the wrk runs (docs/benchmarks.md).
func BenchmarkVerifyPAT(b *testing.B) {
	dbs := []struct{ name, url string }{{"sqlite", "sqlite://" + b.TempDir() + "/bench.db"}}
	if base := os.Getenv("GATEHOUSE_TEST_POSTGRES_URL"); base != "" {
		dbs = append(dbs, struct{ name, url string }{"postgres", pgtest.FreshSchema(b, "bench_")})
	}
	for _, db := range dbs {
		// Set up once: the sub-benchmark's function runs several times with growing b.N.
		bs := benchVerifyServer(b, db.url)
		base, admin := bs.m.URL(), bs.admin
		b.Run(db.name, func(b *testing.B) {
			body, _ := json.Marshal(map[string]any{"token": bs.pat, "scopes": []string{"calls:read"}})
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("POST", base+"/v1/verify", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+admin)
					req.Header.Set("Content-Type", "application/json")
					res, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					out, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != 200 || !bytes.Contains(out, []byte(`"valid":true`)) {
						b.Fatalf("status %d: %s", res.StatusCode, out)
					}
				}
			})
		})
	}
}

// benchVerify is a server set up for the /v1/verify benchmarks: an administrator's session, a
// user's PAT limited to calls:read, and in an organization a caller API key holding
// gatehouse:verify and a checked API key (calls:read, allowed from 10.0.0.0/8), as
// bench/verify-setup.sh sets up for wrk.
type benchVerify struct {
	m                            *app.Main
	admin, pat, caller, checkKey string
}

// benchVerifyServer starts a server on dbURL and sets it up (benchVerify).
func benchVerifyServer(b *testing.B, dbURL string) benchVerify {
	b.Helper()
	cfg := testConfig(dbURL)
	m := app.New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err := m.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	base := m.URL()
	post := func(path, bearer string, body any) map[string]any {
		buf, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(buf))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(res.Body).Decode(&v); err != nil || res.StatusCode >= 300 {
			b.Fatalf("%s: status %d, %v %v", path, res.StatusCode, v, err)
		}
		return v
	}
	reg := post("/v1/auth/register", "", map[string]string{"username": "benchroot", "password": goodPassword})
	admin := reg["token"].(string)
	yes := true
	if _, err := m.Store.UpdateUser(context.Background(), reg["user"].(map[string]any)["id"].(string), gatehouse.UserUpdate{IsAdmin: &yes, UpdatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	user := post("/v1/auth/register", "", map[string]string{"username": "benchuser", "password": goodPassword})["token"].(string)
	pat := post("/v1/auth/tokens", user, map[string]any{"name": "bench", "expires_in": "30d", "scopes": []string{"calls:read"}})["token"].(string)
	org := post("/v1/orgs", admin, map[string]string{"name": "bench-org"})["id"].(string)
	caller := post("/v1/orgs/"+org+"/api-keys", admin, map[string]any{"name": "verifier", "scopes": []string{"gatehouse:verify"}, "environment": "live"})["key"].(string)
	checkKey := post("/v1/orgs/"+org+"/api-keys", admin, map[string]any{"name": "backend", "scopes": []string{"calls:read"}, "environment": "live", "allowed_cidrs": []string{"10.0.0.0/8"}})["key"].(string)
	return benchVerify{m: m, admin: admin, pat: pat, caller: caller, checkKey: checkKey}
}

// BenchmarkVerifyHandler is the server's own cost of one POST /v1/verify with the API keys
// of bench/verify.lua (an API key caller checking an API key, ip given), through the whole
// middleware stack and the JSON access log, without the network: ns/op and allocs/op here
// are what each check costs beyond net/http's connection handling, on SQLite.
func BenchmarkVerifyHandler(b *testing.B) {
	// Set up once: the sub-benchmark's function runs several times with growing b.N.
	bs := benchVerifyServer(b, "sqlite://"+b.TempDir()+"/bench.db")
	h := bs.m.Handler()
	body := []byte(`{"token":"` + bs.checkKey + `","scopes":["calls:read"],"ip":"10.1.2.3"}`)
	b.Run("sqlite", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest("POST", "/v1/verify", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+bs.caller)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 || !bytes.Contains(rec.Body.Bytes(), []byte(`"valid":true`)) {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	})
}
