package keys_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
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
	out := map[string]string{}
	for _, k := range published(t, store) {
		out[k.ID] = k.State
	}
	return out
}

func published(t *testing.T, store gatehouse.SigningKeyStore) []gatehouse.SigningKey {
	t.Helper()
	ks, err := store.PublishedSigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// kidOf returns the kid of the published key of alg in state.
func kidOf(t *testing.T, store gatehouse.SigningKeyStore, alg, state string) string {
	t.Helper()
	for _, k := range published(t, store) {
		if k.Algorithm == alg && k.State == state {
			return k.ID
		}
	}
	t.Fatalf("no %s %s key in %v", alg, state, states(t, store))
	return ""
}

type jwkSet struct {
	Keys []struct {
		Kty, Use, Alg, Kid, N, E, Crv, X, Y string
	} `json:"keys"`
}

// verifyWithJWKS checks sig over msg against the key kid of the JWKS document, with the
// standard library only: an RSA key with RS256, an EC P-256 key with ES256 (ASN.1 signature,
// as crypto.Signer makes it).
func verifyWithJWKS(t *testing.T, doc []byte, kid string, msg, sig []byte) error {
	t.Helper()
	var set jwkSet
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	b64 := func(s string) []byte {
		b, _ := base64.RawURLEncoding.DecodeString(s)
		return b
	}
	d := sha256.Sum256(msg)
	for _, k := range set.Keys {
		if k.Kid != kid {
			continue
		}
		switch {
		case k.Kty == "RSA" && k.Alg == keys.RS256:
			pub := &rsa.PublicKey{N: new(big.Int).SetBytes(b64(k.N)), E: int(new(big.Int).SetBytes(b64(k.E)).Int64())}
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig)
		case k.Kty == "EC" && k.Alg == keys.ES256 && k.Crv == "P-256":
			pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, b64(k.X)...), b64(k.Y)...))
			if err != nil {
				return err
			}
			if !ecdsa.VerifyASN1(pub, d[:], sig) {
				return errors.New("ECDSA signature does not verify")
			}
			return nil
		}
		return errors.New("kid " + kid + " has kty " + k.Kty + " with alg " + k.Alg)
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

// signWith signs msg with the current key of alg.
func signWith(t *testing.T, m *keys.Manager, alg string, msg []byte) (kid string, sig []byte) {
	t.Helper()
	kid, key, got, err := m.Signer(context.Background(), alg)
	if err != nil {
		t.Fatal(err)
	}
	if got != alg {
		t.Fatalf("alg = %q, want %s", got, alg)
	}
	d := sha256.Sum256(msg)
	sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return kid, sig
}

// sign signs msg with the current RS256 key.
func sign(t *testing.T, m *keys.Manager, msg []byte) (kid string, sig []byte) {
	t.Helper()
	return signWith(t, m, keys.RS256, msg)
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
				ks := published(t, store)
				if len(ks) != 4 {
					t.Fatalf("published = %v, want one current and one next key of each algorithm", states(t, store))
				}
				for _, k := range ks {
					if k.Sealed != (tc.secret != "") {
						t.Fatalf("key %s: Sealed %v", k.ID, k.Sealed)
					}
				}
				es, rs := kidOf(t, store, keys.ES256, gatehouse.KeyStateCurrent), kidOf(t, store, keys.RS256, gatehouse.KeyStateCurrent)
				esNext, rsNext := kidOf(t, store, keys.ES256, gatehouse.KeyStateNext), kidOf(t, store, keys.RS256, gatehouse.KeyStateNext)
				doc, err := m.JWKS(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := jwksKids(t, doc), []string{es, rs, esNext, rsNext}; !slices.Equal(got, want) {
					t.Fatalf("JWKS kids = %v, want [current ES256, current RS256, next ES256, next RS256] = %v", got, want)
				}
				cases := []struct {
					alg, current string
				}{{keys.RS256, rs}, {keys.ES256, es}}
				for _, c := range cases {
					t.Run(c.alg, func(t *testing.T) {
						msg := []byte("header.payload")
						kid, sig := signWith(t, m, c.alg, msg)
						if kid != c.current {
							t.Fatalf("Signer kid = %s, want the current key %s", kid, c.current)
						}
						if err := verifyWithJWKS(t, doc, kid, msg, sig); err != nil {
							t.Fatalf("the published JWK does not verify the signer's signature: %v", err)
						}
					})
				}
				if _, _, _, err := m.Signer(ctx, "HS256"); err == nil {
					t.Fatal("Signer(HS256) succeeded")
				}
			})
		})
	}
}

// TestInitAddsES256ToAnRS256Database: a database from before ES256 keys (one RS256 pair) gains an
// ES256 pair at the next start; the RS256 keys stay as they are.
func TestInitAddsES256ToAnRS256Database(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		store := open(t)
		rsCur, rsNext := rsaKey(t, "sig_oldcurrent"), rsaKey(t, "sig_oldnext")
		if ok, err := store.InitSigningKeys(ctx, rsCur, rsNext); err != nil || !ok {
			t.Fatalf("InitSigningKeys = %v, %v", ok, err)
		}
		m := newManager(t, store, keys.Options{})
		if err := m.Init(ctx); err != nil {
			t.Fatal(err)
		}
		st := states(t, store)
		if len(st) != 4 || st[rsCur.ID] != gatehouse.KeyStateCurrent || st[rsNext.ID] != gatehouse.KeyStateNext {
			t.Fatalf("after Init: %v, want the old RS256 pair kept and an ES256 pair added", st)
		}
		esCur := kidOf(t, store, keys.ES256, gatehouse.KeyStateCurrent)
		kidOf(t, store, keys.ES256, gatehouse.KeyStateNext)
		doc, err := m.JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ alg, kid string }{{keys.RS256, rsCur.ID}, {keys.ES256, esCur}} {
			kid, sig := signWith(t, m, c.alg, []byte("m"))
			if kid != c.kid {
				t.Fatalf("%s signer %s, want %s", c.alg, kid, c.kid)
			}
			if err := verifyWithJWKS(t, doc, kid, []byte("m"), sig); err != nil {
				t.Fatalf("%s: %v", c.alg, err)
			}
		}
		// The two sets rotate together from then on.
		rot, err := m.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rot.Current[keys.RS256] != rsNext.ID || rot.Current[keys.ES256] == esCur || len(rot.Next) != 2 {
			t.Fatalf("rotation %+v", rot)
		}
	})
}

