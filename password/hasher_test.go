package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func TestErrBusyShape(t *testing.T) {
	if gatehouse.ErrorCode(ErrBusy) != gatehouse.CodeUnavailable || ErrBusy.RetryAfter != time.Second {
		t.Fatalf("ErrBusy = %+v; want temporarily_unavailable with RetryAfter 1s", ErrBusy)
	}
	if !errors.Is(ErrBusy, &gatehouse.Error{Code: gatehouse.CodeUnavailable}) {
		t.Fatal("ErrBusy must match the unavailable code")
	}
}

// blockedHasher returns a cheap Hasher with one worker whose computations stop in the running
// hook until release is closed, and channels that report each caller that starts or queues.
func blockedHasher(opts HasherOptions) (h *Hasher, started, queued chan struct{}, release chan struct{}) {
	h = newCheapHasher(opts)
	started = make(chan struct{}, 16)
	queued = make(chan struct{}, 16)
	release = make(chan struct{})
	h.hooks.running = func() { started <- struct{}{}; <-release }
	h.hooks.queued = func() { queued <- struct{}{} }
	return h, started, queued, release
}

func TestHasherSaturation(t *testing.T) {
	ctx := context.Background()
	h, started, queued, release := blockedHasher(HasherOptions{Workers: 1, MaxQueue: 1, MaxWait: time.Hour})
	type result struct {
		phc string
		err error
	}
	first, second := make(chan result, 1), make(chan result, 1)
	go func() { phc, err := h.Hash(ctx, "first password"); first <- result{phc, err} }()
	<-started // the only worker is busy
	go func() { phc, err := h.Hash(ctx, "second password"); second <- result{phc, err} }()
	<-queued // the only queue place is taken

	if s := h.Stats(); s != (HasherStats{Running: 1, Waiting: 1}) {
		t.Fatalf("Stats with one running and one waiting = %+v", s)
	}
	// The deadline only keeps a broken implementation (one that queues the third caller) from
	// hanging the test: the refusal must be immediate, not caused by the deadline.
	guard, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := h.Hash(guard, "third password")
	if !errors.Is(err, ErrBusy) || gatehouse.ErrorCode(err) != gatehouse.CodeUnavailable || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third caller: %v, want ErrBusy at once", err)
	}
	if ok, _, err := h.Verify(guard, "x", h.dummy); ok || !errors.Is(err, ErrBusy) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a verification beyond the queue: %v, %v; want ErrBusy", ok, err)
	}
	if err := h.VerifyDummy(guard, "x"); !errors.Is(err, ErrBusy) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a dummy verification beyond the queue: %v; want ErrBusy", err)
	}
	if s := h.Stats(); s.Rejected != 3 || s.Running != 1 || s.Waiting != 1 {
		t.Fatalf("Stats after three rejections = %+v", s)
	}

	close(release)
	r1, r2 := <-first, <-second
	if r1.err != nil || r2.err != nil {
		t.Fatalf("queued callers must succeed once the worker frees: %v, %v", r1.err, r2.err)
	}
	for pw, phc := range map[string]string{"first password": r1.phc, "second password": r2.phc} {
		if ok, _, err := h.Verify(ctx, pw, phc); !ok || err != nil {
			t.Fatalf("Verify(%q) = %v, %v", pw, ok, err)
		}
	}
	if s := h.Stats(); s != (HasherStats{Rejected: 3}) {
		t.Fatalf("Stats when idle = %+v", s)
	}
}

