package mail

import (
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// ComposerConfig configures a Composer.
type ComposerConfig struct {
	// PublicURL is GATEHOUSE_PUBLIC_URL (a trailing slash is ignored): every "Link" in the data
	// must start with it.
	PublicURL string
	// TemplatesDir is GATEHOUSE_MAIL_TEMPLATES: a folder whose <kind>.subject.txt, <kind>.txt and
	// <kind>.html replace the embedded templates; a missing file falls back to the embedded one.
	// Empty: the embedded templates only.
	TemplatesDir string
	// Now is the clock (nil: time.Now) and Random the source of IDs (nil: crypto/rand).
	Now    func() time.Time
	Random io.Reader
}

// Composer renders mails from the templates. It implements auth.MailComposer and is safe for
// concurrent use.
type Composer struct {
	publicURL string
	sets      map[string]*templateSet
	now       func() time.Time
	random    io.Reader
}

// NewComposer parses the templates (the embedded ones and cfg.TemplatesDir's overrides). An
// override that does not parse is an error, so a broken folder stops the server at start rather
// than at the first mail.
func NewComposer(cfg ComposerConfig) (*Composer, error) {
	sets, err := parseTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	c := &Composer{
		publicURL: strings.TrimSuffix(cfg.PublicURL, "/"),
		sets:      sets,
		now:       cfg.Now,
		random:    cfg.Random,
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// ErrLinkOutsidePublicURL is returned by Compose for a "Link" that does not start with the
// public URL.
var ErrLinkOutsidePublicURL = errors.New("mail: link does not start with the public URL")

// Compose renders the mail of kind for the address to from data (see the Kind constants for the
// keys each kind needs). A "Link" must start with the public URL. The mail has a fresh ID, its
// kind and CreatedAt; NextAttemptAt is left zero (send now). The HTML part escapes data.
func (c *Composer) Compose(kind, to string, data map[string]any) (*gatehouse.OutboundMail, error) {
	set, ok := c.sets[kind]
	if !ok {
		return nil, fmt.Errorf("mail: unknown kind %q", kind)
	}
	if err := checkRecipient(to); err != nil {
		return nil, err
	}
	for _, key := range required[kind] {
		if v, ok := data[key]; !ok || v == nil || v == "" {
			return nil, fmt.Errorf("mail: %s: missing %s", kind, key)
		}
	}
	if link, ok := data["Link"]; ok {
		if err := c.checkLink(link); err != nil {
			return nil, fmt.Errorf("%w (kind %s)", err, kind)
		}
	}
	subject, text, html, err := set.render(data)
	if err != nil {
		return nil, fmt.Errorf("mail: render %s: %w", kind, err)
	}
	now := c.now().UTC()
	return &gatehouse.OutboundMail{
		ID:        gatehouse.NewID(gatehouse.PrefixMail, now, c.random),
		Kind:      kind,
		To:        to,
		Subject:   subject,
		Text:      text,
		HTML:      html,
		CreatedAt: now,
	}, nil
}

// checkLink accepts the public URL itself and anything under it (followed by '/', '?' or '#'),
// so that "https://id.example.com.evil.test/" does not pass for "https://id.example.com".
func (c *Composer) checkLink(v any) error {
	var link string
	switch l := v.(type) {
	case string:
		link = l
	case fmt.Stringer:
		link = l.String()
	default:
		return fmt.Errorf("%w: not a string", ErrLinkOutsidePublicURL)
	}
	if c.publicURL == "" {
		return fmt.Errorf("%w: no public URL is configured", ErrLinkOutsidePublicURL)
	}
	rest, ok := strings.CutPrefix(link, c.publicURL)
	if !ok || (rest != "" && !strings.ContainsAny(rest[:1], "/?#")) {
		return ErrLinkOutsidePublicURL
	}
	return nil
}

// checkRecipient accepts one bare address (no display name, no line breaks).
func checkRecipient(to string) error {
	a, err := netmail.ParseAddress(to)
	if err != nil || a.Address != to || strings.ContainsAny(to, "\r\n") {
		return errors.New("mail: the recipient is not a plain email address")
	}
	return nil
}
