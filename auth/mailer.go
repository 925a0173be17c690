package auth

import (
	"fmt"

	"github.com/gatehouse-auth/gatehouse"
)

// mailer composes the mails of a service; a nil composer means mail is off.
type mailer struct {
	mail MailComposer
	ids  base // IDs and times of the composed mails
}

// MailEnabled reports whether the service sends mail (a composer is configured); without it
// no verification codes or links go out.
func (m mailer) MailEnabled() bool { return m.mail != nil }

// composeMail renders a mail and fills in the outbox fields the composer left empty.
func (m mailer) composeMail(kind, to string, data map[string]any) (*gatehouse.OutboundMail, error) {
	out, err := m.mail.Compose(kind, to, data)
	if err != nil {
		return nil, fmt.Errorf("compose %s mail: %w", kind, err)
	}
	now := m.ids.now()
	if out.ID == "" {
		out.ID = m.ids.newID(gatehouse.PrefixMail)
	}
	if out.Kind == "" {
		out.Kind = kind
	}
	if out.CreatedAt.IsZero() {
		out.CreatedAt = now
	}
	if out.NextAttemptAt.IsZero() {
		out.NextAttemptAt = now
	}
	return out, nil
}

// signInGuard is the rule that keeps every account a way in: a verified email address counts
// only when mail (and so magic links) is configured.
func (m mailer) signInGuard() *gatehouse.SignInGuard {
	return &gatehouse.SignInGuard{MagicLinks: m.MailEnabled()}
}
