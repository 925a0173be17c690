package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Message is one message the server accepted.
type Message struct {
	From string   // envelope sender (MAIL FROM)
	To   []string // envelope recipients (RCPT TO)
	TLS  bool     // whether the session was encrypted (STARTTLS or implicit TLS)
	Data []byte   // the message as received
}

// Decoded is a message as a mail program shows it.
type Decoded struct {
	Header  mail.Header
	From    string // the From header, decoded
	To      string // the To header, decoded
	Subject string // decoded
	Text    string // the text/plain part, transfer encoding undone, line ends "\n"
	HTML    string // the text/html part, transfer encoding undone, line ends "\n"
}

// Decode parses the message: headers (RFC 2047 words decoded) and its text and HTML parts, from
// a single part or a multipart/alternative (possibly nested in a multipart/mixed).
func (m Message) Decode() (*Decoded, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, fmt.Errorf("mailtest: read message: %w", err)
	}
	dec := new(mime.WordDecoder)
	d := &Decoded{Header: msg.Header}
	for _, h := range []struct {
		name string
		dst  *string
	}{{"From", &d.From}, {"To", &d.To}, {"Subject", &d.Subject}} {
		v, err := dec.DecodeHeader(msg.Header.Get(h.name))
		if err != nil {
			return nil, fmt.Errorf("mailtest: header %s: %w", h.name, err)
		}
		*h.dst = v
	}
	if err := d.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return nil, err
	}
	return d, nil
}

// walk collects the text and HTML parts of one MIME entity.
func (d *Decoded) walk(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("mailtest: content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("mailtest: multipart: %w", err)
			}
			if err := d.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("mailtest: decode %s part: %w", mediaType, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n") // line ends as a mail program shows them
	switch mediaType {
	case "text/plain":
		d.Text += text
	case "text/html":
		d.HTML += text
	}
	return nil
}

// newlineStripper drops CR and LF so base64 lines decode as one stream.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		out := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[out] = c
				out++
			}
		}
		if out > 0 || err != nil {
			return out, err
		}
	}
}

var (
	linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)
	codePattern = regexp.MustCompile(`\b[0-9]{6}\b`)
)

// Link is the first http(s) link of the text part ("" when there is none), the way a person
// would copy it.
func (d *Decoded) Link() string { return linkPattern.FindString(d.Text) }

// Code is the first six-digit number of the text part ("" when there is none).
func (d *Decoded) Code() string { return codePattern.FindString(d.Text) }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool that trusts it.
func selfSigned() (*tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
