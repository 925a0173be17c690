package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse"
	"golang.org/x/crypto/argon2"
)

// ErrBusy is returned when the Hasher sheds a call: too many callers are waiting, the wait
// exceeded MaxWait, or the caller's context ended first. The HTTP layer answers it with 503 and
// Retry-After. Match it with errors.Is.
var ErrBusy = &gatehouse.Error{
	Code:       gatehouse.CodeUnavailable,
	Message:    "The server is busy; try again shortly.",
	RetryAfter: time.Second,
}

// HasherOptions bound the work of a Hasher. Zero values take the defaults.
type HasherOptions struct {
	// Workers is the most argon2 computations that run at once; default runtime.NumCPU().
	Workers int
	// MaxQueue is the most callers that wait for a worker; beyond it calls fail at once with
	// ErrBusy. Default 4*Workers; negative means no waiting at all.
	MaxQueue int
	// MaxWait is the longest a caller waits for a worker before ErrBusy; default 2s.
	MaxWait time.Duration
}

// HasherStats is a snapshot for metrics.
type HasherStats struct {
	Running  int    // argon2 computations in progress
	Waiting  int    // callers queued for a worker
	Rejected uint64 // calls shed with ErrBusy since the Hasher was made
}

// Hasher hashes and verifies passwords with argon2id under a bounded worker limit. It is safe for
// concurrent use. Memory used by hashing is at most Workers × Params.Memory KiB.
type Hasher struct {
	params   Params
	slots    chan struct{} // a token per running computation
	maxQueue int64
	maxWait  time.Duration
	dummy    string // PHC string VerifyDummy verifies against

	running  atomic.Int64
	waiting  atomic.Int64
	rejected atomic.Uint64

	hooks hasherHooks // tests only
}

// hasherHooks let the tests hold a caller at a known point; nil in production.
type hasherHooks struct {
	queued  func() // a caller joined the queue
	running func() // a caller got a worker, before it hashes
}

// NewHasher returns a Hasher that makes hashes with p. A zero Params means DefaultParams. It
// panics if p is invalid (see Params.Validate): parameters are set by code, not by end users.
func NewHasher(p Params, opts HasherOptions) *Hasher {
	if p == (Params{}) {
		p = DefaultParams
	}
	if err := p.Validate(); err != nil {
		panic(err.Error())
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.MaxQueue == 0 {
		opts.MaxQueue = 4 * opts.Workers
	} else if opts.MaxQueue < 0 {
		opts.MaxQueue = 0
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 2 * time.Second
	}
	// The dummy is a well-formed hash with the configured parameters whose key no password is
	// known to produce; verifying against it costs exactly what a real verification costs.
	dummySalt := make([]byte, p.SaltLen)
	dummyKey := make([]byte, p.KeyLen)
	for i := range dummySalt {
		dummySalt[i] = byte(0xa5 ^ i)
	}
	return &Hasher{
		params:   p,
		slots:    make(chan struct{}, opts.Workers),
		maxQueue: int64(opts.MaxQueue),
		maxWait:  opts.MaxWait,
		dummy:    EncodePHC(p, dummySalt, dummyKey),
	}
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Stats returns the current load, for metrics.
func (h *Hasher) Stats() HasherStats {
	return HasherStats{
		Running:  int(h.running.Load()),
		Waiting:  int(h.waiting.Load()),
		Rejected: h.rejected.Load(),
	}
}

// Hash normalises pw and returns its argon2id PHC string. It rejects input that Policy.Check
// would reject as too long or invalid UTF-8 (with the same codes), but it does not apply the
// length or common-list rules: call Policy.Check first. Under load it returns ErrBusy.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if len(pw) > MaxBytes {
		return "", gatehouse.Errorf(gatehouse.CodePasswordTooLong, "The password is too long: use at most %d bytes.", MaxBytes)
	}
	if !utf8.ValidString(pw) {
		return "", gatehouse.Errorf(gatehouse.CodeInvalidRequest, "The password contains invalid characters (it is not valid UTF-8 text).")
	}
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading a salt: %w", err)
	}
	normalized := []byte(Normalize(pw))
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey(normalized, salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	return EncodePHC(h.params, salt, key), nil
}

// Verify reports whether pw matches the stored PHC string, comparing in constant time. When it
// matches and the hash was made with parameters other than the Hasher's, needsRehash is true:
// the caller should store a fresh Hash(pw). A pw over MaxBytes or not valid UTF-8 cannot match
// and is answered false without hashing. A malformed phc gives an error wrapping ErrInvalidHash;
// under load the error is ErrBusy.
func (h *Hasher) Verify(ctx context.Context, pw, phc string) (ok, needsRehash bool, err error) {
	if phc == "" {
		return false, false, fmt.Errorf("%w: empty", ErrInvalidHash)
	}
	return h.Check(ctx, pw, phc, nil)
}

// VerifyDummy does the work of a full verification against a fixed dummy hash with the
// configured parameters and discards the result, so that a login for an unknown account takes as
// long as one for a known account. It returns ErrBusy under the same conditions as Verify, so
// that known and unknown accounts are shed alike.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) error {
	_, _, err := h.Check(ctx, pw, "", nil)
	return err
}

// Check is Verify with an admission step: once a worker slot is held (the call can no longer be
// shed with ErrBusy) it calls admit, and when admit fails nothing is hashed and admit's error is
// returned. Sign-in uses it to count an attempt in its throttle only for attempts that will
// really be checked. An empty phc checks against the dummy hash (never a match), like
// VerifyDummy. admit may be nil.
func (h *Hasher) Check(ctx context.Context, pw, phc string, admit func() error) (ok, needsRehash bool, err error) {
	dummy := phc == ""
	if dummy {
		phc = h.dummy
	}
	p, salt, want, err := ParsePHC(phc)
	if err != nil {
		return false, false, err
	}
	if len(pw) > MaxBytes || !utf8.ValidString(pw) {
		return false, false, nil // cannot match; nothing to hash or admit
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if admit != nil {
		if err := admit(); err != nil {
			return false, false, err
		}
	}
	got := argon2.IDKey([]byte(Normalize(pw)), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 || dummy {
		return false, false, nil
	}
	return true, p != h.params, nil
}

// acquire takes a worker slot, waiting in the bounded queue if none is free.
func (h *Hasher) acquire(ctx context.Context) error {
	if ctx.Err() != nil {
		return h.shed(ctx)
	}
	select {
	case h.slots <- struct{}{}:
		h.started()
		return nil
	default:
	}
	for {
		w := h.waiting.Load()
		if w >= h.maxQueue {
			h.rejected.Add(1)
			return ErrBusy
		}
		if h.waiting.CompareAndSwap(w, w+1) {
			break
		}
	}
	defer h.waiting.Add(-1)
	if h.hooks.queued != nil {
		h.hooks.queued()
	}
	timer := time.NewTimer(h.maxWait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		h.started()
		return nil
	case <-timer.C:
		h.rejected.Add(1)
		return ErrBusy
	case <-ctx.Done():
		return h.shed(ctx)
	}
}

func (h *Hasher) started() {
	h.running.Add(1)
	if h.hooks.running != nil {
		h.hooks.running()
	}
}

func (h *Hasher) release() {
	h.running.Add(-1)
	<-h.slots
}

// shed counts a call whose context ended and returns ErrBusy wrapping the context's cause.
func (h *Hasher) shed(ctx context.Context) error {
	h.rejected.Add(1)
	return fmt.Errorf("%w (%w)", ErrBusy, context.Cause(ctx))
}
