package auth

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/store/sqlstore"
)

// cheap are argon2id parameters fast enough for unit tests; the real ones are tested in package
// password.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// countingHasher is the real hasher, counting the argon2id verifications it runs.
type countingHasher struct {
	*password.Hasher
	verifies atomic.Int64
}

// Check counts the calls that get past admission, i.e. that really run argon2id.
func (c *countingHasher) Check(ctx context.Context, pw, phc string, admit func() error) (bool, bool, error) {
	return c.Hasher.Check(ctx, pw, phc, func() error {
		if admit != nil {
			if err := admit(); err != nil {
				return err
			}
		}
		c.verifies.Add(1)
		return nil
	})
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	svc     *Services
	clients *OAuthClients
	agents  *Agents
	pats    *PATs
	apiKeys *APIKeys
	store   *sqlstore.Store
	hasher  *countingHasher
	clock   *clock
}

func newFixture(t *testing.T, configure func(*Config)) *fixture {
	t.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := Config{
		Brand: "gth", SessionTTL: 7 * 24 * time.Hour, IdleTimeout: time.Hour, DefaultOrg: "lobby",
		PasswordPolicy: password.Policy{MinLength: 8}, LoginThrottle: gatehouse.DefaultLoginThrottle,
	}
	if configure != nil {
		configure(&cfg)
	}
	h := &countingHasher{Hasher: password.NewHasher(cheap, password.HasherOptions{})}
	c := &clock{t: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	svc := New(store, h, cfg, Options{Now: c.now})
	if err := svc.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, clients: svc.OAuthClients, agents: svc.Agents, pats: svc.PATs, apiKeys: svc.APIKeys, store: store, hasher: h, clock: c}
}

const pw = "correct horse battery staple"

