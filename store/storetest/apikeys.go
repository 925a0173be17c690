package storetest

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func apiKeyTests() []test {
	return []test{
		{"CreateAndLookup", testAPIKeyCreateAndLookup},
		{"Defaults", testAPIKeyDefaults},
		{"CreateErrors", testAPIKeyCreateErrors},
		{"LookupNotFound", testAPIKeyLookupNotFound},
		{"ByIDScopedToOrg", testAPIKeyByID},
		{"List", testListAPIKeys},
		{"Revoke", testRevokeAPIKey},
		{"Rotate", testRotateAPIKey},
		{"RotateErrors", testRotateAPIKeyErrors},
	}
}

// newAPIKey returns an unsaved key of orgID created at created, with every field set.
func newAPIKey(orgID string, created time.Time) *gatehouse.APIKey {
	return &gatehouse.APIKey{
		ID:           gatehouse.NewID(gatehouse.PrefixAPIKey, created, nil),
		OrgID:        orgID,
		Name:         "backend",
		Environment:  gatehouse.EnvironmentLive,
		Prefix:       "sk_live_AbCd…wxyz",
		TokenHash:    randomHash(),
		Scopes:       []string{"calls:read", "calls:write"},
		AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::/32")},
		RateLimit:    &gatehouse.Rate{Limit: 100, Period: time.Minute},
		CreatedBy:    "usr_01hxyzcreator000000000000",
		CreatedAt:    created,
		ExpiresAt:    ptr(created.Add(365 * 24 * time.Hour)),
	}
}

func mustCreateAPIKey(t *testing.T, s gatehouse.Store, k *gatehouse.APIKey) *gatehouse.APIKey {
	t.Helper()
	if err := s.CreateAPIKey(t.Context(), k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	return k
}

type apiKeyView struct {
	ID, OrgID, Name, Environment, Prefix, TokenHash string
	Scopes, AllowedCIDRs, RateLimit, CreatedBy      string
	CreatedAt, ExpiresAt, ReplacedBy                string
	LastUsedAt, LastUsedIP, RevokedAt, RevokeReason string
}

func viewAPIKey(k *gatehouse.APIKey) apiKeyView {
	rate := "nil"
	if k.RateLimit != nil {
		rate = fmt.Sprintf("%d per %v", k.RateLimit.Limit, k.RateLimit.Period)
	}
	return apiKeyView{
		ID: k.ID, OrgID: k.OrgID, Name: k.Name, Environment: k.Environment, Prefix: k.Prefix,
		TokenHash: fmt.Sprintf("%x", k.TokenHash), Scopes: fmt.Sprintf("%q", k.Scopes),
		AllowedCIDRs: fmt.Sprintf("%v", k.AllowedCIDRs), RateLimit: rate, CreatedBy: k.CreatedBy,
		CreatedAt: stamp(k.CreatedAt), ExpiresAt: stampPtr(k.ExpiresAt), ReplacedBy: k.ReplacedBy,
		LastUsedAt: stampPtr(k.LastUsedAt), LastUsedIP: k.LastUsedIP, RevokedAt: stampPtr(k.RevokedAt),
		RevokeReason: k.RevokeReason,
	}
}

// checkAPIKey fails t unless got equals want (times compared as UTC instants) and its lists are
// non-nil.
func checkAPIKey(t *testing.T, what string, got, want *gatehouse.APIKey) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil key", what)
	}
	w := *want
	w.CreatedAt = utc(w.CreatedAt)
	w.ExpiresAt, w.LastUsedAt, w.RevokedAt = utcPtr(w.ExpiresAt), utcPtr(w.LastUsedAt), utcPtr(w.RevokedAt)
	if w.Scopes == nil {
		w.Scopes = []string{}
	}
	if w.AllowedCIDRs == nil {
		w.AllowedCIDRs = []netip.Prefix{}
	}
	if g, wv := viewAPIKey(got), viewAPIKey(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
	if got.Scopes == nil || got.AllowedCIDRs == nil {
		t.Errorf("%s: Scopes %#v, AllowedCIDRs %#v; want empty slices, not nil", what, got.Scopes, got.AllowedCIDRs)
	}
}

func apiKeyIDs(ks []gatehouse.APIKey) []string {
	ids := make([]string, len(ks))
	for i := range ks {
		ids[i] = ks[i].ID
	}
	return ids
}

