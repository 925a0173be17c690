package auth

import (
	"context"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/ratelimit/memory"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
	"github.com/gatehouse-auth/gatehouse/token"
)

func TestParseCIDRs(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want []string // nil: invalid_request
	}{
		{"none", nil, []string{}},
		{"IPv4 prefix", []string{"10.1.0.0/16"}, []string{"10.1.0.0/16"}},
		{"IPv4 prefix with host bits is masked", []string{"10.1.2.3/16"}, []string{"10.1.0.0/16"}},
		{"bare IPv4 is a /32", []string{"192.0.2.7"}, []string{"192.0.2.7/32"}},
		{"IPv6 prefix", []string{"2001:db8::/32"}, []string{"2001:db8::/32"}},
		{"bare IPv6 is a /128", []string{" 2001:db8::1 "}, []string{"2001:db8::1/128"}},
		{"duplicates dropped", []string{"10.0.0.0/8", "10.0.0.1/8"}, []string{"10.0.0.0/8"}},
		{"IPv4 prefix too long", []string{"10.0.0.0/33"}, nil},
		{"IPv6 prefix too long", []string{"2001:db8::/129"}, nil},
		{"host name", []string{"localhost"}, nil},
		{"empty", []string{""}, nil},
		{"zone", []string{"fe80::1%eth0"}, nil},
		{"IPv4-mapped IPv6", []string{"::ffff:10.0.0.1"}, nil},
		{"one bad among good", []string{"10.0.0.0/8", "10.0.0.0/x"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseCIDRs(c.in)
			if c.want == nil {
				if gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
					t.Fatalf("got %v, %v; want invalid_request", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, p := range got {
				s = append(s, p.String())
			}
			if !slices.Equal(s, c.want) && !(len(s) == 0 && len(c.want) == 0) {
				t.Fatalf("got %v, want %v", s, c.want)
			}
		})
	}
}

func TestAddressAllowed(t *testing.T) {
	prefixes, err := ParseCIDRs([]string{"10.1.0.0/16", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		ip   string
		want bool
	}{
		{"10.1.255.255", true},
		{"10.2.0.0", false},
		{"::ffff:10.1.0.1", true},
		{"2001:db8:1::1", true},
		{"2001:db9::1", false},
		{"", false}, // unknown address: fail closed
	}
	for _, c := range cases {
		t.Run(c.ip, func(t *testing.T) {
			var ip netip.Addr
			if c.ip != "" {
				ip = netip.MustParseAddr(c.ip)
			}
			if got := addressAllowed(prefixes, ip); got != c.want {
				t.Fatalf("addressAllowed(%s) = %v", c.ip, got)
			}
		})
	}
}

// keyFixture is a service on a real SQLite store with a settable clock, an in-memory rate
// limiter on that clock, and an organization owned by a signed-in user.
type keyFixture struct {
	*fixture
	owner *gatehouse.Principal
	orgID string
}

func newKeyFixture(t *testing.T) *keyFixture {
	t.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := &countingHasher{Hasher: password.NewHasher(cheap, password.HasherOptions{})}
	c := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	cfg := Config{
		Brand: "gth", SessionTTL: 30 * 24 * time.Hour, PasswordPolicy: password.Policy{MinLength: 8},
		APIResources: []string{"calls", "agents"},
	}
	svc := New(store, h, cfg, Options{Now: c.now, Limiter: memory.New(c.now)})
	f := &keyFixture{fixture: &fixture{svc: svc, clients: NewOAuthClients(store, cfg, Options{Now: c.now}), agents: NewAgents(store, cfg.Brand, Options{Now: c.now}),
		pats: NewPATs(store, cfg, Options{Now: c.now}), apiKeys: NewAPIKeys(store, cfg, Options{Now: c.now}), store: store, hasher: h, clock: c}}
	g := f.register(t, "olivia", "")
	f.owner = &gatehouse.Principal{User: g.User, Session: g.Session, Credential: gatehouse.CredentialSession}
	org, err := NewOrgs(store, Options{Now: c.now}).Create(context.Background(), f.owner, "Olivia's", Meta{})
	if err != nil {
		t.Fatal(err)
	}
	f.orgID = org.ID
	return f
}

func (f *keyFixture) createKey(t *testing.T, in APIKeyInput) *APIKeyGrant {
	t.Helper()
	if in.Name == "" {
		in.Name = "k"
	}
	if in.Environment == "" {
		in.Environment = gatehouse.EnvironmentLive
	}
	if in.Scopes == nil {
		in.Scopes = []string{"calls:read"}
	}
	g, err := f.apiKeys.Create(context.Background(), f.owner, f.orgID, in, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// verifyCode returns the error code of verifying tok ("" when valid).
func (f *keyFixture) verifyCode(tok string, ip netip.Addr) gatehouse.Code {
	_, err := f.svc.Sessions.Verify(context.Background(), VerifyInput{Token: tok, IP: ip}, Meta{})
	return gatehouse.ErrorCode(err)
}

func TestAPIKeyRotationOverlapOnTheClock(t *testing.T) {
	f := newKeyFixture(t)
	old := f.createKey(t, APIKeyInput{})
	overlap := time.Hour
	rot, err := f.apiKeys.Rotate(context.Background(), f.owner, f.orgID, old.APIKey.ID, &overlap, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clock.now().Add(time.Hour); !rot.OldExpiresAt.Equal(want) {
		t.Fatalf("old key ends %v, want %v", rot.OldExpiresAt, want)
	}
	steps := []struct {
		name     string
		advance  time.Duration
		old, new gatehouse.Code
	}{
		{"at once", 0, "", ""},
		{"just before the end", 59*time.Minute + 59*time.Second, "", ""},
		{"at the end", time.Second, gatehouse.CodeExpiredAPIKey, ""},
		{"a day later", 24 * time.Hour, gatehouse.CodeExpiredAPIKey, ""},
	}
	for _, s := range steps {
		f.clock.advance(s.advance)
		if got := f.verifyCode(old.Key, netip.Addr{}); got != s.old {
			t.Fatalf("%s: old key %q, want %q", s.name, got, s.old)
		}
		if got := f.verifyCode(rot.Key, netip.Addr{}); got != s.new {
			t.Fatalf("%s: new key %q, want %q", s.name, got, s.new)
		}
	}
}

func TestAPIKeyExpiryAndRateLimitOnTheClock(t *testing.T) {
	f := newKeyFixture(t)
	exp := f.clock.now().Add(2 * time.Hour)
	g := f.createKey(t, APIKeyInput{ExpiresAt: &exp, RateLimit: "2/m"})
	for i := range 2 {
		if got := f.verifyCode(g.Key, netip.Addr{}); got != "" {
			t.Fatalf("use %d: %q", i+1, got)
		}
	}
	_, err := f.svc.Sessions.Verify(context.Background(), VerifyInput{Token: g.Key}, Meta{})
	var e *gatehouse.Error
	if !asErr(err, &e) || e.Code != gatehouse.CodeRateLimited || e.RetryAfter <= 0 || e.RetryAfter > time.Minute {
		t.Fatalf("third use: %v (retry after %v)", err, e)
	}
	f.clock.advance(time.Minute)
	if got := f.verifyCode(g.Key, netip.Addr{}); got != "" {
		t.Fatalf("after the window: %q", got)
	}
	f.clock.advance(2 * time.Hour)
	if got := f.verifyCode(g.Key, netip.Addr{}); got != gatehouse.CodeExpiredAPIKey {
		t.Fatalf("after expiry: %q", got)
	}
}

func TestMalformedAPIKeysAnswerInvalidAPIKey(t *testing.T) {
	f := newKeyFixture(t)
	g := f.createKey(t, APIKeyInput{Environment: gatehouse.EnvironmentTest})
	flipped := []byte(g.Key)
	if i := len(flipped) - 1; flipped[i] == 'a' { // another base62 character: the checksum fails
		flipped[i] = 'b'
	} else {
		flipped[i] = 'a'
	}
	other, err := token.Generator{Brand: "xyz"}.New(token.KindAPIKeyLive)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, tok string
		want      gatehouse.Code
	}{
		{"valid", g.Key, ""},
		{"one character changed", string(flipped), gatehouse.CodeInvalidAPIKey},
		{"truncated", g.Key[:len(g.Key)-1], gatehouse.CodeInvalidAPIKey},
		{"another brand", other, gatehouse.CodeInvalidAPIKey},
		{"relabelled live", "gth_sk_live_" + g.Key[len("gth_sk_test_"):], gatehouse.CodeInvalidAPIKey},
		{"not a key", "gth_pat_short", gatehouse.CodeInvalidToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := f.verifyCode(c.tok, netip.Addr{}); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestRevokedAPIKeyFailsAtOnce(t *testing.T) {
	f := newKeyFixture(t)
	g := f.createKey(t, APIKeyInput{AllowedCIDRs: []string{"192.0.2.0/24"}})
	in, out := netip.MustParseAddr("192.0.2.9"), netip.MustParseAddr("198.51.100.1")
	if got := f.verifyCode(g.Key, in); got != "" {
		t.Fatalf("inside: %q", got)
	}
	if got := f.verifyCode(g.Key, out); got != gatehouse.CodeIPNotAllowed {
		t.Fatalf("outside: %q", got)
	}
	if err := f.apiKeys.Revoke(context.Background(), f.owner, f.orgID, g.APIKey.ID, Meta{}); err != nil {
		t.Fatal(err)
	}
	if got := f.verifyCode(g.Key, in); got != gatehouse.CodeInvalidAPIKey {
		t.Fatalf("after revocation: %q", got)
	}
}
