package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/keys"
)

// publishedKids fetches the running server's JWKS and returns its kids in order.
func publishedKids(t *testing.T, base string) []string {
	t.Helper()
	res, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /.well-known/jwks.json: %d %s", res.StatusCode, body)
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("JWKS %s: %v", body, err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// TestSigningKeysRotate rotates the keys of a running server's database from the command line
// and checks the result through the server's JWKS.
func TestSigningKeysRotate(t *testing.T) {
	const secret = "cli-test-secret-key-of-at-least-32-bytes"
	db := filepath.Join(t.TempDir(), "gatehouse.db")
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DatabaseURL = "sqlite://" + db
	cfg.SecretKey = secret
	m := app.New(&cfg, nil)
	m.KeyReloadEvery = time.Nanosecond // see the CLI's rotation at once instead of within 30 s
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	before := publishedKids(t, m.URL())
	if len(before) != 4 {
		t.Fatalf("a fresh server publishes %v, want a current and a next key of ES256 and RS256", before)
	}
	env := []string{"GATEHOUSE_DATABASE_URL=sqlite://" + db, "GATEHOUSE_LOG_FORMAT=text"}
	kidLine := regexp.MustCompile(`(?m)^((?:ES256|RS256) (?:current|next)):\s+(sig_[0-9a-z]+)$`)

	cases := []struct {
		name    string
		secret  string
		wantErr string
	}{
		{"wrong secret key", "a-different-secret-key-of-32-bytes-or-more", "GATEHOUSE_SECRET_KEY cannot open the token signing keys"},
		{"no secret key", "", "is sealed and the variable is not set"},
		{"rotates", secret, ""},
		{"rotates again", secret, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kidsBefore := publishedKids(t, m.URL())
			out, err := runCLI(t, append(env, "GATEHOUSE_SECRET_KEY="+tc.secret), "", "signing-keys", "rotate")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("rotate = %v (output %q), want an error containing %q", err, out, tc.wantErr)
				}
				if strings.Contains(err.Error()+out, secret) {
					t.Fatal("the secret key appears in the output")
				}
				if got := publishedKids(t, m.URL()); !slices.Equal(got, kidsBefore) {
					t.Fatalf("a failed rotation changed the keys: %v → %v", kidsBefore, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("rotate: %v\n%s", err, out)
			}
			found := map[string]string{}
			for _, mm := range kidLine.FindAllStringSubmatch(out, -1) {
				found[mm[1]] = mm[2]
			}
			for _, line := range []string{"ES256 current", "ES256 next", "RS256 current", "RS256 next"} {
				if found[line] == "" {
					t.Fatalf("output %q does not name the %s key", out, line)
				}
			}
			// The old next keys sign now; the old current ones stay published as previous. The
			// JWKS lists current, next, previous, ES256 before RS256 in each state.
			if found["ES256 current"] != kidsBefore[2] || found["RS256 current"] != kidsBefore[3] {
				t.Fatalf("new current keys %s, %s; want the previously published next keys %v", found["ES256 current"], found["RS256 current"], kidsBefore[2:4])
			}
			want := []string{found["ES256 current"], found["RS256 current"], found["ES256 next"], found["RS256 next"], kidsBefore[0], kidsBefore[1]}
			if got := publishedKids(t, m.URL()); !slices.Equal(got, want) {
				t.Fatalf("server JWKS after the CLI rotation = %v, want %v", got, want)
			}
			for _, alg := range []string{keys.ES256, keys.RS256} {
				kid, _, _, err := m.Keys.Signer(context.Background(), alg)
				if err != nil || kid != found[alg+" current"] {
					t.Fatalf("the server signs %s with %s (%v), want %s", alg, kid, err, found[alg+" current"])
				}
			}
		})
	}
}