func testAPIKeyCreateAndLookup(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "keyholders", base)
	zone := time.FixedZone("X", -3*3600)
	cases := []struct {
		name string
		edit func(k *gatehouse.APIKey)
	}{
		{"every field", func(k *gatehouse.APIKey) {}},
		{"test environment", func(k *gatehouse.APIKey) { k.Environment = gatehouse.EnvironmentTest }},
		{"times in another zone", func(k *gatehouse.APIKey) {
			k.CreatedAt, k.ExpiresAt = k.CreatedAt.In(zone), ptr(k.ExpiresAt.In(zone))
		}},
		{"no expiry, no rate, no lists", func(k *gatehouse.APIKey) {
			k.ExpiresAt, k.RateLimit, k.Scopes, k.AllowedCIDRs = nil, nil, nil, nil
		}},
		{"empty lists", func(k *gatehouse.APIKey) { k.Scopes, k.AllowedCIDRs = []string{}, []netip.Prefix{} }},
		{"CIDRs with host bits and single addresses", func(k *gatehouse.APIKey) {
			k.AllowedCIDRs = []netip.Prefix{netip.MustParsePrefix("10.1.2.3/8"), netip.MustParsePrefix("203.0.113.7/32"),
				netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("0.0.0.0/0")}
		}},
		{"rates of every unit", func(k *gatehouse.APIKey) { k.RateLimit = &gatehouse.Rate{Limit: 5000, Period: 24 * time.Hour} }},
		{"odd rate period", func(k *gatehouse.APIKey) { k.RateLimit = &gatehouse.Rate{Limit: 7, Period: 90 * time.Second} }},
		{"used, replaced and revoked", func(k *gatehouse.APIKey) {
			k.LastUsedAt, k.LastUsedIP = ptr(at(time.Minute)), "192.0.2.44"
			k.ReplacedBy = "key_01hxyznext000000000000000"
			k.RevokedAt, k.RevokeReason = ptr(at(time.Hour)), "compromised"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newAPIKey(o.ID, base)
			c.edit(k)
			mustCreateAPIKey(t, s, k)
			got, err := s.APIKeyByTokenHash(ctx, k.TokenHash)
			if err != nil {
				t.Fatalf("APIKeyByTokenHash: %v", err)
			}
			checkAPIKey(t, "by hash", got, k)
			got, err = s.APIKeyByID(ctx, o.ID, k.ID)
			if err != nil {
				t.Fatalf("APIKeyByID: %v", err)
			}
			checkAPIKey(t, "by ID", got, k)
		})
	}
}

func testAPIKeyDefaults(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "defaults", base)
	k := &gatehouse.APIKey{OrgID: o.ID, Environment: gatehouse.EnvironmentTest, TokenHash: randomHash()}
	before := time.Now().Add(-time.Millisecond)
	if err := s.CreateAPIKey(ctx, k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	if len(k.ID) != len(gatehouse.PrefixAPIKey)+1+26 || k.ID[:4] != "key_" {
		t.Errorf("assigned ID %q, want a key_ ID", k.ID)
	}
	if k.CreatedAt.Before(before) || k.CreatedAt.After(time.Now()) {
		t.Errorf("assigned CreatedAt %v, want about now", k.CreatedAt)
	}
	got, err := s.APIKeyByTokenHash(ctx, k.TokenHash)
	if err != nil {
		t.Fatalf("APIKeyByTokenHash: %v", err)
	}
	checkAPIKey(t, "stored key", got, k)
}

func testAPIKeyCreateErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "strict", base)
	first := mustCreateAPIKey(t, s, newAPIKey(o.ID, base))
	cases := []struct {
		name string
		edit func(k *gatehouse.APIKey)
		code gatehouse.Code
	}{
		{"unknown org", func(k *gatehouse.APIKey) { k.OrgID = "org_00000000000000000000000000" }, gatehouse.CodeNotFound},
		{"token hash taken", func(k *gatehouse.APIKey) { k.TokenHash = first.TokenHash }, gatehouse.CodeConflict},
		{"same ID", func(k *gatehouse.APIKey) { k.ID = first.ID }, gatehouse.CodeConflict},
		{"empty token hash", func(k *gatehouse.APIKey) { k.TokenHash = nil }, gatehouse.CodeInvalidRequest},
		{"token hash too long", func(k *gatehouse.APIKey) { k.TokenHash = make([]byte, 65) }, gatehouse.CodeInvalidRequest},
		{"unknown environment", func(k *gatehouse.APIKey) { k.Environment = "staging" }, gatehouse.CodeInvalidRequest},
		{"no environment", func(k *gatehouse.APIKey) { k.Environment = "" }, gatehouse.CodeInvalidRequest},
		{"zero rate", func(k *gatehouse.APIKey) { k.RateLimit = &gatehouse.Rate{} }, gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newAPIKey(o.ID, base)
			c.edit(k)
			err := s.CreateAPIKey(ctx, k)
			wantCode(t, "CreateAPIKey", err, c.code)
			noLeak(t, err)
		})
	}
	list, err := s.ListAPIKeys(ctx, o.ID, base)
	if err != nil || len(list) != 1 {
		t.Errorf("ListAPIKeys = %v, %v; want only the first key", apiKeyIDs(list), err)
	}
}

