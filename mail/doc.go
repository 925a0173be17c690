// Package mail renders, delivers and retries Gatehouse's mails.
//
// Contract:
//   - Composer (auth.MailComposer) renders a mail of a kind (verify_email, password_reset,
//     magic_link, email_change, email_change_notice, email_in_use, credential_leaked) from embedded text, HTML and subject templates, each file
//     overridable from GATEHOUSE_MAIL_TEMPLATES (<kind>.subject.txt, <kind>.txt, <kind>.html; a
//     missing file falls back to the embedded one; a broken one fails NewComposer, so the server
//     does not start). HTML is rendered with html/template, so data is escaped. A "Link" in the
//     data must start with GATEHOUSE_PUBLIC_URL, or Compose fails. Compose only renders: the
//     caller stores the mail in the outbox in the same transaction as the action that causes it.
//   - Sender delivers one mail. SMTPSender speaks SMTP through github.com/wneessen/go-mail to
//     GATEHOUSE_SMTP_URL: smtp:// upgrades with STARTTLS when the server offers it and stays plain
//     when it does not; smtps:// is implicit TLS; credentials in the URL authenticate (PLAIN and
//     LOGIN only over TLS). Mails are multipart/alternative (text, then HTML) from
//     GATEHOUSE_MAIL_FROM, with a Message-ID derived from the mail's ID.
//   - DevOutbox is the sender when GATEHOUSE_SMTP_URL is empty, for development only: each mail
//     is written to GATEHOUSE_MAIL_OUTBOX_DIR as <id>.eml and one log line shows the recipient,
//     the subject and the first link or six-digit code of the text. With SMTP configured nothing
//     of a mail's body is ever logged.
//   - Worker drains the outbox (gatehouse.MailStore): every Interval and on Notify it claims due
//     mails under a lease, sends each, and marks it sent or failed; a failure is retried after
//     Backoff (5s·2^(attempts-1), at most 1h, minus up to 25% jitter). Stored errors are one line
//     without the mail's body. A send abandoned by a stop or a crash is retried when its lease
//     ends, so mails are delivered at least once and never lost.
//
// Package mailtest has an in-process SMTP server (github.com/emersion/go-smtp) for tests.
package mail
