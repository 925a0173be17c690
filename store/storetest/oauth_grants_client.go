package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// testOAuthGrantsDeletedWithClient: deleting an OAuth client deletes, in the same transaction,
// its refresh families, codes, device flows and consents; another client's grants stay.
func testOAuthGrantsDeletedWithClient(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "appuser")
	org := mustCreateOrg(t, s, "apps", base)
	gone := mustCreateOAuthClient(t, s, newOAuthClient(org.ID, base))
	stays := mustCreateOAuthClient(t, s, newOAuthClient(org.ID, base.Add(time.Millisecond)))

	code := newCode(u.ID, base, time.Hour)
	code.ClientID = gone.ID
	mustCreateCode(t, s, code)
	tok := mustFamily(t, s, u.ID, gone.ID, base, time.Hour)
	kept := mustFamily(t, s, u.ID, stays.ID, base, time.Hour)
	d := newDevice(base, time.Hour)
	d.ClientID = gone.ID
	mustCreateDevice(t, s, d)
	for _, c := range []string{gone.ID, stays.ID} {
		if err := s.GrantConsent(ctx, &gatehouse.Consent{UserID: u.ID, ClientID: c, Scopes: []string{"openid"}, GrantedAt: base}); err != nil {
			t.Fatal(err)
		}
	}

	if err := s.DeleteOAuthClient(ctx, org.ID, gone.ID); err != nil {
		t.Fatalf("DeleteOAuthClient: %v", err)
	}
	_, err := s.RedeemAuthorizationCode(ctx, code.CodeHash, at(time.Minute), "jti", at(time.Hour), nil)
	wantNotFound(t, "the deleted client's code", err)
	_, err = s.RefreshTokenByHash(ctx, tok.TokenHash)
	wantNotFound(t, "the deleted client's refresh token", err)
	_, _, err = s.PollDeviceAuthorization(ctx, d.DeviceCodeHash, gone.ID, at(time.Minute))
	wantNotFound(t, "the deleted client's device flow", err)
	_, err = s.ConsentFor(ctx, u.ID, gone.ID)
	wantNotFound(t, "the consent to the deleted client", err)
	if _, err := s.RefreshTokenByHash(ctx, kept.TokenHash); err != nil {
		t.Errorf("another client's token went too: %v", err)
	}
	if _, err := s.ConsentFor(ctx, u.ID, stays.ID); err != nil {
		t.Errorf("another client's consent went too: %v", err)
	}
	wantNotFound(t, "DeleteOAuthClient again", s.DeleteOAuthClient(ctx, org.ID, gone.ID))
}