func testAPIKeyLookupNotFound(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "lookups", base)
	u := mustCreateUser(t, s, "holder")
	k := mustCreateAPIKey(t, s, newAPIKey(o.ID, base))
	cases := []struct {
		name string
		hash []byte
	}{
		{"unknown hash", randomHash()},
		{"prefix of a hash", k.TokenHash[:16]},
		{"empty", nil},
		{"too long", bytes.Repeat([]byte{1}, 65)},
		{"a PAT's hash", mustCreatePAT(t, s, newPAT(u.ID, base)).TokenHash},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.APIKeyByTokenHash(ctx, c.hash)
			wantNotFound(t, "APIKeyByTokenHash", err)
		})
	}
}

func testAPIKeyByID(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	mine := mustCreateOrg(t, s, "mine", base)
	theirs := mustCreateOrg(t, s, "theirs", base)
	k := mustCreateAPIKey(t, s, newAPIKey(mine.ID, base))
	cases := []struct {
		name, orgID, id string
		found           bool
	}{
		{"own key", mine.ID, k.ID, true},
		{"another org's key", theirs.ID, k.ID, false},
		{"unknown org", "org_00000000000000000000000000", k.ID, false},
		{"unknown key", mine.ID, "key_00000000000000000000000000", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.APIKeyByID(ctx, c.orgID, c.id)
			if c.found {
				if err != nil {
					t.Fatalf("APIKeyByID: %v", err)
				}
				checkAPIKey(t, "key", got, k)
				return
			}
			wantNotFound(t, "APIKeyByID", err)
		})
	}
}

func testListAPIKeys(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "listing", base)
	other := mustCreateOrg(t, s, "elsewhere", base)
	now := at(24 * time.Hour)
	mk := func(created time.Time, expires *time.Time) *gatehouse.APIKey {
		k := newAPIKey(o.ID, created)
		k.ExpiresAt = expires
		return mustCreateAPIKey(t, s, k)
	}
	oldest := mk(base, nil)
	middle := mk(at(time.Hour), ptr(now.Add(time.Millisecond)))
	newest := mk(at(2*time.Hour), ptr(now.Add(time.Hour)))
	mk(at(3*time.Hour), ptr(now))                 // expires exactly at now
	mk(at(4*time.Hour), ptr(now.Add(-time.Hour))) // expired
	revoked := mk(at(5*time.Hour), nil)
	mustCreateAPIKey(t, s, newAPIKey(other.ID, at(6*time.Hour)))
	if err := s.RevokeAPIKey(ctx, o.ID, revoked.ID, at(6*time.Hour), "unused"); err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	got, err := s.ListAPIKeys(ctx, o.ID, now)
	if err != nil {
		t.Fatalf("ListAPIKeys: %v", err)
	}
	if want := []string{newest.ID, middle.ID, oldest.ID}; !slices.Equal(apiKeyIDs(got), want) {
		t.Fatalf("ListAPIKeys = %v, want %v (active only, newest first)", apiKeyIDs(got), want)
	}
	checkAPIKey(t, "listed key", &got[0], newest)
	none, err := s.ListAPIKeys(ctx, "org_00000000000000000000000000", now)
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListAPIKeys of an unknown org = %#v, %v; want an empty list", none, err)
	}
}

func testRevokeAPIKey(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "revokers", base)
	other := mustCreateOrg(t, s, "others", base)
	k := mustCreateAPIKey(t, s, newAPIKey(o.ID, base))
	theirs := mustCreateAPIKey(t, s, newAPIKey(other.ID, base))
	if err := s.RevokeAPIKey(ctx, o.ID, k.ID, at(time.Hour), "compromised"); err != nil {
		t.Fatalf("RevokeAPIKey: %v", err)
	}
	want := *k
	want.RevokedAt, want.RevokeReason = ptr(at(time.Hour)), "compromised"
	got, err := s.APIKeyByTokenHash(ctx, k.TokenHash)
	if err != nil {
		t.Fatalf("APIKeyByTokenHash of a revoked key: %v (revoked keys are still returned)", err)
	}
	checkAPIKey(t, "revoked key", got, &want)
	cases := []struct {
		name, orgID, id string
	}{
		{"already revoked", o.ID, k.ID},
		{"another org's key", o.ID, theirs.ID},
		{"unknown key", o.ID, "key_00000000000000000000000000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.RevokeAPIKey(ctx, c.orgID, c.id, at(2*time.Hour), "again")
			wantNotFound(t, "RevokeAPIKey", err)
			noLeak(t, err)
		})
	}
	got, _ = s.APIKeyByTokenHash(ctx, k.TokenHash)
	checkAPIKey(t, "revoked key after failed revocations", got, &want)
	got, _ = s.APIKeyByTokenHash(ctx, theirs.TokenHash)
	checkAPIKey(t, "other org's key", got, theirs)
}
