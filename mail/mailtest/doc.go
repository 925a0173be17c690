// Package mailtest is an in-process SMTP server for tests (github.com/emersion/go-smtp on
// 127.0.0.1:0): it keeps every message it accepts, decodes them the way a mail program does
// (headers, text and HTML parts, the link or code in the text), can be stopped and restarted on
// the same port to simulate an outage, can refuse mails with a temporary error, and can offer
// STARTTLS, implicit TLS and AUTH PLAIN with a self-signed certificate (CertPool trusts it).
package mailtest
