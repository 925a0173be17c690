package storetest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func signingKeyTests() []test {
	return []test{
		{"NoneAtFirst", testSigningKeysNoneAtFirst},
		{"Init", testInitSigningKeys},
		{"InitDefaults", testInitSigningKeysDefaults},
		{"InitErrors", testInitSigningKeysErrors},
		{"InitConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentInits(t, s, s) }},
		{"Rotate", testRotateSigningKeys},
		{"RotateErrors", testRotateSigningKeysErrors},
		{"RotateConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentRotations(t, s, s) }},
	}
}

// newSigningKey returns an unsaved key created at created, with every field set (State and
// the activation times are the store's to set).
func newSigningKey(alg string, created time.Time) *gatehouse.SigningKey {
	h := randomHash()
	return &gatehouse.SigningKey{
		ID:         gatehouse.NewID(gatehouse.PrefixSigningKey, created, nil),
		Algorithm:  alg,
		PrivateKey: append([]byte{0x30, 0x82, 0x00}, h...),
		Sealed:     true,
		PublicJWK:  []byte(fmt.Sprintf(`{"kty":"EC","crv":"P-256","x":"%x","y":"%x"}`, h[:16], h[16:])),
		CreatedAt:  created,
	}
}

type signingKeyView struct {
	ID, Algorithm, State, PrivateKey string
	Sealed                           bool
	PublicJWK                        string
	CreatedAt, ActivatedAt           string
	RetiredAt                        string
}

func viewSigningKey(k *gatehouse.SigningKey) signingKeyView {
	return signingKeyView{
		ID: k.ID, Algorithm: k.Algorithm, State: k.State, PrivateKey: fmt.Sprintf("%x", k.PrivateKey),
		Sealed: k.Sealed, PublicJWK: string(k.PublicJWK), CreatedAt: stamp(k.CreatedAt),
		ActivatedAt: stampPtr(k.ActivatedAt), RetiredAt: stampPtr(k.RetiredAt),
	}
}

// withState returns a copy of k in state, activated at activated (nil: not activated).
func withState(k *gatehouse.SigningKey, state string, activated *time.Time) *gatehouse.SigningKey {
	c := *k
	c.State, c.ActivatedAt, c.RetiredAt = state, activated, nil
	c.CreatedAt = utc(c.CreatedAt)
	c.ActivatedAt = utcPtr(c.ActivatedAt)
	return &c
}

// checkPublished fails t unless the published keys are exactly want, in state order current,
// next, previous (as the stores document).
func checkPublished(t *testing.T, s gatehouse.Store, want ...*gatehouse.SigningKey) []gatehouse.SigningKey {
	t.Helper()
	got, err := s.PublishedSigningKeys(t.Context())
	if err != nil {
		t.Fatalf("PublishedSigningKeys: %v", err)
	}
	if got == nil {
		t.Errorf("PublishedSigningKeys = nil, want a non-nil slice")
	}
	if len(got) != len(want) {
		t.Fatalf("PublishedSigningKeys = %v, want %d keys", keyStates(got), len(want))
	}
	for i, w := range want {
		if g, wv := viewSigningKey(&got[i]), viewSigningKey(w); g != wv {
			t.Errorf("published key %d:\n got %+v\nwant %+v", i, g, wv)
		}
	}
	return got
}

// keyStates renders keys as id:state pairs.
func keyStates(ks []gatehouse.SigningKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID + ":" + k.State
	}
	return out
}

func mustInitSigningKeys(t *testing.T, s gatehouse.Store) (current, next *gatehouse.SigningKey) {
	t.Helper()
	current, next = newSigningKey("ES256", base), newSigningKey("RS256", base)
	ok, err := s.InitSigningKeys(t.Context(), current, next)
	if err != nil || !ok {
		t.Fatalf("InitSigningKeys = %v, %v; want true", ok, err)
	}
	return current, next
}

func testSigningKeysNoneAtFirst(t *testing.T, s gatehouse.Store) {
	checkPublished(t, s)
}

func testInitSigningKeys(t *testing.T, s gatehouse.Store) {
	zone := time.FixedZone("Z", -3600)
	cur, next := newSigningKey("ES256", base.In(zone)), newSigningKey("RS256", at(time.Second))
	cur.ActivatedAt = ptr(at(time.Minute).In(zone))         // kept for the current key
	next.ActivatedAt, next.RetiredAt = ptr(base), ptr(base) // ignored for a next key
	cur.State, next.State = "bogus", gatehouse.KeyStateRetired
	want := []*gatehouse.SigningKey{
		withState(cur, gatehouse.KeyStateCurrent, ptr(at(time.Minute))),
		withState(next, gatehouse.KeyStateNext, nil),
	}
	cases := []struct {
		name      string
		cur, next *gatehouse.SigningKey
		inserted  bool
	}{
		{"first start inserts the pair", cur, next, true},
		{"second start does nothing", newSigningKey("ES256", base), newSigningKey("ES256", base), false},
		{"same pair again does nothing", cur, next, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, err := s.InitSigningKeys(t.Context(), c.cur, c.next)
			if err != nil || ok != c.inserted {
				t.Fatalf("InitSigningKeys = %v, %v; want %v", ok, err, c.inserted)
			}
			if c.cur.State != gatehouse.KeyStateCurrent || c.next.State != gatehouse.KeyStateNext {
				t.Errorf("states = %q, %q; want current, next", c.cur.State, c.next.State)
			}
			checkPublished(t, s, want...)
		})
	}
}

