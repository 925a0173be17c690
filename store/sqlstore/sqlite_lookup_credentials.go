package sqlstore

import (
	"net/netip"

	"github.com/gatehouse-auth/gatehouse"
)

// scanPAT reads the 12 token columns from column i on (the order of patColumns).
func (c *lookupConn) scanPAT(i int32) (*gatehouse.PersonalAccessToken, error) {
	var scopes []string
	if err := (listCol{&scopes}).Scan(c.text(i + 5)); err != nil {
		return nil, err
	}
	return &gatehouse.PersonalAccessToken{
		ID: c.text(i), UserID: c.text(i + 1), Name: c.text(i + 2), TokenHash: c.blob(i + 3),
		Prefix: c.text(i + 4), Scopes: scopes, CreatedAt: fromMillis(c.integer(i + 6)),
		ExpiresAt: c.nullTime(i + 7), LastUsedAt: c.nullTime(i + 8), LastUsedIP: c.text(i + 9),
		RevokedAt: c.nullTime(i + 10), RevokeReason: c.text(i + 11),
	}, nil
}

// scanAPIKey reads the 18 key columns from column i on (the order of apiKeyColumns).
func (c *lookupConn) scanAPIKey(i int32) (*gatehouse.APIKey, error) {
	var scopes []string
	var cidrs []netip.Prefix
	if err := (listCol{&scopes}).Scan(c.text(i + 6)); err != nil {
		return nil, err
	}
	if err := (prefixCol{&cidrs}).Scan(c.text(i + 7)); err != nil {
		return nil, err
	}
	return &gatehouse.APIKey{
		ID: c.text(i), OrgID: c.text(i + 1), Name: c.text(i + 2), Environment: c.text(i + 3),
		Prefix: c.text(i + 4), TokenHash: c.blob(i + 5), Scopes: scopes, AllowedCIDRs: cidrs,
		RateLimit: (&rateCol{c.nullInt(i + 8), c.nullInt(i + 9)}).rate(), CreatedBy: c.text(i + 10),
		CreatedAt: fromMillis(c.integer(i + 11)), ExpiresAt: c.nullTime(i + 12), ReplacedBy: c.text(i + 13),
		LastUsedAt: c.nullTime(i + 14), LastUsedIP: c.text(i + 15), RevokedAt: c.nullTime(i + 16),
		RevokeReason: c.text(i + 17),
	}, nil
}
