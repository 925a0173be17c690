package mail

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-auth/gatehouse"
)

// Worker defaults.
const (
	DefaultInterval   = time.Second
	DefaultBatch      = 20
	DefaultLease      = 2 * time.Minute
	DefaultRetryBase  = 5 * time.Second
	DefaultRetryLimit = time.Hour
	// DefaultMaxAttempts and DefaultMaxAge bound the retries: a mail that failed this many
	// times, or is still unsent this long after it was queued, becomes a dead letter. With the
	// default backoff, 12 attempts span about 6 hours; after a day every link or code a mail
	// carries (at most an hour's validity) has long expired.
	DefaultMaxAttempts = 12
	DefaultMaxAge      = 24 * time.Hour
)

// markTimeout bounds recording the outcome of a send.
const markTimeout = 10 * time.Second

// maxErrorLen bounds the error text stored with a failed attempt.
const maxErrorLen = 500

// WorkerConfig configures a Worker. Zero values mean the defaults.
type WorkerConfig struct {
	Store  gatehouse.MailStore
	Sender Sender
	Logger *slog.Logger
	// Interval is how often the worker looks for due mails when nobody calls Notify (default 1s).
	Interval time.Duration
	// Batch is how many mails one round claims (default 20).
	Batch int
	// Lease is how long a claimed mail is reserved for this worker (default 2m): a mail whose
	// send was abandoned (a crash, a stop) is retried after it. Longer than a send can take.
	Lease time.Duration
	// Backoff is the wait after the attempts-th failed attempt (1 for the first failure); nil:
	// Backoff with the default base and limit.
	Backoff func(attempts int) time.Duration
	// MaxAttempts and MaxAge: past either the worker gives up on a failing mail (a dead letter,
	// logged at error level and kept with FailedAt set) instead of retrying it forever.
	MaxAttempts int
	MaxAge      time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Worker sends the outbox: each round claims due mails, sends them one by one and records the
// outcome, a failure with a later next attempt (exponential backoff with jitter). Several
// workers, on one instance or many, may run on one store: claims are leases.
type Worker struct {
	cfg  WorkerConfig
	wake chan struct{}
}

// NewWorker returns a worker; Run starts it.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(attempts int) time.Duration {
			return Backoff(attempts, DefaultRetryBase, DefaultRetryLimit, rand.Float64)
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	return &Worker{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Notify wakes the worker for a round now (fresh mails go out at once). It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends rounds until ctx ends: one at once, then one per Interval and one per Notify. When
// ctx ends, a send in flight is abandoned (not counted as a failure): its mail is retried once its
// lease runs out, so it may arrive twice but is never lost.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		if _, _, err := w.SendDue(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Logger.WarnContext(ctx, "mail worker: round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// SendDue runs one round: it claims up to Batch due mails and tries each once. It returns how
// many were sent and how many failed (rescheduled, or given up on past MaxAttempts or MaxAge);
// err is a store error. It stops
// early when ctx ends, leaving the rest of the batch to its lease.
func (w *Worker) SendDue(ctx context.Context) (sent, failed int, err error) {
	mails, err := w.cfg.Store.ClaimMail(ctx, w.cfg.Now(), w.cfg.Batch, w.cfg.Lease)
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for i := range mails {
		if ctx.Err() != nil {
			break
		}
		m := &mails[i]
		sendErr := w.cfg.Sender.Send(ctx, m)
		if sendErr != nil && ctx.Err() != nil {
			break // abandoned: retried after the lease
		}
		// The outcome is recorded even when ctx ends meanwhile: a sent mail marked unsent would
		// go out again.
		markCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
		if sendErr == nil {
			err := w.cfg.Store.MarkMailSent(markCtx, m.ID, w.cfg.Now())
			cancel()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			sent++
			w.cfg.Logger.InfoContext(ctx, "mail sent", "mail_id", m.ID, "kind", m.Kind, "attempts", m.Attempts+1)
			continue
		}
		text := errorText(sendErr)
		now := w.cfg.Now()
		if m.Attempts+1 >= w.cfg.MaxAttempts || now.Sub(m.CreatedAt) >= w.cfg.MaxAge {
			err := w.cfg.Store.MarkMailDead(markCtx, m.ID, now, text)
			cancel()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			failed++
			w.cfg.Logger.ErrorContext(ctx, "mail abandoned after repeated failures", "mail_id", m.ID, "kind", m.Kind,
				"attempts", m.Attempts+1, "queued_for", now.Sub(m.CreatedAt).Round(time.Second).String(), "err", text)
			continue
		}
		wait := w.cfg.Backoff(m.Attempts + 1)
		next := now.Add(wait)
		err := w.cfg.Store.MarkMailFailed(markCtx, m.ID, next, text)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		failed++
		w.cfg.Logger.WarnContext(ctx, "mail not sent, will retry", "mail_id", m.ID, "kind", m.Kind,
			"attempts", m.Attempts+1, "retry_in", wait.Round(time.Millisecond).String(), "err", text)
	}
	return sent, failed, errors.Join(errs...)
}

// Backoff is the wait after the attempts-th failure: base·2^(attempts-1), at most limit, then
// shortened by up to a quarter at random (jitter, so that mails that failed together do not
// retry together). random returns a number in [0, 1).
func Backoff(attempts int, base, limit time.Duration, random func() float64) time.Duration {
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d - time.Duration(float64(d)/4*random())
}

// errorText is err's message as stored with a failed attempt: one line, at most maxErrorLen
// bytes. Senders' errors never contain a mail's body, so its links and codes are not stored.
func errorText(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > maxErrorLen {
		s = s[:maxErrorLen]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