func testInitSigningKeysDefaults(t *testing.T, s gatehouse.Store) {
	before := time.Now().Add(-time.Second)
	cur, next := newSigningKey("ES256", time.Time{}), newSigningKey("ES256", time.Time{})
	cur.ID, next.ID = "", ""
	ok, err := s.InitSigningKeys(t.Context(), cur, next)
	if err != nil || !ok {
		t.Fatalf("InitSigningKeys = %v, %v; want true", ok, err)
	}
	for _, k := range []*gatehouse.SigningKey{cur, next} {
		if !strings.HasPrefix(k.ID, gatehouse.PrefixSigningKey+"_") {
			t.Errorf("ID = %q, want prefix %s_", k.ID, gatehouse.PrefixSigningKey)
		}
		if k.CreatedAt.Before(before) || k.CreatedAt.After(time.Now().Add(time.Second)) {
			t.Errorf("CreatedAt = %v, want about now", k.CreatedAt)
		}
	}
	if cur.ID == next.ID {
		t.Errorf("both keys got ID %s", cur.ID)
	}
	checkPublished(t, s, withState(cur, gatehouse.KeyStateCurrent, &cur.CreatedAt), withState(next, gatehouse.KeyStateNext, nil))
}

func testInitSigningKeysErrors(t *testing.T, s gatehouse.Store) {
	cases := []struct {
		name string
		edit func(cur, next *gatehouse.SigningKey)
		code gatehouse.Code
	}{
		{"no algorithm", func(cur, _ *gatehouse.SigningKey) { cur.Algorithm = "" }, gatehouse.CodeInvalidRequest},
		{"no private key", func(_, next *gatehouse.SigningKey) { next.PrivateKey = nil }, gatehouse.CodeInvalidRequest},
		{"no public JWK", func(cur, _ *gatehouse.SigningKey) { cur.PublicJWK = []byte{} }, gatehouse.CodeInvalidRequest},
		{"same ID twice", func(cur, next *gatehouse.SigningKey) { next.ID = cur.ID }, gatehouse.CodeConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cur, next := newSigningKey("ES256", base), newSigningKey("ES256", base)
			c.edit(cur, next)
			ok, err := s.InitSigningKeys(t.Context(), cur, next)
			if ok {
				t.Errorf("InitSigningKeys reported true")
			}
			wantCode(t, "InitSigningKeys", err, c.code)
			noLeak(t, err)
			checkPublished(t, s) // nothing half-inserted
		})
	}
	// A nil key is refused too.
	ok, err := s.InitSigningKeys(t.Context(), newSigningKey("ES256", base), nil)
	if ok {
		t.Errorf("InitSigningKeys with a nil next key reported true")
	}
	wantCode(t, "InitSigningKeys with a nil next key", err, gatehouse.CodeInvalidRequest)
}

func testRotateSigningKeys(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	k0, k1 := mustInitSigningKeys(t, s)
	keys := []*gatehouse.SigningKey{k0, k1}
	activated := []*time.Time{ptr(base), nil}
	cases := []struct {
		name   string
		expect func() string // expectCurrent, given the keys so far
	}{
		{"first rotation, conditional", func() string { return keys[len(keys)-2].ID }},
		{"second rotation retires the first key", func() string { return "" }},
		{"third rotation, conditional", func() string { return keys[len(keys)-2].ID }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			when := at(time.Duration(i+1) * 24 * time.Hour).In(time.FixedZone("W", 3*3600))
			next := newSigningKey("ES256", time.Time{}) // CreatedAt defaults to when
			next.State, next.ActivatedAt = gatehouse.KeyStateCurrent, ptr(base)
			if err := s.RotateSigningKeys(ctx, c.expect(), next, when); err != nil {
				t.Fatalf("RotateSigningKeys: %v", err)
			}
			if !next.CreatedAt.Equal(when) || next.State != gatehouse.KeyStateNext {
				t.Errorf("next: CreatedAt %v, State %q; want %v, next", next.CreatedAt, next.State, when)
			}
			n := len(keys)
			keys = append(keys, next)
			activated[n-1] = ptr(utc(when))
			activated = append(activated, nil)
			checkPublished(t, s,
				withState(keys[n-1], gatehouse.KeyStateCurrent, activated[n-1]),
				withState(keys[n], gatehouse.KeyStateNext, nil),
				withState(keys[n-2], gatehouse.KeyStatePrevious, activated[n-2]))
		})
	}
}

func testRotateSigningKeysErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	err := s.RotateSigningKeys(ctx, "", newSigningKey("ES256", base), base)
	wantNotFound(t, "RotateSigningKeys before InitSigningKeys", err)
	noLeak(t, err)
	checkPublished(t, s)

	cur, next := mustInitSigningKeys(t, s)
	cases := []struct {
		name   string
		expect string
		edit   func(k *gatehouse.SigningKey)
		code   gatehouse.Code
	}{
		{"expected current is stale", next.ID, func(*gatehouse.SigningKey) {}, gatehouse.CodeConflict},
		{"expected current is unknown", "sig_unknown", func(*gatehouse.SigningKey) {}, gatehouse.CodeConflict},
		{"new key's ID taken", cur.ID, func(k *gatehouse.SigningKey) { k.ID = next.ID }, gatehouse.CodeConflict},
		{"new key without algorithm", cur.ID, func(k *gatehouse.SigningKey) { k.Algorithm = "" }, gatehouse.CodeInvalidRequest},
		{"new key without private key", "", func(k *gatehouse.SigningKey) { k.PrivateKey = nil }, gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newSigningKey("ES256", at(time.Hour))
			c.edit(k)
			err := s.RotateSigningKeys(ctx, c.expect, k, at(time.Hour))
			wantCode(t, "RotateSigningKeys", err, c.code)
			noLeak(t, err)
			// Nothing changed.
			checkPublished(t, s, withState(cur, gatehouse.KeyStateCurrent, ptr(base)), withState(next, gatehouse.KeyStateNext, nil))
		})
	}
	if err := s.RotateSigningKeys(ctx, "", nil, at(time.Hour)); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidRequest {
		t.Errorf("RotateSigningKeys with a nil key: %v, want CodeInvalidRequest", err)
	}
}

// checkConcurrentInits runs n first starts on a and b at once: exactly one Init reports true,
// and its pair (one current, one next key) is what both stores publish.
func checkConcurrentInits(t *testing.T, a, b gatehouse.Store) {
	const n = 10
	var won, lost atomic.Int32
	pairs := make([][2]*gatehouse.SigningKey, n)
	winners := make([]bool, n)
	parallel(n, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		cur, next := newSigningKey("ES256", base), newSigningKey("ES256", base)
		pairs[i] = [2]*gatehouse.SigningKey{cur, next}
		ok, err := s.InitSigningKeys(t.Context(), cur, next)
		switch {
		case err != nil:
			t.Errorf("InitSigningKeys %d: %v", i, err)
		case ok:
			won.Add(1)
			winners[i] = true
		default:
			lost.Add(1)
		}
	})
	if won.Load() != 1 || lost.Load() != n-1 {
		t.Fatalf("%d first starts inserted keys, %d did not; want 1 and %d", won.Load(), lost.Load(), n-1)
	}
	var pair [2]*gatehouse.SigningKey
	for i, p := range pairs {
		if winners[i] {
			pair = p
		}
	}
	want := []*gatehouse.SigningKey{
		withState(pair[0], gatehouse.KeyStateCurrent, ptr(base)),
		withState(pair[1], gatehouse.KeyStateNext, nil),
	}
	checkPublished(t, a, want...)
	checkPublished(t, b, want...)
}

// checkConcurrentRotations runs conditional rotations expecting the same current key on a and
// b at once: exactly one rotates; the others get CodeConflict.
func checkConcurrentRotations(t *testing.T, a, b gatehouse.Store) {
	cur, next := mustInitSigningKeys(t, a)
	const n = 10
	var rotated, conflicts atomic.Int32
	var winner atomic.Pointer[gatehouse.SigningKey]
	when := at(time.Hour)
	parallel(n, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		k := newSigningKey("ES256", when)
		err := s.RotateSigningKeys(t.Context(), cur.ID, k, when)
		switch {
		case err == nil:
			rotated.Add(1)
			winner.Store(k)
		case gatehouse.ErrorCode(err) == gatehouse.CodeConflict:
			conflicts.Add(1)
		default:
			t.Errorf("RotateSigningKeys %d: %v", i, err)
		}
	})
	if rotated.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("%d rotations succeeded, %d conflicted; want 1 and %d", rotated.Load(), conflicts.Load(), n-1)
	}
	checkPublished(t, b,
		withState(next, gatehouse.KeyStateCurrent, ptr(when)),
		withState(winner.Load(), gatehouse.KeyStateNext, nil),
		withState(cur, gatehouse.KeyStatePrevious, ptr(base)))
}
