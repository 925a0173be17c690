package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/auth"
)

// ConsentView is one remembered consent, for the account page.
type ConsentView struct {
	ClientID   string
	ClientName string
	Scopes     []string
	GrantedAt  time.Time
}

var errConsentsOfPersons = gatehouse.Errorf(gatehouse.CodeInsufficientPerms, "Only a person's account has application consents.")

// ListConsents returns the person's remembered consents, newest first. A client deleted since
// is listed with an empty name.
func (p *Provider) ListConsents(ctx context.Context, pr *gatehouse.Principal) ([]ConsentView, error) {
	if !isAccount(pr) {
		return nil, errConsentsOfPersons
	}
	consents, err := p.store.ListConsents(ctx, pr.User.ID)
	if err != nil {
		return nil, err
	}
	out := make([]ConsentView, 0, len(consents))
	for _, c := range consents {
		v := ConsentView{ClientID: c.ClientID, Scopes: c.Scopes, GrantedAt: c.GrantedAt}
		client, err := p.clients.Lookup(ctx, c.ClientID)
		switch {
		case err == nil:
			v.ClientName = client.Name
		case !isDomainError(err):
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// RevokeConsent forgets a consent and revokes the client's refresh families of the user.
func (p *Provider) RevokeConsent(ctx context.Context, pr *gatehouse.Principal, clientID string, meta auth.Meta) error {
	if !isAccount(pr) {
		return errConsentsOfPersons
	}
	err := p.store.RevokeConsent(ctx, pr.User.ID, clientID, p.now())
	if errors.Is(err, gatehouse.ErrNotFound) {
		return gatehouse.Errorf(gatehouse.CodeNotFound, "No consent to that application.")
	}
	if err != nil {
		return err
	}
	orgID := ""
	if c, err := p.clients.Lookup(ctx, clientID); err == nil {
		orgID = c.OrgID
	}
	p.audit(ctx, EventConsentRevoked, pr.User.ID, clientID, orgID, meta, map[string]any{"client_id": clientID})
	return nil
}
