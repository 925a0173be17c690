package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/gatehouse-auth/gatehouse"
)

// Default ports when GATEHOUSE_SMTP_URL names none: submission with STARTTLS, and implicit TLS.
const (
	DefaultSMTPPort  = 587
	DefaultSMTPSPort = 465
)

// SMTPOptions are the injectable parts of an SMTPSender; zero values mean the defaults.
type SMTPOptions struct {
	// TLSConfig verifies the server (nil: the system roots and the URL's host name). Tests pass
	// one that trusts their own certificate.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each SMTP command (default 30s).
	Timeout time.Duration
}

// SMTPSender delivers mails to an SMTP server with github.com/wneessen/go-mail, one connection
// per mail. It is safe for concurrent use.
type SMTPSender struct {
	from     string
	host     string
	port     int
	implicit bool // smtps://: TLS from the first byte; otherwise STARTTLS when the server offers it
	user     string
	pass     string
	opts     SMTPOptions
}

// NewSMTPSender parses rawURL (GATEHOUSE_SMTP_URL): smtp://[user:pass@]host[:port] uses STARTTLS
// when the server offers it and plain SMTP when it does not (port 587 by default);
// smtps://[user:pass@]host[:port] uses implicit TLS (port 465 by default). With a user, the
// client authenticates with the best mechanism the server offers (PLAIN and LOGIN only over TLS).
// from is GATEHOUSE_MAIL_FROM. Errors never contain the password.
func NewSMTPSender(rawURL, from string, opts SMTPOptions) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("mail: GATEHOUSE_SMTP_URL is not a valid URL")
	}
	s := &SMTPSender{from: from, host: u.Hostname(), opts: opts}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		s.port = DefaultSMTPPort
	case "smtps":
		s.port, s.implicit = DefaultSMTPSPort, true
	default:
		return nil, errors.New("mail: GATEHOUSE_SMTP_URL: want smtp:// or smtps://")
	}
	if s.host == "" {
		return nil, errors.New("mail: GATEHOUSE_SMTP_URL has no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New("mail: GATEHOUSE_SMTP_URL: the port must be from 1 to 65535")
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if _, err := newMessage(from, &gatehouse.OutboundMail{To: "check@example.com"}); err != nil {
		return nil, fmt.Errorf("mail: GATEHOUSE_MAIL_FROM: %w", err)
	}
	if s.opts.Timeout <= 0 {
		s.opts.Timeout = 30 * time.Second
	}
	return s, nil
}

// Addr is the server's host:port.
func (s *SMTPSender) Addr() string {
	return net.JoinHostPort(s.host, strconv.Itoa(s.port))
}

// Send delivers m in one SMTP session.
func (s *SMTPSender) Send(ctx context.Context, m *gatehouse.OutboundMail) error {
	msg, err := newMessage(s.from, m)
	if err != nil {
		return fmt.Errorf("mail: build message: %w", err)
	}
	tlsConfig := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if s.opts.TLSConfig != nil {
		tlsConfig = s.opts.TLSConfig.Clone()
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = s.host
		}
	}
	options := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.opts.Timeout),
		gomail.WithTLSConfig(tlsConfig),
	}
	if s.implicit {
		options = append(options, gomail.WithSSL())
	} else {
		options = append(options, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.user != "" {
		options = append(options,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.user),
			gomail.WithPassword(s.pass))
	}
	client, err := gomail.NewClient(s.host, options...)
	if err != nil {
		return fmt.Errorf("mail: smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return &sendError{addr: s.Addr(), err: err, secret: s.pass}
	}
	return nil
}

// sendError is a failed delivery. Its message names the server and never the password (in case
// a layer below ever echoed it).
type sendError struct {
	addr   string
	err    error
	secret string
}

func (e *sendError) Error() string {
	msg := fmt.Sprintf("mail: smtp %s: %v", e.addr, e.err)
	if e.secret != "" {
		msg = strings.ReplaceAll(msg, e.secret, "REDACTED")
	}
	return msg
}

func (e *sendError) Unwrap() error { return e.err }
