package keys_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/keys"
)

const secret = "0123456789abcdef0123456789abcdef-secret"

func newManager(t *testing.T, store gatehouse.SigningKeyStore, opts keys.Options) *keys.Manager {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m, err := keys.New(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// states maps each published kid to its state, read from the store.
func states(t *testing.T, store gatehouse.SigningKeyStore) map[string]string {
	t.Helper()
	published, err := store.PublishedSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range published {
		out[k.ID] = k.State
	}
	return out
}

func kidOf(t *testing.T, m map[string]string, state string) string {
	t.Helper()
	for kid, s := range m {
		if s == state {
			return kid
		}
	}
	t.Fatalf("no %s key in %v", state, m)
	return ""
}

type jwkSet struct {
	Keys []struct {
		Kty, Use, Alg, Kid, N, E string
	} `json:"keys"`
}

// verifyWithJWKS checks sig over msg against the key kid of the JWKS document, with the
// standard library only.
func verifyWithJWKS(t *testing.T, doc []byte, kid string, msg, sig []byte) error {
	t.Helper()
	var set jwkSet
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	for _, k := range set.Keys {
		if k.Kid != kid {
			continue
		}
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		d := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig)
	}
	return errors.New("kid " + kid + " is not in the JWKS")
}

func jwksKids(t *testing.T, doc []byte) []string {
	t.Helper()
	var set jwkSet
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

func sign(t *testing.T, m *keys.Manager, msg []byte) (kid string, sig []byte) {
	t.Helper()
	kid, key, alg, err := m.Signer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if alg != keys.RS256 {
		t.Fatalf("alg = %q, want RS256", alg)
	}
	d := sha256.Sum256(msg)
	sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return kid, sig
}

func TestInitCreatesCurrentAndNext(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret string
	}{{"sealed", secret}, {"unsealed", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, open opener) {
				store := open(t)
				m := newManager(t, store, keys.Options{SecretKey: tc.secret})
				ctx := context.Background()
				if err := m.Init(ctx); err != nil {
					t.Fatal(err)
				}
				// A second start keeps the keys.
				if err := newManager(t, store, keys.Options{SecretKey: tc.secret}).Init(ctx); err != nil {
					t.Fatal(err)
				}
				published, err := store.PublishedSigningKeys(ctx)
				if err != nil {
					t.Fatal(err)
				}
				st := states(t, store)
				if len(st) != 2 || len(published) != 2 {
					t.Fatalf("published = %v, want one current and one next", st)
				}
				for _, k := range published {
					if k.Sealed != (tc.secret != "") || k.Algorithm != keys.RS256 {
						t.Fatalf("key %s: Sealed %v, Algorithm %s", k.ID, k.Sealed, k.Algorithm)
					}
				}
				current, next := kidOf(t, st, gatehouse.KeyStateCurrent), kidOf(t, st, gatehouse.KeyStateNext)
				msg := []byte("header.payload")
				kid, sig := sign(t, m, msg)
				if kid != current {
					t.Fatalf("Signer kid = %s, want the current key %s", kid, current)
				}
				doc, err := m.JWKS(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got := jwksKids(t, doc); !slices.Equal(got, []string{current, next}) {
					t.Fatalf("JWKS kids = %v, want [current next] = %v", got, []string{current, next})
				}
				if err := verifyWithJWKS(t, doc, kid, msg, sig); err != nil {
					t.Fatalf("the published JWK does not verify the signer's signature: %v", err)
				}
			})
		})
	}
}

func TestInitWithWrongSecretKey(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		store := open(t)
		ctx := context.Background()
		if err := newManager(t, store, keys.Options{SecretKey: secret}).Init(ctx); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, secret, want string
		}{
			{"different secret", "another-secret-of-at-least-32-bytes!!", "was sealed with a different secret key"},
			{"no secret", "", "is sealed and the variable is not set"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := newManager(t, store, keys.Options{SecretKey: tt.secret}).Init(ctx)
				if !errors.Is(err, keys.ErrSecretKey) || !strings.Contains(err.Error(), "GATEHOUSE_SECRET_KEY") || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Init = %v, want ErrSecretKey saying %q", err, tt.want)
				}
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("the error reveals the secret: %v", err)
				}
			})
		}
	})
}

func TestSwappedSealedBlobsDoNotOpen(t *testing.T) {
	// A store whose rows had their sealed private keys exchanged: the key ID is the additional
	// data, so neither opens.
	eachStore(t, func(t *testing.T, open opener) {
		store := open(t)
		ctx := context.Background()
		if err := newManager(t, store, keys.Options{SecretKey: secret}).Init(ctx); err != nil {
			t.Fatal(err)
		}
		swapped := &swappingStore{SigningKeyStore: store}
		err := newManager(t, swapped, keys.Options{SecretKey: secret}).Init(ctx)
		if !errors.Is(err, keys.ErrSecretKey) {
			t.Fatalf("Init over swapped blobs = %v, want ErrSecretKey", err)
		}
	})
}

// swappingStore returns the published keys with the private keys of the first two exchanged.
type swappingStore struct{ gatehouse.SigningKeyStore }

func (s *swappingStore) PublishedSigningKeys(ctx context.Context) ([]gatehouse.SigningKey, error) {
	ks, err := s.SigningKeyStore.PublishedSigningKeys(ctx)
	if err == nil && len(ks) >= 2 {
		ks[0].PrivateKey, ks[1].PrivateKey = ks[1].PrivateKey, ks[0].PrivateKey
	}
	return ks, err
}

