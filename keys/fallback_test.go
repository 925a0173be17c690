package keys_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/keys"
)

// flakyStore fails PublishedSigningKeys while down is set (a database outage).
type flakyStore struct {
	gatehouse.SigningKeyStore
	down atomic.Bool
}

func (s *flakyStore) PublishedSigningKeys(ctx context.Context) ([]gatehouse.SigningKey, error) {
	if s.down.Load() {
		return nil, errors.New("database unreachable")
	}
	return s.SigningKeyStore.PublishedSigningKeys(ctx)
}

func TestCachedSetOutlivesStoreOutage(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		clk := newClock()
		store := &flakyStore{SigningKeyStore: open(t)}
		m := newManager(t, store, keys.Options{Now: clk.Now, ReloadEvery: time.Minute})
		if err := m.Init(ctx); err != nil {
			t.Fatal(err)
		}
		kid, _, _, err := m.Signer(ctx, keys.ES256)
		if err != nil {
			t.Fatal(err)
		}
		store.down.Store(true)
		clk.Advance(time.Hour) // the cache is stale; the reload fails
		got, _, _, err := m.Signer(ctx, keys.ES256)
		if err != nil || got != kid {
			t.Fatalf("Signer during an outage = %s, %v; want the cached %s", got, err, kid)
		}
		if _, err := m.JWKS(ctx); err != nil {
			t.Fatalf("JWKS during an outage: %v", err)
		}
		// Without a cached set there is nothing to serve.
		cold := newManager(t, store, keys.Options{Now: clk.Now})
		if _, _, _, err := cold.Signer(ctx, keys.ES256); err == nil {
			t.Fatal("Signer without a cached set during an outage succeeded")
		}
	})
}

func TestSecretKeySetLater(t *testing.T) {
	// Keys stored unencrypted keep working when a secret key is configured later; the keys made
	// from then on are sealed.
	eachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		store := open(t)
		if err := newManager(t, store, keys.Options{}).Init(ctx); err != nil {
			t.Fatal(err)
		}
		m := newManager(t, store, keys.Options{SecretKey: secret})
		if err := m.Init(ctx); err != nil {
			t.Fatalf("Init with a secret over unencrypted keys: %v", err)
		}
		rot, err := m.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		published, err := store.PublishedSigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range published {
			if (k.ID == rot.Next[keys.RS256] || k.ID == rot.Next[keys.ES256]) && !k.Sealed {
				t.Fatalf("the key made with a secret key set is not sealed")
			}
		}
		if kid, _ := sign(t, m, []byte("x")); kid != rot.Current[keys.RS256] {
			t.Fatalf("signer %s, want %s", kid, rot.Current[keys.RS256])
		}
	})
}