func TestHasherMaxWait(t *testing.T) {
	ctx := context.Background()
	h, started, _, release := blockedHasher(HasherOptions{Workers: 1, MaxQueue: 1, MaxWait: time.Millisecond})
	done := make(chan error, 1)
	go func() { _, err := h.Hash(ctx, "first password"); done <- err }()
	<-started
	// The worker stays blocked until release, so this caller can only time out.
	if _, err := h.Hash(ctx, "second password"); !errors.Is(err, ErrBusy) {
		t.Fatalf("waiting longer than MaxWait: %v, want ErrBusy", err)
	}
	if s := h.Stats(); s.Rejected != 1 || s.Waiting != 0 {
		t.Fatalf("Stats = %+v", s)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestHasherContextEnds(t *testing.T) {
	t.Run("already cancelled", func(t *testing.T) {
		h := newCheapHasher(HasherOptions{Workers: 1})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := h.Hash(ctx, "a password")
		if !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Hash with a cancelled context: %v", err)
		}
		if h.Stats().Rejected != 1 {
			t.Fatalf("Stats = %+v", h.Stats())
		}
	})
	t.Run("cancelled while queued", func(t *testing.T) {
		h, started, queued, release := blockedHasher(HasherOptions{Workers: 1, MaxQueue: 4, MaxWait: time.Hour})
		done := make(chan error, 1)
		go func() { _, err := h.Hash(context.Background(), "first password"); done <- err }()
		<-started
		ctx, cancel := context.WithCancel(context.Background())
		waiter := make(chan error, 1)
		go func() { _, _, err := h.Verify(ctx, "pw", h.dummy); waiter <- err }()
		<-queued
		cancel()
		if err := <-waiter; !errors.Is(err, ErrBusy) || !errors.Is(err, context.Canceled) {
			t.Fatalf("Verify cancelled while queued: %v", err)
		}
		if s := h.Stats(); s.Rejected != 1 || s.Waiting != 0 || s.Running != 1 {
			t.Fatalf("Stats = %+v", s)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestHasherNoQueue(t *testing.T) {
	h, started, _, release := blockedHasher(HasherOptions{Workers: 1, MaxQueue: -1, MaxWait: time.Hour})
	done := make(chan error, 1)
	go func() { _, err := h.Hash(context.Background(), "first password"); done <- err }()
	<-started
	guard, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := h.Hash(guard, "second"); !errors.Is(err, ErrBusy) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with no queue a second caller must be refused at once: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestHasherBoundsConcurrency runs many callers and records, at the moment each starts hashing,
// how many computations are running: never more than Workers.
func TestHasherBoundsConcurrency(t *testing.T) {
	const workers, callers = 2, 40
	h := newCheapHasher(HasherOptions{Workers: workers, MaxQueue: callers, MaxWait: time.Hour})
	var peak atomic.Int64
	var ran atomic.Int64
	h.hooks.running = func() {
		ran.Add(1)
		n := h.running.Load()
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := 0; i < callers; i++ {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "a shared password"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("no caller should be shed with a queue this long: %v", err)
	}
	if p := peak.Load(); p < 1 || p > workers {
		t.Fatalf("peak concurrent computations %d, want 1..%d", p, workers)
	}
	if ran.Load() != callers {
		t.Fatalf("%d computations ran, want %d", ran.Load(), callers)
	}
	if s := h.Stats(); s != (HasherStats{}) {
		t.Fatalf("Stats when idle = %+v", s)
	}
}

func TestVerifyDummy(t *testing.T) {
	h := newCheapHasher(HasherOptions{})
	var ran atomic.Int64
	h.hooks.running = func() { ran.Add(1) }
	p, _, _, err := ParsePHC(h.dummy)
	if err != nil || p != h.Params() {
		t.Fatalf("the dummy hash must parse with the configured params: %+v, %v", p, err)
	}
	for _, pw := range []string{"", "password", "correct horse battery staple"} {
		if err := h.VerifyDummy(context.Background(), pw); err != nil {
			t.Fatalf("VerifyDummy(%q): %v", pw, err)
		}
		if ok, _, _ := h.Verify(context.Background(), pw, h.dummy); ok {
			t.Fatalf("%q must not match the dummy hash", pw)
		}
	}
	if ran.Load() != 6 {
		t.Fatalf("VerifyDummy must run a full argon2 computation each time: %d ran, want 6", ran.Load())
	}
	d := NewHasher(DefaultParams, HasherOptions{})
	if !strings.HasPrefix(d.dummy, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("dummy with default params: %q", d.dummy)
	}
}

func TestHasherRejectsBadInputWithoutHashing(t *testing.T) {
	ctx := context.Background()
	h := newCheapHasher(HasherOptions{})
	var ran atomic.Int64
	h.hooks.running = func() { ran.Add(1) }
	phc, err := h.Hash(ctx, "a good password")
	if err != nil {
		t.Fatal(err)
	}
	ran.Store(0)
	cases := []struct {
		name string
		pw   string
		code gatehouse.Code
	}{
		{"1025 bytes", strings.Repeat("a", MaxBytes+1), gatehouse.CodePasswordTooLong},
		{"a megabyte", strings.Repeat("a", 1<<20), gatehouse.CodePasswordTooLong},
		{"invalid UTF-8", "a good password\xff", gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := h.Hash(ctx, c.pw); gatehouse.ErrorCode(err) != c.code {
				t.Fatalf("Hash: %v, want %s", err, c.code)
			}
			if ok, rehash, err := h.Verify(ctx, c.pw, phc); ok || rehash || err != nil {
				t.Fatalf("Verify: %v, %v, %v; want a plain false", ok, rehash, err)
			}
			if err := h.VerifyDummy(ctx, c.pw); err != nil {
				t.Fatal(err)
			}
		})
	}
	if ran.Load() != 0 {
		t.Fatalf("%d argon2 computations ran for input that can never match", ran.Load())
	}
}

func TestNewHasherDefaults(t *testing.T) {
	h := NewHasher(cheap, HasherOptions{})
	if cap(h.slots) < 1 || h.maxQueue != int64(4*cap(h.slots)) || h.maxWait != 2*time.Second {
		t.Fatalf("defaults: workers %d, queue %d, wait %v", cap(h.slots), h.maxQueue, h.maxWait)
	}
	h = NewHasher(cheap, HasherOptions{Workers: 3, MaxQueue: 5, MaxWait: time.Minute})
	if cap(h.slots) != 3 || h.maxQueue != 5 || h.maxWait != time.Minute {
		t.Fatalf("explicit: workers %d, queue %d, wait %v", cap(h.slots), h.maxQueue, h.maxWait)
	}
}

func TestCheckAdmitsOnlyCallsThatWillHash(t *testing.T) {
	ctx := context.Background()
	h, started, _, release := blockedHasher(HasherOptions{Workers: 1, MaxQueue: -1, MaxWait: time.Hour})
	phc, err := NewHasher(h.params, HasherOptions{}).Hash(ctx, "the password")
	if err != nil {
		t.Fatal(err)
	}
	admitted := 0
	admit := func() error { admitted++; return nil }
	done := make(chan error, 1)
	go func() { _, _, err := h.Check(ctx, "the password", phc, admit); done <- err }()
	<-started // the only worker is held, after admission
	if _, _, err := h.Check(ctx, "the password", phc, func() error { t.Error("a shed call was admitted"); return nil }); !errors.Is(err, ErrBusy) {
		t.Fatalf("second caller: %v, want ErrBusy", err)
	}
	close(release)
	if err := <-done; err != nil || admitted != 1 {
		t.Fatalf("first caller: %v, admitted %d times", err, admitted)
	}

	refused := errors.New("throttled")
	cases := []struct {
		name   string
		phc    string
		admit  func() error
		wantOK bool
		want   error
	}{
		{"admitted, right password", phc, nil, true, nil},
		{"admission refused: no hash, its error", phc, func() error { return refused }, false, refused},
		{"dummy never matches", "", nil, false, nil},
	}
	free := NewHasher(h.params, HasherOptions{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, _, err := free.Check(ctx, "the password", c.phc, c.admit)
			if ok != c.wantOK || !errors.Is(err, c.want) {
				t.Fatalf("Check = %v, %v; want %v, %v", ok, err, c.wantOK, c.want)
			}
		})
	}
}
