package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// DefaultReloadEvery is how long a Manager serves its cached key set before reading the
// published keys again (so that a rotation by another instance or by the CLI is seen).
const DefaultReloadEvery = 30 * time.Second

// Options configure a Manager.
type Options struct {
	// SecretKey is GATEHOUSE_SECRET_KEY; empty: new private keys are stored unencrypted.
	SecretKey string
	// RotationPeriod is how long a key stays current before RotateIfDue rotates; 0: never.
	RotationPeriod time.Duration
	// ReloadEvery is how long the cached key set is served; 0 means DefaultReloadEvery.
	ReloadEvery time.Duration
	Now         func() time.Time // nil: time.Now
	Logger      *slog.Logger     // nil: slog.Default()
}

// Manager keeps the published signing keys of one instance: for each of Algorithms a next, a
// current and a previous key. It initialises them on first start (and adds the keys of an
// algorithm a database does not have yet), hands out the current signer of an algorithm and the
// JWKS document (both cached, reloaded every ReloadEvery and after a rotation by this process)
// and rotates the keys of all algorithms together. It is safe for concurrent use; many
// instances may share one store.
type Manager struct {
	store  gatehouse.SigningKeyStore
	sealer sealer
	opts   Options

	cached   atomic.Pointer[keySet]
	reloadMu sync.Mutex // one reload at a time
}

// keySet is one loaded view of the published keys.
type keySet struct {
	loadedAt time.Time
	signers  map[string]currentKey   // by algorithm
	public   map[string]publishedKey // by kid: every published key
	jwks     []byte
}

// currentKey is the current key of one algorithm, opened.
type currentKey struct {
	kid    string
	signer crypto.Signer
}

// publishedKey is the public half of a published key as its JWK says (err: the JWK does not
// decode).
type publishedKey struct {
	key crypto.PublicKey
	alg string
	err error
}

// Rotation reports the keys after a rotation, by algorithm.
type Rotation struct {
	Current map[string]string // the kid that now signs
	Next    map[string]string // the kid published ahead of use
}