func (f *fixture) register(t *testing.T, name, email string) *SessionGrant {
	t.Helper()
	g, err := f.svc.Accounts.Register(context.Background(), RegisterInput{Username: name, Password: pw, Email: email}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestEveryLoginFailureCostsOneVerification(t *testing.T) {
	f := newFixture(t, nil)
	f.register(t, "alice", "alice@example.com")
	cases := []struct {
		name, login, password string
	}{
		{"wrong password", "alice", "wrong password"},
		{"unknown username", "bob", "wrong password"},
		{"unknown email", "bob@example.com", "wrong password"},
		{"empty login", "", "wrong password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.hasher.verifies.Load()
			_, err := f.svc.SignIn.Login(context.Background(), c.login, c.password, Meta{})
			if gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials {
				t.Fatalf("got %v, want invalid_credentials", err)
			}
			if n := f.hasher.verifies.Load() - before; n != 1 {
				t.Fatalf("%d argon2id verifications, want exactly 1 (equal timing)", n)
			}
		})
	}
}

func TestThrottleBlocksEvenTheRightPassword(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.LoginThrottle = gatehouse.LoginThrottlePolicy{Free: 2, Base: time.Minute, Max: time.Hour, Forget: 24 * time.Hour}
	})
	f.register(t, "carol", "")
	ctx := context.Background()
	for i := 0; i < 3; i++ { // 2 free failures, the 3rd blocks for a minute afterwards
		if _, err := f.svc.SignIn.Login(ctx, "carol", "nope nope", Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	before := f.hasher.verifies.Load()
	_, err := f.svc.SignIn.Login(ctx, "carol", pw, Meta{})
	var e *gatehouse.Error
	if gatehouse.ErrorCode(err) != gatehouse.CodeRateLimited {
		t.Fatalf("throttled login: %v", err)
	}
	if asErr(err, &e); e.RetryAfter != time.Minute {
		t.Fatalf("RetryAfter %v, want 1m", e.RetryAfter)
	}
	if f.hasher.verifies.Load() != before {
		t.Fatal("a throttled attempt still ran argon2id")
	}
	f.clock.advance(time.Minute)
	if _, err := f.svc.SignIn.Login(ctx, "carol", pw, Meta{}); err != nil {
		t.Fatalf("after the delay the right password must work: %v", err)
	}
	// Success forgets the failures: two more wrong ones are free again.
	for i := 0; i < 2; i++ {
		if _, err := f.svc.SignIn.Login(ctx, "carol", "nope nope", Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidCredentials {
			t.Fatalf("after success, attempt %d: %v", i+1, err)
		}
	}
}

func TestSessionExpiry(t *testing.T) {
	cases := []struct {
		name    string
		advance []time.Duration // steps, each followed by a use of the session
		want    gatehouse.Code
	}{
		{"fresh", []time.Duration{0}, ""},
		{"used within the idle timeout keeps it alive", []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute}, ""},
		{"idle too long", []time.Duration{61 * time.Minute}, gatehouse.CodeExpiredToken},
		{"absolute expiry despite use", repeat(172, 59*time.Minute), gatehouse.CodeExpiredToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil)
			g := f.register(t, "dave", "")
			var err error
			for _, d := range c.advance {
				f.clock.advance(d)
				_, err = f.svc.Sessions.Authenticate(context.Background(), g.Token, Meta{})
				if err != nil {
					break
				}
			}
			if gatehouse.ErrorCode(err) != c.want {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

func TestAuthenticateRejectsBadTokensBeforeTheStore(t *testing.T) {
	f := newFixture(t, nil)
	g := f.register(t, "erin", "")
	flipped := []byte(g.Token)
	if flipped[len(flipped)-10] == 'a' {
		flipped[len(flipped)-10] = 'b'
	} else {
		flipped[len(flipped)-10] = 'a'
	}
	cases := map[string]string{
		"empty":            "",
		"one char changed": string(flipped),
		"other brand":      "abc" + g.Token[3:],
		"not a token":      "hello",
		"PAT kind for now": "gth_pat" + g.Token[7:],
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := f.svc.Sessions.Authenticate(context.Background(), tok, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidToken {
				t.Fatalf("got %v, want invalid_token", err)
			}
		})
	}
}

func TestAdminEmailsNeedAVerifiedAddress(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.AdminEmails = []string{"boss@example.com"} })
	g := f.register(t, "boss", "Boss@Example.com")
	if f.svc.Sessions.IsAdmin(g.User) {
		t.Fatal("an unverified address made its owner an administrator")
	}
	u := *g.User
	u.EmailVerified = true
	if !f.svc.Sessions.IsAdmin(&u) {
		t.Fatal("the verified owner of an admin address is not an administrator")
	}
}

func TestRehashOnParameterChange(t *testing.T) {
	f := newFixture(t, nil)
	g := f.register(t, "frank", "")
	// Swap in a hasher with other parameters: the next login re-encodes the hash.
	stronger := cheap
	stronger.Time = 2
	f.svc.SignIn.hasher = &countingHasher{Hasher: password.NewHasher(stronger, password.HasherOptions{})}
	if _, err := f.svc.SignIn.Login(context.Background(), "frank", pw, Meta{}); err != nil {
		t.Fatal(err)
	}
	u, err := f.store.UserByID(context.Background(), g.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, _, _, err := password.ParsePHC(u.PasswordHash)
	if err != nil || p.Time != 2 {
		t.Fatalf("hash not re-encoded: %v %+v", err, p)
	}
}

func repeat(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func asErr(err error, target **gatehouse.Error) bool {
	e, ok := err.(*gatehouse.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestShedLoginsAreNotCountedByTheThrottle(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.LoginThrottle = gatehouse.LoginThrottlePolicy{Free: 1, Base: time.Hour, Max: time.Hour, Forget: 24 * time.Hour}
	})
	f.register(t, "gail", "")
	// A hasher with no capacity at all sheds every call: none may count as an attempt.
	full := password.NewHasher(cheap, password.HasherOptions{Workers: 1, MaxQueue: -1})
	hold := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_, _, _ = full.Check(context.Background(), "x", "", func() error { close(held); <-hold; return nil })
	}()
	<-held
	f.svc.SignIn.hasher = full
	for i := 0; i < 5; i++ {
		_, err := f.svc.SignIn.Login(context.Background(), "gail", pw, Meta{})
		if gatehouse.ErrorCode(err) != gatehouse.CodeUnavailable {
			t.Fatalf("attempt %d under load: %v, want temporarily_unavailable", i+1, err)
		}
	}
	close(hold)
	f.svc.SignIn.hasher = f.hasher
	if _, err := f.svc.SignIn.Login(context.Background(), "gail", pw, Meta{}); err != nil {
		t.Fatalf("after the load passed the right password must work at once: %v", err)
	}
}

// TestServicesHoldNarrowStores: no service of the package holds the whole gatehouse.Store (each
// takes the narrow interface it declares), so what a use case may touch is stated by its type.
func TestServicesHoldNarrowStores(t *testing.T) {
	whole := reflect.TypeOf((*gatehouse.Store)(nil)).Elem()
	services := reflect.TypeOf(Services{})
	for i := range services.NumField() {
		f := services.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			svc := f.Type.Elem()
			if svc.Kind() != reflect.Struct {
				t.Fatalf("%s is not a pointer to a service struct", f.Type)
			}
			for j := range svc.NumField() {
				ft := svc.Field(j).Type
				if ft.Kind() == reflect.Interface && ft.Implements(whole) {
					t.Errorf("%s.%s is %s, which holds the whole gatehouse.Store", svc.Name(), svc.Field(j).Name, ft)
				}
			}
		})
	}
}
