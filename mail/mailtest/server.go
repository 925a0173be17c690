package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options configure a Server. The zero value is a plain SMTP server without STARTTLS or AUTH.
type Options struct {
	// StartTLS offers STARTTLS with a self-signed certificate for 127.0.0.1 (see CertPool).
	StartTLS bool
	// ImplicitTLS serves TLS from the first byte (smtps://).
	ImplicitTLS bool
	// Users, when not empty, are the accepted AUTH PLAIN credentials (user → password) and AUTH
	// is required before MAIL.
	Users map[string]string
}

// Server is an in-process SMTP server on 127.0.0.1 that keeps every message it accepts. It can
// be stopped and started again on the same port, and told to refuse mails for a while.
type Server struct {
	t    testing.TB
	opts Options
	cert *tls.Certificate
	pool *x509.CertPool

	mu      sync.Mutex
	addr    string // fixed by the first Start
	srv     *smtp.Server
	ln      net.Listener
	done    chan struct{} // closed when srv.Serve returns
	msgs    []Message
	arrived chan struct{} // closed and replaced at every accepted message
	reject  error         // non-nil: DATA is refused with this error
}

// Start starts a server on a free port of 127.0.0.1; it is stopped when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := &Server{t: t, opts: opts, arrived: make(chan struct{})}
	if opts.StartTLS || opts.ImplicitTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatalf("mailtest: certificate: %v", err)
		}
		s.cert, s.pool = cert, pool
	}
	if err := s.listen("127.0.0.1:0"); err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port (the same across Stop and Restart).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Port is the server's port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// URL is a GATEHOUSE_SMTP_URL for the server (smtps:// with ImplicitTLS), with user:password
// when user is not empty.
func (s *Server) URL(user, password string) string {
	scheme := "smtp"
	if s.opts.ImplicitTLS {
		scheme = "smtps"
	}
	if user == "" {
		return scheme + "://" + s.Addr()
	}
	return fmt.Sprintf("%s://%s:%s@%s", scheme, user, password, s.Addr())
}

// CertPool trusts the server's certificate (nil without TLS).
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// Stop closes the listener and every connection; messages received so far are kept. Stopping
// a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, ln, done := s.srv, s.ln, s.done
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	_ = ln.Close() // Serve may not have registered it with srv yet
	<-done
}

// Restart starts a stopped server again on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	running, addr := s.srv != nil, s.addr
	s.mu.Unlock()
	if running {
		s.t.Fatalf("mailtest: Restart of a running server")
	}
	var err error
	for range 50 { // the old socket may linger for a moment
		if err = s.listen(addr); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("mailtest: restart on %s: %v", addr, err)
}

// Reject makes the server refuse every message with a temporary error (451) until Reject(false).
func (s *Server) Reject(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = nil
	if on {
		s.reject = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailtest: try again later"}
	}
}

// Messages returns the messages received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until at least n messages have arrived and returns them; the test fails when
// they have not after timeout (a guard against a hang, not a speed assertion: pass a generous one).
func (s *Server) WaitFor(n int, timeout time.Duration) []Message {
	s.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		msgs, arrived := append([]Message(nil), s.msgs...), s.arrived
		s.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-arrived:
		case <-deadline.C:
			s.t.Fatalf("mailtest: %d of %d messages arrived within %v", len(msgs), n, timeout)
			return nil
		}
	}
}

func (s *Server) listen(addr string) error {
	var ln net.Listener
	var err error
	if s.opts.ImplicitTLS {
		ln, err = tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{*s.cert}})
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return err
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "mailtest.localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.AllowInsecureAuth = !(s.opts.StartTLS || s.opts.ImplicitTLS)
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if s.opts.StartTLS {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*s.cert}}
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.addr, s.srv, s.ln, s.done = ln.Addr().String(), srv, ln, done
	s.mu.Unlock()
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return nil
}

// backend makes one session per connection.
type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s, conn: c, authed: len(b.s.opts.Users) == 0}, nil
}

// session collects one message's envelope and data.
type session struct {
	s      *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}

func (ss *session) AuthMechanisms() []string {
	if len(ss.s.opts.Users) == 0 {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if want, ok := ss.s.opts.Users[user]; !ok || want != pass {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return errAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.authed {
		return errAuthRequired
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reject != nil {
		return s.reject
	}
	_, overTLS := ss.conn.TLSConnectionState()
	s.msgs = append(s.msgs, Message{From: ss.from, To: append([]string(nil), ss.to...), TLS: overTLS, Data: data})
	close(s.arrived)
	s.arrived = make(chan struct{})
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
