package mail

import (
	"context"
	"fmt"
	netmail "net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/gatehouse-auth/gatehouse"
)

// Sender delivers one mail. An error means the mail was not delivered and may be retried; it
// never contains the mail's body (its links and codes).
type Sender interface {
	Send(ctx context.Context, m *gatehouse.OutboundMail) error
}

// newMessage builds the MIME message of m from the sender address from: multipart/alternative
// with the text part first and the HTML part second (when m has one). Its Message-ID is derived
// from m.ID, so a mail that is sent twice (a retry after a lost answer) can be recognised.
func newMessage(from string, m *gatehouse.OutboundMail) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@" + messageIDDomain(from))
	if m.CreatedAt.IsZero() {
		msg.SetDate()
	} else {
		msg.SetDateWithValue(m.CreatedAt)
	}
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// messageIDDomain is the domain of the sender address, or "gatehouse.invalid".
func messageIDDomain(from string) string {
	if a, err := netmail.ParseAddress(from); err == nil {
		if _, domain, ok := strings.Cut(a.Address, "@"); ok && domain != "" {
			return domain
		}
	}
	return "gatehouse.invalid"
}
