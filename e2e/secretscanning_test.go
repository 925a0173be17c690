package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/token"
)

const scanPath = "/v1/secret-scanning/report"

// scanSigner signs leaked-token reports as GitHub does.
type scanSigner struct {
	id  string
	key *ecdsa.PrivateKey
}

func newScanSigner(t *testing.T, id string) scanSigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return scanSigner{id: id, key: k}
}

// sign returns the base64 ASN.1 DER signature of SHA-256(body).
func (s scanSigner) sign(t *testing.T, body []byte) string {
	t.Helper()
	d := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// writeScanKeys writes the signers' public keys in GitHub's key-list format and returns the path.
func writeScanKeys(t *testing.T, signers ...scanSigner) string {
	t.Helper()
	type entry struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"`
		IsCurrent     bool   `json:"is_current"`
	}
	var list struct {
		PublicKeys []entry `json:"public_keys"`
	}
	for i, s := range signers {
		der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		list.PublicKeys = append(list.PublicKeys, entry{KeyIdentifier: s.id, Key: string(pemKey), IsCurrent: i == 0})
	}
	b, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "secret-scanning-keys.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// report posts body signed by signer (signature "" → the header is left out).
func (s *server) report(body []byte, keyID, signature string) response {
	s.t.Helper()
	var headers []string
	if keyID != "" {
		headers = append(headers, "Github-Public-Key-Identifier", keyID)
	}
	if signature != "" {
		headers = append(headers, "Github-Public-Key-Signature", signature)
	}
	return s.do("POST", scanPath, "", body, headers...)
}

type leakMatchJSON struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

type leakLabelJSON struct {
	TokenRaw  string `json:"token_raw"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

func TestSecretScanningOffWithoutKeys(t *testing.T) {
	s := start(t, backends()[0].dbURL(t), nil)
	r := s.report([]byte(`[]`), "k", "c2ln")
	mustStatus(t, r, http.StatusNotFound)
}

func TestSecretScanningKeysFileRequired(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "keys.json")
	cases := map[string]string{
		"not JSON":             "nope",
		"no keys":              `{"public_keys":[]}`,
		"not a PEM key":        `{"public_keys":[{"key_identifier":"a","key":"xyz","is_current":true}]}`,
		"no key id":            `{"public_keys":[{"key_identifier":"","key":"xyz","is_current":true}]}`,
		"P-384 key, not P-256": p384KeyList(t),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(bad, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig("sqlite://" + filepath.Join(t.TempDir(), "g.db"))
			cfg.SecretScanningKeys = bad
			m := app.New(cfg, slog.New(slog.NewTextHandler(&lockedWriter{}, nil)))
			if err := m.Start(context.Background()); err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = m.Close(ctx)
				t.Fatal("the server started with a bad secret-scanning key file")
			}
		})
	}
}

// p384KeyList is a key list holding a P-384 key: well-formed, but not the P-256 the format demands.
func p384KeyList(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	b, _ := json.Marshal(map[string]any{"public_keys": []map[string]any{{
		"key_identifier": "p384", "key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "is_current": true,
	}}})
	return string(b)
}

func TestSecretScanningReport(t *testing.T) {
	eachBackend(t, func(t *testing.T, dbURL string) {
		github := newScanSigner(t, "github-key-1")
		older := newScanSigner(t, "github-key-0")
		stranger := newScanSigner(t, "github-key-1") // same identifier, different key
		keys := writeScanKeys(t, github, older)
		s := start(t, dbURL, func(c *configT) { c.SecretScanningKeys = keys })
		ctx := context.Background()

		// Credentials of a user: a session (besides the one of registration), a PAT.
		keep, userID := s.register("leaky"+randomSuffix(), goodPassword, "")
		username := s.do("GET", "/v1/me", keep, nil).json(t)["username"].(string)
		r := s.do("POST", "/v1/auth/login", "", map[string]string{"username": username, "password": goodPassword})
		mustStatus(t, r, http.StatusOK)
		leakedSession := r.json(t)["token"].(string)
		pat := s.scanPAT(keep, userID)

		// An agent with a session, and an organization's API key.
		agentID, agentToken := s.makeAgent(keep, "leaky bot")
		mustStatus(t, s.do("POST", "/v1/agents/"+agentID+"/verify", keep, nil), http.StatusOK)
		agentSession := s.agentMustExchange(agentToken)
		apiKey, apiKeyID, orgID := s.scanAPIKey(userID)

		unknown, _ := token.Generator{Brand: "gth"}.New(token.KindPAT)
		foreign, _ := token.Generator{Brand: "xyz"}.New(token.KindPAT)
		matches := []leakMatchJSON{
			{pat, "gatehouse_personal_access_token", "https://github.com/o/r/blob/1/a.txt", "content"},
			{leakedSession, "gatehouse_session_token", "https://github.com/o/r/blob/1/b.txt", "commit"},
			{agentToken, "gatehouse_agent_token", "https://github.com/o/r/issues/1", "issue_comment"},
			{apiKey, "gatehouse_live_api_key", "", "gist_content"},
			{unknown, "gatehouse_personal_access_token", "https://github.com/o/r/blob/1/c.txt", "content"},
			{foreign, "gatehouse_personal_access_token", "", "content"},
			{"gth_pat_tooshort", "gatehouse_personal_access_token", "", "content"},
		}
		body, _ := json.Marshal(matches)

		// Refused reports change nothing.
		for name, c := range map[string]struct{ keyID, sig string }{
			"no headers":                {"", ""},
			"no signature":              {github.id, ""},
			"no key id":                 {"", github.sign(t, body)},
			"unknown key id":            {"github-key-9", github.sign(t, body)},
			"signed by another key":     {github.id, stranger.sign(t, body)},
			"the other configured key":  {github.id, older.sign(t, body)},
			"signature of another body": {github.id, github.sign(t, append([]byte(" "), body...))},
			"signature not base64":      {github.id, "%%%"},
			"signature not DER":         {github.id, base64.StdEncoding.EncodeToString([]byte("not a signature"))},
			"signature absurdly long":   {github.id, strings.Repeat("A", 4096)},
		} {
			r := s.report(body, c.keyID, c.sig)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("%s: status %d: %s", name, r.status, r.body)
			}
		}
		mustStatus(t, s.do("GET", "/v1/me", pat, nil), http.StatusOK)
		mustStatus(t, s.do("GET", "/v1/me", leakedSession, nil), http.StatusOK)

		// A report signed by the older configured key is accepted too (rotation overlap).
		empty := []byte(`[]`)
		r = s.report(empty, older.id, older.sign(t, empty))
		mustStatus(t, r, http.StatusOK)
		if strings.TrimSpace(string(r.body)) != "[]" {
			t.Fatalf("empty report: %s", r.body)
		}

		// A genuine report: the real tokens are revoked and labelled true positives.
		r = s.report(body, github.id, github.sign(t, body))
		mustStatus(t, r, http.StatusOK)
		var labels []leakLabelJSON
		if err := json.Unmarshal(r.body, &labels); err != nil {
			t.Fatalf("answer: %v: %s", err, r.body)
		}
		want := []string{"true_positive", "true_positive", "true_positive", "true_positive", "false_positive", "false_positive", "false_positive"}
		if len(labels) != len(matches) {
			t.Fatalf("answer has %d entries, want %d: %s", len(labels), len(matches), r.body)
		}
		for i, l := range labels {
			if l.Label != want[i] || l.TokenRaw != matches[i].Token || l.TokenType != matches[i].Type {
				t.Fatalf("entry %d: %+v, want label %s for %s", i, l, want[i], matches[i].Type)
			}
		}

		// Each fails on its very next use; the user's other session lives on.
		for name, tok := range map[string]string{"PAT": pat, "session": leakedSession, "agent session": agentSession} {
			if r := s.do("GET", "/v1/me", tok, nil); r.status != http.StatusUnauthorized {
				t.Fatalf("leaked %s still works: %d", name, r.status)
			}
		}
		mustStatus(t, s.agentExchange(agentToken), http.StatusUnauthorized)
		mustStatus(t, s.do("GET", "/v1/me", keep, nil), http.StatusOK)
		k, err := s.m.Store.APIKeyByTokenHash(ctx, token.Hash(apiKey))
		if err != nil || k.RevokedAt == nil {
			t.Fatalf("leaked API key not revoked: %v", err)
		}
		// The owner rotates the agent to get a working token again.
		r = s.do("POST", "/v1/agents/"+agentID+"/rotate", keep, nil)
		mustStatus(t, r, http.StatusOK)
		s.agentMustExchange(r.json(t)["agent_token"].(string))

		// Audit: one credential.leaked per real token, by secret-scanning, with the URL.
		events, err := s.m.Store.ListAuditEvents(ctx, gatehouse.AuditFilter{Types: []string{"credential.leaked"}, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		byCredential := map[string]gatehouse.AuditEvent{}
		for _, e := range events {
			id, _ := e.Details["credential_id"].(string)
			byCredential[id] = e
		}
		if len(events) != 4 {
			t.Fatalf("%d credential.leaked events, want 4: %+v", len(events), events)
		}
		patRow, _, err := s.m.Store.PATByTokenHash(ctx, token.Hash(pat))
		if err != nil {
			t.Fatal(err)
		}
		sessRow, _, err := s.m.Store.SessionByTokenHash(ctx, token.Hash(leakedSession))
		if err != nil {
			t.Fatal(err)
		}
		// A person's credential's event has the person as subject (it shows in their own trail);
		// an org's key is the subject of an org event.
		for credential, c := range map[string]struct{ url, owner, org, subject string }{
			patRow.ID:  {matches[0].URL, userID, "", userID},
			sessRow.ID: {matches[1].URL, userID, "", userID},
			agentID:    {matches[2].URL, userID, "", userID},
			apiKeyID:   {"", userID, orgID, apiKeyID},
		} {
			e, ok := byCredential[credential]
			if !ok {
				t.Fatalf("no credential.leaked event for %s", credential)
			}
			if e.ActorID != "secret-scanning" || e.SubjectID != c.subject || e.Details["url"] != c.url || e.Details["owner_id"] != c.owner || e.OrgID != c.org || e.Details["revoked"] != true {
				t.Fatalf("event for %s: %+v", credential, e)
			}
		}

		// The owner sees the three leaks of their own credentials in their trail.
		r = s.do("GET", "/v1/me/audit-events?type=credential.leaked", keep, nil)
		mustStatus(t, r, http.StatusOK)
		if n := len(r.json(t)["data"].([]any)); n != 3 {
			t.Fatalf("the owner's trail shows %d credential.leaked events, want 3: %s", n, r.body)
		}

		// Reported again: still true positives (they are ours), nothing more to revoke.
		again, _ := json.Marshal(matches[:2])
		r = s.report(again, github.id, github.sign(t, again))
		mustStatus(t, r, http.StatusOK)
		labels = nil
		_ = json.Unmarshal(r.body, &labels)
		if len(labels) != 2 || labels[0].Label != "true_positive" || labels[1].Label != "true_positive" {
			t.Fatalf("second report: %s", r.body)
		}

		// A verified body that is not the partner payload is a bad request.
		obj := []byte(`{"token":"x"}`)
		mustStatus(t, s.report(obj, github.id, github.sign(t, obj)), http.StatusBadRequest)

		// No token reached a log line; the owner's warning did.
		logs := s.logText()
		for _, tok := range []string{pat, leakedSession, agentToken, apiKey, unknown} {
			if strings.Contains(logs, tok) {
				t.Fatal("a reported token was logged")
			}
		}
		if !strings.Contains(logs, "leaked credential reported by secret scanning") || !strings.Contains(logs, patRow.ID) {
			t.Fatal("no log line tells of the leak")
		}
	})
}

func TestSecretScanningRateLimit(t *testing.T) {
	github := newScanSigner(t, "k1")
	keys := writeScanKeys(t, github)
	s := start(t, backends()[0].dbURL(t), func(c *configT) {
		c.SecretScanningKeys = keys
		c.AuthRateLimit, _ = gatehouseRate("2/m")
	})
	body := []byte(`[]`)
	var last response
	for i := 0; i < 3; i++ {
		last = s.report(body, github.id, github.sign(t, body))
	}
	mustStatus(t, last, http.StatusTooManyRequests)
	if last.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

// scanPAT creates a personal access token for the holder of session tok: through the API, or
// directly in the store when the endpoint is not there.
func (s *server) scanPAT(tok, userID string) string {
	s.t.Helper()
	r := s.do("POST", "/v1/auth/tokens", tok, map[string]any{"name": "ci", "expires_in": "30d"})
	if r.status == http.StatusCreated {
		return r.json(s.t)["token"].(string)
	}
	s.t.Logf("POST /v1/auth/tokens answered %d; storing the PAT directly", r.status)
	pat, err := token.Generator{Brand: "gth"}.New(token.KindPAT)
	if err != nil {
		s.t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	t := &gatehouse.PersonalAccessToken{
		ID: gatehouse.NewID(gatehouse.PrefixPAT, now, nil), UserID: userID, Name: "ci",
		TokenHash: token.Hash(pat), Prefix: token.DisplayPrefix(pat), CreatedAt: now,
	}
	if err := s.m.Store.CreatePAT(context.Background(), t, gatehouse.MaxActivePATs, now); err != nil {
		s.t.Fatal(err)
	}
	return pat
}

// scanAPIKey stores an organization with a live API key created by userID and returns the key,
// its ID and the organization's ID.
func (s *server) scanAPIKey(userID string) (key, keyID, orgID string) {
	s.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	org := &gatehouse.Org{ID: gatehouse.NewID(gatehouse.PrefixOrg, now, nil), Name: "leaks-" + randomSuffix(), CreatedAt: now}
	if err := s.m.Store.CreateOrg(ctx, org, gatehouse.Membership{OrgID: org.ID, UserID: userID, Role: gatehouse.RoleOwner, CreatedAt: now}); err != nil {
		s.t.Fatal(err)
	}
	key, err := token.Generator{Brand: "gth"}.New(token.KindAPIKeyLive)
	if err != nil {
		s.t.Fatal(err)
	}
	k := &gatehouse.APIKey{
		ID: gatehouse.NewID(gatehouse.PrefixAPIKey, now, nil), OrgID: org.ID, Name: "backend",
		Environment: gatehouse.EnvironmentLive, Prefix: token.DisplayPrefix(key), TokenHash: token.Hash(key),
		Scopes: []string{"calls:read"}, CreatedBy: userID, CreatedAt: now,
	}
	if err := s.m.Store.CreateAPIKey(ctx, k); err != nil {
		s.t.Fatal(err)
	}
	return key, k.ID, org.ID
}

// TestSecretScanningDocPatterns keeps docs/secret-scanning.md honest: every regular expression in
// it is token.Pattern (or, for GitHub's secret format, the same without \b), it matches freshly
// generated tokens of its kind and no token of another kind or brand, every section lists every
// kind, and each gitleaks and trufflehog rule's keyword names the rule's own kind.
func TestSecretScanningDocPatterns(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "secret-scanning.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	// A pattern in the doc: optional \b, brand, kind, the body class, optional \b.
	find := regexp.MustCompile(`(\\b)?([a-z]{2,8})_([a-z_]+?)_\[0-9A-Za-z\]\{38\}(\\b)?`)

	type sample struct {
		brand string
		kind  token.Kind
		tok   string
	}
	var samples []sample
	for _, brand := range []string{"gth", "cru", "xyz"} {
		for _, k := range token.Kinds {
			for i := 0; i < 5; i++ {
				tok, err := token.Generator{Brand: brand}.New(k)
				if err != nil {
					t.Fatal(err)
				}
				samples = append(samples, sample{brand, k, tok})
			}
		}
	}

	checkPatterns := func(t *testing.T, text string) map[token.Kind]bool {
		t.Helper()
		seen := map[token.Kind]bool{}
		for _, m := range find.FindAllStringSubmatch(text, -1) {
			expr, brand, kind := m[0], m[2], token.Kind(m[3])
			if !kind.Valid() {
				t.Fatalf("%s: unknown kind %q", expr, kind)
			}
			full := token.Pattern(brand, kind)
			if expr != full && expr != strings.TrimSuffix(strings.TrimPrefix(full, `\b`), `\b`) {
				t.Fatalf("%s is not token.Pattern(%q, %q) = %s", expr, brand, kind, full)
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				t.Fatalf("%s: %v", expr, err)
			}
			for _, s := range samples {
				in := fmt.Sprintf("config:\n  key: %q # leaked\n", s.tok)
				got, want := re.MatchString(in), s.brand == brand && s.kind == kind
				if got != want {
					t.Fatalf("%s on a %s %s token: match %v, want %v", expr, s.brand, s.kind, got, want)
				}
				if want && re.FindString(in) != s.tok {
					t.Fatalf("%s found %q, want the whole token", expr, re.FindString(in))
				}
			}
			if brand == "gth" {
				seen[kind] = true
			}
		}
		return seen
	}

	sections := map[string]string{}
	for _, part := range strings.Split(doc, "\n## ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		sections[title] = body
	}
	for _, title := range []string{"Token kinds", "GitHub custom patterns", "gitleaks", "trufflehog"} {
		t.Run(title, func(t *testing.T) {
			body, ok := sections[title]
			if !ok {
				t.Fatalf("docs/secret-scanning.md has no section %q", title)
			}
			seen := checkPatterns(t, body)
			for _, k := range token.Kinds {
				if !seen[k] {
					t.Errorf("section %q has no pattern for kind %s", title, k)
				}
			}
		})
	}
	t.Run("rule keywords", func(t *testing.T) {
		keyword := regexp.MustCompile(`"(gth_[a-z_]+_)"|- (gth_[a-z_]+_)\n`)
		for title, sep := range map[string]string{"gitleaks": "[[rules]]", "trufflehog": "- name:"} {
			rules := strings.Split(sections[title], sep)[1:]
			if len(rules) != len(token.Kinds) {
				t.Fatalf("%s: %d rules, want %d", title, len(rules), len(token.Kinds))
			}
			for _, rule := range rules {
				m, k := find.FindStringSubmatch(rule), keyword.FindStringSubmatch(rule)
				if m == nil || k == nil {
					t.Fatalf("%s rule without regex or keyword:%s", title, rule)
				}
				if kw := k[1] + k[2]; kw != m[2]+"_"+m[3]+"_" {
					t.Fatalf("%s rule: keyword %s for a %s_%s pattern", title, kw, m[2], m[3])
				}
			}
		}
	})
}