// rsaKey returns an unsealed RS256 key with the given kid, as an older version stored it.
func rsaKey(t *testing.T, kid string) *gatehouse.SigningKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := keys.PublicJWK(priv.Public(), kid, keys.RS256)
	if err != nil {
		t.Fatal(err)
	}
	return &gatehouse.SigningKey{ID: kid, Algorithm: keys.RS256, PrivateKey: der, PublicJWK: jwk}
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
		type keyPair struct{ current, next string }
		before := map[string]keyPair{}
		sigs := map[string][]byte{}
		msg := []byte("issued just before the rotation")
		for _, alg := range keys.Algorithms {
			before[alg] = keyPair{kidOf(t, store, alg, gatehouse.KeyStateCurrent), kidOf(t, store, alg, gatehouse.KeyStateNext)}
			_, sigs[alg] = signWith(t, m, alg, msg)
		}

		rot, err := m.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		after := states(t, store)
		var wantKids []string
		for _, state := range []string{"current", "next", "previous"} {
			for _, alg := range []string{keys.ES256, keys.RS256} {
				wantKids = append(wantKids, map[string]string{"current": before[alg].next, "next": rot.Next[alg], "previous": before[alg].current}[state])
			}
		}
		doc, err := m.JWKS(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := jwksKids(t, doc); !slices.Equal(got, wantKids) {
			t.Fatalf("JWKS kids = %v, want [current×2 next×2 previous×2] = %v", got, wantKids)
		}
		for _, alg := range keys.Algorithms {
			t.Run(alg, func(t *testing.T) {
				b := before[alg]
				if rot.Current[alg] != b.next || after[b.next] != gatehouse.KeyStateCurrent {
					t.Fatalf("after rotation: Rotation %+v, states %v; want %s current", rot, after, b.next)
				}
				if after[b.current] != gatehouse.KeyStatePrevious {
					t.Fatalf("the old current key is %q, want previous", after[b.current])
				}
				if after[rot.Next[alg]] != gatehouse.KeyStateNext || rot.Next[alg] == b.current || rot.Next[alg] == b.next {
					t.Fatalf("new next key %s has state %q", rot.Next[alg], after[rot.Next[alg]])
				}
				if err := verifyWithJWKS(t, doc, b.current, msg, sigs[alg]); err != nil {
					t.Fatalf("a token signed just before the rotation no longer verifies: %v", err)
				}
				if kid, _ := signWith(t, m, alg, msg); kid != b.next {
					t.Fatalf("after the rotation the signer is %s, want %s", kid, b.next)
				}
			})
		}

		// A second rotation retires the first keys: they leave the JWKS.
		rot2, err := m.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		final := states(t, store)
		doc, _ = m.JWKS(ctx)
		if len(final) != 6 {
			t.Fatalf("after two rotations %d keys are published, want 6: %v", len(final), final)
		}
		for _, alg := range keys.Algorithms {
			b := before[alg]
			if _, ok := final[b.current]; ok {
				t.Fatalf("the %s key two rotations old is still published: %v", alg, final)
			}
			if final[b.next] != gatehouse.KeyStatePrevious || final[rot.Next[alg]] != gatehouse.KeyStateCurrent || final[rot2.Next[alg]] != gatehouse.KeyStateNext {
				t.Fatalf("after two rotations: %v", final)
			}
			if slices.Contains(jwksKids(t, doc), b.current) {
				t.Fatalf("the retired key is in the JWKS: %s", doc)
			}
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
		first := []string{kidOf(t, store, keys.RS256, gatehouse.KeyStateCurrent), kidOf(t, store, keys.ES256, gatehouse.KeyStateCurrent)}
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
		for _, kid := range first {
			if _, ok := states(t, store)[kid]; ok {
				t.Fatal("after two scheduled rotations a first key is still published")
			}
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
		if len(before) != 4 {
			t.Fatalf("concurrent first starts published %v, want one pair of each algorithm", before)
		}
		next0 := map[string]string{}
		for _, alg := range keys.Algorithms {
			next0[alg] = kidOf(t, store, alg, gatehouse.KeyStateNext)
		}
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
		if len(after) != 6 || after[next0[keys.RS256]] != gatehouse.KeyStateCurrent || after[next0[keys.ES256]] != gatehouse.KeyStateCurrent {
			t.Fatalf("after the concurrent rotation: %v, want six keys with %v current", after, next0)
		}
		// Every instance signs with the new current keys once its cache has reloaded.
		clk.Advance(time.Second)
		for i, m := range managers {
			for _, alg := range keys.Algorithms {
				if kid, _ := signWith(t, m, alg, []byte("x")); kid != next0[alg] {
					t.Fatalf("instance %d signs %s with %s, want %s", i, alg, kid, next0[alg])
				}
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
