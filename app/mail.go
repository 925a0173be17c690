package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/config"
	"github.com/gatehouse-auth/gatehouse/mail"
)

// MailTuning adjusts the mail worker; tests shorten its waits. Zero fields mean the defaults
// (package mail's DefaultInterval, DefaultLease, Backoff, DefaultMaxAttempts, SMTPOptions{}).
type MailTuning struct {
	Interval    time.Duration
	Lease       time.Duration
	Backoff     func(attempts int) time.Duration
	MaxAttempts int              // a test with a short backoff retries more often in the same time
	SMTP        mail.SMTPOptions // e.g. a TLS config that trusts a test server's certificate
}

// notifyDelay is how long after a mail is composed the worker is woken: the use case stores the
// mail in its transaction right after composing it, and the worker should find it committed.
// (If not, the next interval round sends it.)
const notifyDelay = 100 * time.Millisecond

// mailer is the mail machinery of a running server: the composer the use cases call and the
// worker that drains the outbox.
type mailer struct {
	composer *mail.Composer
	worker   *mail.Worker
}

// newMailer parses the templates (a broken override in GATEHOUSE_MAIL_TEMPLATES fails the
// start) and picks the sender: SMTP when GATEHOUSE_SMTP_URL is set, else the dev outbox.
func newMailer(cfg *config.Config, log *slog.Logger, store gatehouse.MailStore, tuning MailTuning) (*mailer, error) {
	composer, err := mail.NewComposer(mail.ComposerConfig{
		PublicURL:    strings.TrimSuffix(cfg.PublicURL.String(), "/"),
		TemplatesDir: cfg.MailTemplates,
	})
	if err != nil {
		return nil, err
	}
	var sender mail.Sender
	if cfg.SMTPURL != "" {
		s, err := mail.NewSMTPSender(cfg.SMTPURL, cfg.MailFrom, tuning.SMTP)
		if err != nil {
			return nil, err
		}
		log.Info("mail: sending through SMTP", "server", s.Addr())
		sender = s
	} else {
		o, err := mail.NewDevOutbox(cfg.MailOutboxDir, cfg.MailFrom, log)
		if err != nil {
			return nil, err
		}
		log.Warn("mail: GATEHOUSE_SMTP_URL is not set: mails are not sent but written to the dev outbox "+
			"and their links and codes logged (development only)", "folder", o.Dir())
		sender = o
	}
	worker := mail.NewWorker(mail.WorkerConfig{
		Store:    store,
		Sender:   sender,
		Logger:   log,
		Interval: tuning.Interval,
		Lease:    tuning.Lease,
		Backoff:  tuning.Backoff,

		MaxAttempts: tuning.MaxAttempts,
	})
	return &mailer{composer: composer, worker: worker}, nil
}

// Compose implements auth.MailComposer: it renders the mail and wakes the worker shortly after,
// so that the mail goes out as soon as the use case has stored it.
func (ml *mailer) Compose(kind, to string, data map[string]any) (*gatehouse.OutboundMail, error) {
	m, err := ml.composer.Compose(kind, to, data)
	if err == nil {
		time.AfterFunc(notifyDelay, ml.worker.Notify)
	}
	return m, err
}

// start runs the worker until ctx ends; done is closed once it has stopped (a send in flight is
// abandoned and retried after its lease).
func (ml *mailer) start(ctx context.Context) (done <-chan struct{}) {
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ml.worker.Run(ctx)
	}()
	return finished
}

// NotifyMail wakes the mail worker now (tests; the use cases' mails wake it through Compose).
func (m *Main) NotifyMail() {
	if m.mail != nil {
		m.mail.worker.Notify()
	}
}

// newMailerFor is newMailer with Main's settings.
func (m *Main) newMailerFor(store gatehouse.MailStore) error {
	ml, err := newMailer(m.cfg, m.log, store, m.MailTuning)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	m.mail = ml
	return nil
}