func TestRotateMovesStates(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		store := open(t)
		ctx := context.Background()
		m := newManager(t, store, keys.Options{SecretKey: secret})
		if err := m.Init(ctx); err != nil {
			t.Fatal(err)
		}
		before := states(t, store)
		current0, next0 := kidOf(t, before, gatehouse.KeyStateCurrent), kidOf(t, before, gatehouse.KeyStateNext)
		msg := []byte("issued just before the rotation")
		kid0, sig0 := sign(t, m, msg)

		rot, err := m.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		after := states(t, store)
		if rot.Current != next0 || after[next0] != gatehouse.KeyStateCurrent {
			t.Fatalf("after rotation: Rotation %+v, states %v; want %s current", rot, after, next0)
		}
		if after[current0] != gatehouse.KeyStatePrevious {
			t.Fatalf("the old current key is %q, want previous", after[current0])
		}
		if after[rot.Next] != gatehouse.KeyStateNext || rot.Next == current0 || rot.Next == next0 {
			t.Fatalf("new next key %s has state %q", rot.Next, after[rot.Next])
		}
		doc, err := m.JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := jwksKids(t, doc); !slices.Equal(got, []string{next0, rot.Next, current0}) {
			t.Fatalf("JWKS kids = %v, want [current next previous] = %v", got, []string{next0, rot.Next, current0})
		}
		if err := verifyWithJWKS(t, doc, kid0, msg, sig0); err != nil {
			t.Fatalf("a token signed just before the rotation no longer verifies: %v", err)
		}
		if kid, _ := sign(t, m, msg); kid != next0 {
			t.Fatalf("after the rotation the signer is %s, want %s", kid, next0)
		}

		// A second rotation retires the first key: it leaves the JWKS.
		rot2, err := m.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		final := states(t, store)
		if _, ok := final[current0]; ok {
			t.Fatalf("the key two rotations old is still published: %v", final)
		}
		if final[next0] != gatehouse.KeyStatePrevious || final[rot.Next] != gatehouse.KeyStateCurrent || final[rot2.Next] != gatehouse.KeyStateNext {
			t.Fatalf("after two rotations: %v", final)
		}
		doc, _ = m.JWKS(ctx)
		if slices.Contains(jwksKids(t, doc), current0) {
			t.Fatalf("the retired key is in the JWKS: %s", doc)
		}
	})
}

func TestRotateIfDue(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		store := open(t)
		ctx := context.Background()
		clk := newClock()
		const period = 720 * time.Hour
		m := newManager(t, store, keys.Options{SecretKey: secret, RotationPeriod: period, Now: clk.Now})
		if err := m.Init(ctx); err != nil {
			t.Fatal(err)
		}
		first := kidOf(t, states(t, store), gatehouse.KeyStateCurrent)
		steps := []struct {
			name    string
			advance time.Duration
			want    bool
		}{
			{"at start", 0, false},
			{"just before the period", period - time.Minute, false},
			{"once the period has passed", time.Minute, true},
			{"right after a rotation", time.Hour, false},
			{"a period after the rotation", period, true},
		}
		for _, st := range steps {
			clk.Advance(st.advance)
			rotated, err := m.RotateIfDue(ctx)
			if err != nil || rotated != st.want {
				t.Fatalf("%s: RotateIfDue = %v, %v; want %v", st.name, rotated, err, st.want)
			}
		}
		if _, ok := states(t, store)[first]; ok {
			t.Fatal("after two scheduled rotations the first key is still published")
		}

		never := newManager(t, store, keys.Options{SecretKey: secret, Now: func() time.Time { return clk.Now().Add(10 * period) }})
		if rotated, err := never.RotateIfDue(ctx); rotated || err != nil {
			t.Fatalf("RotateIfDue with period 0 = %v, %v; want no rotation", rotated, err)
		}
	})
}

func TestConcurrentScheduledRotationRotatesOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		clk := newClock()
		const period = time.Hour
		const instances = 4
		var managers []*keys.Manager
		for range instances {
			m := newManager(t, open(t), keys.Options{SecretKey: secret, RotationPeriod: period, Now: clk.Now, ReloadEvery: time.Second})
			if err := m.Init(ctx); err != nil {
				t.Fatal(err)
			}
			managers = append(managers, m)
		}
		store := open(t)
		before := states(t, store)
		if len(before) != 2 {
			t.Fatalf("concurrent first starts published %v, want one pair", before)
		}
		next0 := kidOf(t, before, gatehouse.KeyStateNext)
		clk.Advance(period)

		var wg sync.WaitGroup
		results := make([]bool, instances)
		errs := make([]error, instances)
		for i, m := range managers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = m.RotateIfDue(ctx)
			}()
		}
		wg.Wait()
		n := 0
		for i := range managers {
			if errs[i] != nil {
				t.Fatalf("instance %d: %v", i, errs[i])
			}
			if results[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d instances rotated, want exactly 1", n)
		}
		after := states(t, store)
		if len(after) != 3 || after[next0] != gatehouse.KeyStateCurrent {
			t.Fatalf("after the concurrent rotation: %v, want three keys with %s current", after, next0)
		}
		// Every instance signs with the new current key once its cache has reloaded.
		clk.Advance(time.Second)
		for i, m := range managers {
			if kid, _ := sign(t, m, []byte("x")); kid != next0 {
				t.Fatalf("instance %d signs with %s, want %s", i, kid, next0)
			}
		}
	})
}

func TestRotateBeforeInit(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		_, err := newManager(t, open(t), keys.Options{}).Rotate(context.Background())
		if !errors.Is(err, gatehouse.ErrNotFound) || !strings.Contains(err.Error(), "none are published yet") {
			t.Fatalf("Rotate on an empty store = %v, want ErrNotFound explained", err)
		}
	})
}