// New returns a Manager over store. It fails only when the secret key cannot be used.
func New(store gatehouse.SigningKeyStore, opts Options) (*Manager, error) {
	s, err := newSealer(opts.SecretKey)
	if err != nil {
		return nil, err
	}
	if opts.ReloadEvery <= 0 {
		opts.ReloadEvery = DefaultReloadEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.SecretKey = "" // not kept beyond the derived cipher
	return &Manager{store: store, sealer: s, opts: opts}, nil
}

// Init creates a current and a next key of each algorithm that has no published key (the first
// start, or the first start of a version that added the algorithm; concurrent starts create one
// pair per algorithm), then loads the set and checks that every published key opens: a sealed
// key with a missing or different GATEHOUSE_SECRET_KEY is an error wrapping ErrSecretKey.
func (m *Manager) Init(ctx context.Context) error {
	if !m.sealer.enabled() {
		m.opts.Logger.Warn("GATEHOUSE_SECRET_KEY is not set: token signing keys are stored unencrypted")
	}
	published, err := m.store.PublishedSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	for _, alg := range Algorithms {
		if slices.ContainsFunc(published, func(k gatehouse.SigningKey) bool { return k.Algorithm == alg }) {
			continue
		}
		if err := m.initAlgorithm(ctx, alg); err != nil {
			return err
		}
	}
	set, err := m.load(ctx)
	if err != nil {
		return err
	}
	// Every published key must open now, not when it becomes current weeks later.
	published, err = m.store.PublishedSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	unsealed := 0
	for i := range published {
		if _, err := privateKey(m.sealer, &published[i]); err != nil {
			return err
		}
		if !published[i].Sealed {
			unsealed++
		}
	}
	if m.sealer.enabled() && unsealed > 0 {
		m.opts.Logger.Warn("some published signing keys were stored before GATEHOUSE_SECRET_KEY was set and are not encrypted; they are replaced as they rotate out (`gatehouse signing-keys rotate` speeds this up)", "unencrypted", unsealed)
	}
	m.cached.Store(set)
	return nil
}

// initAlgorithm publishes a first current and next key of alg unless another instance did.
func (m *Manager) initAlgorithm(ctx context.Context, alg string) error {
	now := m.opts.Now()
	current, _, err := generate(m.sealer, alg, gatehouse.KeyStateCurrent, now)
	if err != nil {
		return err
	}
	current.ActivatedAt = &now
	next, _, err := generate(m.sealer, alg, gatehouse.KeyStateNext, now)
	if err != nil {
		return err
	}
	created, err := m.store.InitSigningKeys(ctx, current, next)
	if err != nil {
		return fmt.Errorf("create the first %s signing keys: %w", alg, err)
	}
	if created {
		m.opts.Logger.Info("created the first signing keys", "alg", alg, "current", current.ID, "next", next.ID)
	}
	return nil
}

// Signer returns the current key of alg (RS256 or ES256): its kid, the private key and alg.
func (m *Manager) Signer(ctx context.Context, alg string) (kid string, key crypto.Signer, algorithm string, err error) {
	set, err := m.set(ctx)
	if err != nil {
		return "", nil, "", err
	}
	cur, ok := set.signers[alg]
	if !ok {
		return "", nil, "", fmt.Errorf("keys: no current %q signing key", alg)
	}
	return cur.kid, cur.signer, alg, nil
}

// JWKS returns the published public keys as a JWK Set document: {"keys":[the current keys,
// the next ones, the previous ones]}, each JWK with its kid and alg.
func (m *Manager) JWKS(ctx context.Context) ([]byte, error) {
	set, err := m.set(ctx)
	if err != nil {
		return nil, err
	}
	return set.jwks, nil
}

// Rotate rotates the keys of every algorithm unconditionally (the operator's command), in one
// transaction: next becomes current, current previous, previous retired, and a new next key is
// published.
func (m *Manager) Rotate(ctx context.Context) (Rotation, error) {
	return m.rotate(ctx, nil)
}

// RotateIfDue rotates when the current keys have been current for the rotation period (counted
// from the earliest activation among them; never when the period is 0) and reports whether this
// call rotated. When another instance rotated first it reports false without error.
func (m *Manager) RotateIfDue(ctx context.Context) (bool, error) {
	if m.opts.RotationPeriod <= 0 {
		return false, nil
	}
	published, err := m.store.PublishedSigningKeys(ctx)
	if err != nil {
		return false, fmt.Errorf("read signing keys: %w", err)
	}
	var expect []string
	var since time.Time
	for _, alg := range Algorithms {
		current, ok := find(published, alg, gatehouse.KeyStateCurrent)
		if !ok {
			return false, fmt.Errorf("no current %s signing key is published", alg)
		}
		activated := current.CreatedAt
		if current.ActivatedAt != nil {
			activated = *current.ActivatedAt
		}
		if since.IsZero() || activated.Before(since) {
			since = activated
		}
		expect = append(expect, current.ID)
	}
	if m.opts.Now().Before(since.Add(m.opts.RotationPeriod)) {
		return false, nil
	}
	_, err = m.rotate(ctx, expect)
	if gatehouse.ErrorCode(err) == gatehouse.CodeConflict {
		m.expire() // another instance rotated: load its set on next use
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

func (m *Manager) rotate(ctx context.Context, expectCurrent []string) (Rotation, error) {
	now := m.opts.Now()
	next := make([]*gatehouse.SigningKey, 0, len(Algorithms))
	for _, alg := range Algorithms {
		k, _, err := generate(m.sealer, alg, gatehouse.KeyStateNext, now)
		if err != nil {
			return Rotation{}, err
		}
		next = append(next, k)
	}
	if err := m.store.RotateSigningKeys(ctx, expectCurrent, next, now); err != nil {
		if errors.Is(err, gatehouse.ErrNotFound) {
			return Rotation{}, fmt.Errorf("rotate signing keys: none are published yet (start the server once first): %w", err)
		}
		return Rotation{}, fmt.Errorf("rotate signing keys: %w", err)
	}
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	set, err := m.load(ctx)
	if err != nil {
		m.expire()
		return Rotation{}, err
	}
	m.cached.Store(set)
	rot := Rotation{Current: map[string]string{}, Next: map[string]string{}}
	for _, k := range next {
		rot.Current[k.Algorithm], rot.Next[k.Algorithm] = set.signers[k.Algorithm].kid, k.ID
	}
	m.opts.Logger.Info("rotated signing keys", "current", rot.Current, "next", rot.Next)
	return rot, nil
}

// set returns the cached key set, reloading it when it is older than ReloadEvery. When a reload
// fails but a set is cached, the cached one is served (its keys are still published) and the
// failure is logged.
func (m *Manager) set(ctx context.Context) (*keySet, error) {
	if s := m.cached.Load(); s != nil && m.fresh(s) {
		return s, nil
	}
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	old := m.cached.Load()
	if old != nil && m.fresh(old) {
		return old, nil
	}
	s, err := m.load(ctx)
	if err != nil {
		if old != nil && !errors.Is(err, ErrSecretKey) {
			m.opts.Logger.WarnContext(ctx, "reloading signing keys failed; serving the cached set", "err", err)
			return old, nil
		}
		return nil, err
	}
	m.cached.Store(s)
	return s, nil
}

// expire makes the cached set stale, so that the next use reloads it (and still falls back to
// it when the reload fails).
func (m *Manager) expire() {
	if s := m.cached.Load(); s != nil {
		stale := *s
		stale.loadedAt = time.Time{}
		m.cached.CompareAndSwap(s, &stale)
	}
}

func (m *Manager) fresh(s *keySet) bool {
	return m.opts.Now().Sub(s.loadedAt) < m.opts.ReloadEvery
}

// load reads the published keys and opens the current key of each algorithm. An unchanged
// current key reuses the parsed signer of the cached set.
func (m *Manager) load(ctx context.Context) (*keySet, error) {
	published, err := m.store.PublishedSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("read signing keys: %w", err)
	}
	s := &keySet{
		loadedAt: m.opts.Now(),
		signers:  make(map[string]currentKey, len(Algorithms)),
		public:   make(map[string]publishedKey, len(published)),
	}
	old := m.cached.Load()
	for _, alg := range Algorithms {
		current, ok := find(published, alg, gatehouse.KeyStateCurrent)
		if !ok {
			return nil, fmt.Errorf("no current %s signing key is published (run the server once to create one)", alg)
		}
		cur := currentKey{kid: current.ID}
		if prev, ok := old.signer(alg); ok && prev.kid == current.ID {
			cur.signer = prev.signer
		} else if cur.signer, err = privateKey(m.sealer, &current); err != nil {
			return nil, err
		}
		s.signers[alg] = cur
	}
	doc := []byte(`{"keys":[`)
	for i, k := range published { // current, next, previous (the store's order)
		if i > 0 {
			doc = append(doc, ',')
		}
		doc = append(doc, k.PublicJWK...)
		s.public[k.ID] = decodePublished(k.PublicJWK)
	}
	s.jwks = append(doc, "]}"...)
	return s, nil
}

// signer returns the current key of alg in s (nil s: none).
func (s *keySet) signer(alg string) (currentKey, bool) {
	if s == nil {
		return currentKey{}, false
	}
	k, ok := s.signers[alg]
	return k, ok
}

func find(keys []gatehouse.SigningKey, alg, state string) (gatehouse.SigningKey, bool) {
	for _, k := range keys {
		if k.Algorithm == alg && k.State == state {
			return k, true
		}
	}
	return gatehouse.SigningKey{}, false
}
