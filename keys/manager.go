package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
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
	// Algorithm of generated keys; "" means DefaultAlgorithm.
	Algorithm string
	Now       func() time.Time // nil: time.Now
	Logger    *slog.Logger     // nil: slog.Default()
}

// Manager keeps the published signing keys of one instance: it initialises them on first start,
// hands out the current signer and the JWKS document (both cached, reloaded every ReloadEvery
// and after a rotation by this process) and rotates them. It is safe for concurrent use; many
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
	current  gatehouse.SigningKey
	signer   crypto.Signer
	jwks     []byte
}

// Rotation reports the keys after a rotation.
type Rotation struct {
	Current string // the kid that now signs
	Next    string // the kid published ahead of use
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
	if opts.Algorithm == "" {
		opts.Algorithm = DefaultAlgorithm
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

// Init creates the first current and next keys when none are published (first start; concurrent
// first starts create one pair), then loads the set and checks that the current key opens: a
// sealed key with a missing or different GATEHOUSE_SECRET_KEY is an error wrapping ErrSecretKey.
func (m *Manager) Init(ctx context.Context) error {
	if !m.sealer.enabled() {
		m.opts.Logger.Warn("GATEHOUSE_SECRET_KEY is not set: token signing keys are stored unencrypted")
	}
	published, err := m.store.PublishedSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	if len(published) == 0 {
		now := m.opts.Now()
		current, _, err := generate(m.sealer, m.opts.Algorithm, gatehouse.KeyStateCurrent, now)
		if err != nil {
			return err
		}
		current.ActivatedAt = &now
		next, _, err := generate(m.sealer, m.opts.Algorithm, gatehouse.KeyStateNext, now)
		if err != nil {
			return err
		}
		created, err := m.store.InitSigningKeys(ctx, current, next)
		if err != nil {
			return fmt.Errorf("create the first signing keys: %w", err)
		}
		if created {
			m.opts.Logger.Info("created the first signing keys", "current", current.ID, "next", next.ID, "alg", m.opts.Algorithm)
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

// Signer returns the current key: its kid, the private key and its JWA algorithm.
func (m *Manager) Signer(ctx context.Context) (kid string, key crypto.Signer, alg string, err error) {
	set, err := m.set(ctx)
	if err != nil {
		return "", nil, "", err
	}
	return set.current.ID, set.signer, set.current.Algorithm, nil
}

// JWKS returns the published public keys as a JWK Set document: {"keys":[current, next,
// previous]}.
func (m *Manager) JWKS(ctx context.Context) ([]byte, error) {
	set, err := m.set(ctx)
	if err != nil {
		return nil, err
	}
	return set.jwks, nil
}

// Rotate rotates unconditionally (the operator's command): next becomes current, current
// previous, previous retired, and a new next key is published.
func (m *Manager) Rotate(ctx context.Context) (Rotation, error) {
	return m.rotate(ctx, "")
}

// RotateIfDue rotates when the current key has been current for the rotation period (never when
// the period is 0) and reports whether this call rotated. When another instance rotated first it
// reports false without error.
func (m *Manager) RotateIfDue(ctx context.Context) (bool, error) {
	if m.opts.RotationPeriod <= 0 {
		return false, nil
	}
	published, err := m.store.PublishedSigningKeys(ctx)
	if err != nil {
		return false, fmt.Errorf("read signing keys: %w", err)
	}
	current, ok := find(published, gatehouse.KeyStateCurrent)
	if !ok {
		return false, errors.New("no current signing key is published")
	}
	since := current.CreatedAt
	if current.ActivatedAt != nil {
		since = *current.ActivatedAt
	}
	if m.opts.Now().Before(since.Add(m.opts.RotationPeriod)) {
		return false, nil
	}
	_, err = m.rotate(ctx, current.ID)
	if gatehouse.ErrorCode(err) == gatehouse.CodeConflict {
		m.expire() // another instance rotated: load its set on next use
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

func (m *Manager) rotate(ctx context.Context, expectCurrent string) (Rotation, error) {
	now := m.opts.Now()
	next, _, err := generate(m.sealer, m.opts.Algorithm, gatehouse.KeyStateNext, now)
	if err != nil {
		return Rotation{}, err
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
	m.opts.Logger.Info("rotated signing keys", "current", set.current.ID, "next", next.ID)
	return Rotation{Current: set.current.ID, Next: next.ID}, nil
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

// load reads the published keys and opens the current one. An unchanged current key reuses the
// parsed signer of the cached set.
func (m *Manager) load(ctx context.Context) (*keySet, error) {
	published, err := m.store.PublishedSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("read signing keys: %w", err)
	}
	current, ok := find(published, gatehouse.KeyStateCurrent)
	if !ok {
		return nil, errors.New("no current signing key is published (run the server once to create one)")
	}
	s := &keySet{loadedAt: m.opts.Now(), current: current}
	if old := m.cached.Load(); old != nil && old.current.ID == current.ID {
		s.signer = old.signer
	} else if s.signer, err = privateKey(m.sealer, &current); err != nil {
		return nil, err
	}
	doc := []byte(`{"keys":[`)
	n := 0
	for _, state := range []string{gatehouse.KeyStateCurrent, gatehouse.KeyStateNext, gatehouse.KeyStatePrevious} {
		for _, k := range published {
			if k.State != state {
				continue
			}
			if n > 0 {
				doc = append(doc, ',')
			}
			doc = append(doc, k.PublicJWK...)
			n++
		}
	}
	s.jwks = append(doc, "]}"...)
	return s, nil
}

func find(keys []gatehouse.SigningKey, state string) (gatehouse.SigningKey, bool) {
	for _, k := range keys {
		if k.State == state {
			return k, true
		}
	}
	return gatehouse.SigningKey{}, false
}
