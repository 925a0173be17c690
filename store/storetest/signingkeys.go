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
		{"InitAddsAlgorithm", testInitSigningKeysAddsAlgorithm},
		{"Rotate", testRotateSigningKeys},
		{"RotateEachAlgorithm", testRotateSigningKeysEachAlgorithm},
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

// mustInitSigningKeys publishes a current and a next key of alg.
func mustInitSigningKeys(t *testing.T, s gatehouse.Store, alg string) (current, next *gatehouse.SigningKey) {
	t.Helper()
	current, next = newSigningKey(alg, base), newSigningKey(alg, base)
	ok, err := s.InitSigningKeys(t.Context(), current, next)
	if err != nil || !ok {
		t.Fatalf("InitSigningKeys(%s) = %v, %v; want true", alg, ok, err)
	}
	return current, next
}

func testSigningKeysNoneAtFirst(t *testing.T, s gatehouse.Store) {
	checkPublished(t, s)
}

func testInitSigningKeys(t *testing.T, s gatehouse.Store) {
	zone := time.FixedZone("Z", -3600)
	cur, next := newSigningKey("RS256", base.In(zone)), newSigningKey("RS256", at(time.Second))
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
		{"second start does nothing", newSigningKey("RS256", base), newSigningKey("RS256", base), false},
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

// testInitSigningKeysAddsAlgorithm: a database with keys of one algorithm gains a pair of
// another (an upgrade that adds ES256 to RS256 keys), once.
func testInitSigningKeysAddsAlgorithm(t *testing.T, s gatehouse.Store) {
	rsCur, rsNext := mustInitSigningKeys(t, s, "RS256")
	esCur, esNext := newSigningKey("ES256", at(time.Hour)), newSigningKey("ES256", at(time.Hour))
	want := []*gatehouse.SigningKey{
		withState(esCur, gatehouse.KeyStateCurrent, ptr(at(time.Hour))),
		withState(rsCur, gatehouse.KeyStateCurrent, ptr(base)),
		withState(esNext, gatehouse.KeyStateNext, nil),
		withState(rsNext, gatehouse.KeyStateNext, nil),
	}
	cases := []struct {
		name      string
		cur, next *gatehouse.SigningKey
		inserted  bool
	}{
		{"a missing algorithm is added", esCur, esNext, true},
		{"the added algorithm again does nothing", newSigningKey("ES256", base), newSigningKey("ES256", base), false},
		{"the first algorithm again does nothing", newSigningKey("RS256", base), newSigningKey("RS256", base), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, err := s.InitSigningKeys(t.Context(), c.cur, c.next)
			if err != nil || ok != c.inserted {
				t.Fatalf("InitSigningKeys = %v, %v; want %v", ok, err, c.inserted)
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
		{"two algorithms", func(_, next *gatehouse.SigningKey) { next.Algorithm = "RS256" }, gatehouse.CodeInvalidRequest},
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

// testRotateSigningKeys rotates the keys of two algorithms together, three times.
func testRotateSigningKeys(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	es0, es1 := mustInitSigningKeys(t, s, "ES256")
	rs0, rs1 := mustInitSigningKeys(t, s, "RS256")
	es, rs := []*gatehouse.SigningKey{es0, es1}, []*gatehouse.SigningKey{rs0, rs1}
	activated := []*time.Time{ptr(base), nil}
	current := func() []string { return []string{es[len(es)-2].ID, rs[len(rs)-2].ID} }
	cases := []struct {
		name   string
		expect func() []string // expectCurrent, given the keys so far
	}{
		{"first rotation, conditional", current},
		{"second rotation retires the first keys", func() []string { return nil }},
		{"third rotation, conditional on one key", func() []string { return current()[1:] }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			when := at(time.Duration(i+1) * 24 * time.Hour).In(time.FixedZone("W", 3*3600))
			nextES, nextRS := newSigningKey("ES256", time.Time{}), newSigningKey("RS256", time.Time{}) // CreatedAt defaults to when
			nextES.State, nextES.ActivatedAt = gatehouse.KeyStateCurrent, ptr(base)
			if err := s.RotateSigningKeys(ctx, c.expect(), []*gatehouse.SigningKey{nextRS, nextES}, when); err != nil {
				t.Fatalf("RotateSigningKeys: %v", err)
			}
			for _, k := range []*gatehouse.SigningKey{nextES, nextRS} {
				if !k.CreatedAt.Equal(when) || k.State != gatehouse.KeyStateNext {
					t.Errorf("next: CreatedAt %v, State %q; want %v, next", k.CreatedAt, k.State, when)
				}
			}
			n := len(es)
			es, rs = append(es, nextES), append(rs, nextRS)
			activated[n-1] = ptr(utc(when))
			activated = append(activated, nil)
			checkPublished(t, s,
				withState(es[n-1], gatehouse.KeyStateCurrent, activated[n-1]),
				withState(rs[n-1], gatehouse.KeyStateCurrent, activated[n-1]),
				withState(es[n], gatehouse.KeyStateNext, nil),
				withState(rs[n], gatehouse.KeyStateNext, nil),
				withState(es[n-2], gatehouse.KeyStatePrevious, activated[n-2]),
				withState(rs[n-2], gatehouse.KeyStatePrevious, activated[n-2]))
		})
	}
}

// testRotateSigningKeysEachAlgorithm: a rotation of one algorithm leaves the other's keys alone.
func testRotateSigningKeysEachAlgorithm(t *testing.T, s gatehouse.Store) {
	esCur, esNext := mustInitSigningKeys(t, s, "ES256")
	rsCur, rsNext := mustInitSigningKeys(t, s, "RS256")
	k := newSigningKey("RS256", at(time.Hour))
	if err := s.RotateSigningKeys(t.Context(), []string{rsCur.ID}, []*gatehouse.SigningKey{k}, at(time.Hour)); err != nil {
		t.Fatalf("RotateSigningKeys: %v", err)
	}
	checkPublished(t, s,
		withState(esCur, gatehouse.KeyStateCurrent, ptr(base)),
		withState(rsNext, gatehouse.KeyStateCurrent, ptr(at(time.Hour))),
		withState(esNext, gatehouse.KeyStateNext, nil),
		withState(k, gatehouse.KeyStateNext, nil),
		withState(rsCur, gatehouse.KeyStatePrevious, ptr(base)))
}

func testRotateSigningKeysErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	err := s.RotateSigningKeys(ctx, nil, []*gatehouse.SigningKey{newSigningKey("ES256", base)}, base)
	wantNotFound(t, "RotateSigningKeys before InitSigningKeys", err)
	noLeak(t, err)
	checkPublished(t, s)

	cur, next := mustInitSigningKeys(t, s, "ES256")
	one := func(edit func(k *gatehouse.SigningKey)) func() []*gatehouse.SigningKey {
		return func() []*gatehouse.SigningKey {
			k := newSigningKey("ES256", at(time.Hour))
			edit(k)
			return []*gatehouse.SigningKey{k}
		}
	}
	keep := func(*gatehouse.SigningKey) {}
	cases := []struct {
		name   string
		expect []string
		next   func() []*gatehouse.SigningKey
		code   gatehouse.Code
	}{
		{"expected current is stale", []string{next.ID}, one(keep), gatehouse.CodeConflict},
		{"expected current is unknown", []string{"sig_unknown"}, one(keep), gatehouse.CodeConflict},
		{"one expected current of two is stale", []string{cur.ID, next.ID}, one(keep), gatehouse.CodeConflict},
		{"new key's ID taken", []string{cur.ID}, one(func(k *gatehouse.SigningKey) { k.ID = next.ID }), gatehouse.CodeConflict},
		{"new key without algorithm", []string{cur.ID}, one(func(k *gatehouse.SigningKey) { k.Algorithm = "" }), gatehouse.CodeInvalidRequest},
		{"new key without private key", nil, one(func(k *gatehouse.SigningKey) { k.PrivateKey = nil }), gatehouse.CodeInvalidRequest},
		{"an algorithm without keys", nil, func() []*gatehouse.SigningKey {
			return []*gatehouse.SigningKey{newSigningKey("ES256", at(time.Hour)), newSigningKey("RS256", at(time.Hour))}
		}, gatehouse.CodeNotFound},
		{"two new keys of one algorithm", nil, func() []*gatehouse.SigningKey {
			return []*gatehouse.SigningKey{newSigningKey("ES256", at(time.Hour)), newSigningKey("ES256", at(time.Hour))}
		}, gatehouse.CodeInvalidRequest},
		{"no new key", nil, func() []*gatehouse.SigningKey { return nil }, gatehouse.CodeInvalidRequest},
		{"a nil new key", nil, func() []*gatehouse.SigningKey { return []*gatehouse.SigningKey{nil} }, gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.RotateSigningKeys(ctx, c.expect, c.next(), at(time.Hour))
			wantCode(t, "RotateSigningKeys", err, c.code)
			noLeak(t, err)
			// Nothing changed.
			checkPublished(t, s, withState(cur, gatehouse.KeyStateCurrent, ptr(base)), withState(next, gatehouse.KeyStateNext, nil))
		})
	}
}

// checkConcurrentInits runs n first starts on a and b at once, each initialising ES256 then
// RS256 (or the other way round): exactly one Init of each algorithm reports true, and its pair
// (one current, one next key) is what both stores publish.
func checkConcurrentInits(t *testing.T, a, b gatehouse.Store) {
	const n = 10
	algs := []string{"ES256", "RS256"}
	var won [2]atomic.Int32
	pairs := make([][2][2]*gatehouse.SigningKey, n)
	winners := make([][2]bool, n)
	parallel(n, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		for j := range algs {
			j = (j + i/2) % 2 // half of the starts begin with RS256
			cur, next := newSigningKey(algs[j], base), newSigningKey(algs[j], base)
			pairs[i][j] = [2]*gatehouse.SigningKey{cur, next}
			ok, err := s.InitSigningKeys(t.Context(), cur, next)
			switch {
			case err != nil:
				t.Errorf("InitSigningKeys %d %s: %v", i, algs[j], err)
			case ok:
				won[j].Add(1)
				winners[i][j] = true
			}
		}
	})
	var want []*gatehouse.SigningKey
	var nexts []*gatehouse.SigningKey
	for j, alg := range algs {
		if won[j].Load() != 1 {
			t.Fatalf("%d first starts inserted %s keys, want 1", won[j].Load(), alg)
		}
		for i := range pairs {
			if winners[i][j] {
				want = append(want, withState(pairs[i][j][0], gatehouse.KeyStateCurrent, ptr(base)))
				nexts = append(nexts, withState(pairs[i][j][1], gatehouse.KeyStateNext, nil))
			}
		}
	}
	want = append(want, nexts...)
	checkPublished(t, a, want...)
	checkPublished(t, b, want...)
}

// checkConcurrentRotations runs conditional rotations of both algorithms expecting the same
// current keys on a and b at once: exactly one rotates; the others get CodeConflict.
func checkConcurrentRotations(t *testing.T, a, b gatehouse.Store) {
	esCur, esNext := mustInitSigningKeys(t, a, "ES256")
	rsCur, rsNext := mustInitSigningKeys(t, a, "RS256")
	const n = 10
	var rotated, conflicts atomic.Int32
	var winner atomic.Pointer[[2]*gatehouse.SigningKey]
	when := at(time.Hour)
	parallel(n, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		ks := [2]*gatehouse.SigningKey{newSigningKey("ES256", when), newSigningKey("RS256", when)}
		err := s.RotateSigningKeys(t.Context(), []string{esCur.ID, rsCur.ID}, ks[:], when)
		switch {
		case err == nil:
			rotated.Add(1)
			winner.Store(&ks)
		case gatehouse.ErrorCode(err) == gatehouse.CodeConflict:
			conflicts.Add(1)
		default:
			t.Errorf("RotateSigningKeys %d: %v", i, err)
		}
	})
	if rotated.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("%d rotations succeeded, %d conflicted; want 1 and %d", rotated.Load(), conflicts.Load(), n-1)
	}
	w := winner.Load()
	checkPublished(t, b,
		withState(esNext, gatehouse.KeyStateCurrent, ptr(when)),
		withState(rsNext, gatehouse.KeyStateCurrent, ptr(when)),
		withState(w[0], gatehouse.KeyStateNext, nil),
		withState(w[1], gatehouse.KeyStateNext, nil),
		withState(esCur, gatehouse.KeyStatePrevious, ptr(base)),
		withState(rsCur, gatehouse.KeyStatePrevious, ptr(base)))
}
