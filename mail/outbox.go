package mail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"

	"github.com/gatehouse-auth/gatehouse"
)

// DevOutbox is the sender used when no SMTP server is configured (development only): it writes
// each mail as <dir>/<mail ID>.eml and logs one line with the recipient, the subject and, for
// convenience, the first link or six-digit code of the text body. Those are secrets: a server
// with GATEHOUSE_SMTP_URL set never uses the DevOutbox and never logs them.
type DevOutbox struct {
	dir  string
	from string
	log  *slog.Logger
}

// NewDevOutbox returns the outbox writing to dir, which the first mail creates (0700) when
// needed, so a server that sends nothing leaves no folder behind. from is GATEHOUSE_MAIL_FROM.
func NewDevOutbox(dir, from string, log *slog.Logger) (*DevOutbox, error) {
	if log == nil {
		log = slog.Default()
	}
	if _, err := newMessage(from, &gatehouse.OutboundMail{To: "check@example.com"}); err != nil {
		return nil, fmt.Errorf("mail: GATEHOUSE_MAIL_FROM: %w", err)
	}
	return &DevOutbox{dir: dir, from: from, log: log}, nil
}

// Dir is the folder mails are written to.
func (o *DevOutbox) Dir() string { return o.dir }

// Send writes m to the outbox folder (replacing an earlier copy of the same mail) and logs it.
func (o *DevOutbox) Send(ctx context.Context, m *gatehouse.OutboundMail) error {
	msg, err := newMessage(o.from, m)
	if err != nil {
		return fmt.Errorf("mail: build message: %w", err)
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return fmt.Errorf("mail: dev outbox: %w", err)
	}
	path := filepath.Join(o.dir, filepath.Base(m.ID)+".eml")
	tmp, err := os.CreateTemp(o.dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("mail: dev outbox: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("mail: dev outbox: write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mail: dev outbox: write: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("mail: dev outbox: %w", err)
	}
	attrs := []any{"mail_id", m.ID, "kind", m.Kind, "to", m.To, "subject", m.Subject, "file", path}
	if link := linkPattern.FindString(m.Text); link != "" {
		attrs = append(attrs, "link", link)
	} else if code := codePattern.FindString(m.Text); code != "" {
		attrs = append(attrs, "code", code)
	}
	o.log.InfoContext(ctx, "dev outbox: mail written (no GATEHOUSE_SMTP_URL)", attrs...)
	return nil
}

var (
	linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)
	codePattern = regexp.MustCompile(`\b[0-9]{6}\b`)
)
