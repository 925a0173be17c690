package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func oauthClientTests() []test {
	return []test{
		{"CreateAndGet", testOAuthClientCreateAndGet},
		{"Defaults", testOAuthClientDefaults},
		{"CreateErrors", testOAuthClientCreateErrors},
		{"ByIDNotFound", testOAuthClientByIDNotFound},
		{"List", testListOAuthClients},
		{"Delete", testDeleteOAuthClient},
		{"RotateSecret", testRotateOAuthClientSecret},
		{"RotateSecretErrors", testRotateOAuthClientSecretErrors},
		{"BySecretHash", testOAuthClientBySecretHash},
	}
}

// newOAuthClient returns an unsaved confidential client of orgID created at created, with every
// field set.
func newOAuthClient(orgID string, created time.Time) *gatehouse.OAuthClient {
	return &gatehouse.OAuthClient{
		ID:           gatehouse.NewID(gatehouse.PrefixOAuthClient, created, nil),
		OrgID:        orgID,
		Name:         "Acme Dashboard",
		SecretHash:   randomHash(),
		SecretPrefix: "gth_cs_AbCd…",
		RedirectURIs: []string{"https://app.example.com/callback", "http://127.0.0.1/cb"},
		GrantTypes:   []string{"authorization_code", "refresh_token"},
		Scopes:       []string{"openid", "profile", "email"},
		CreatedBy:    "usr_01hxyzcreator000000000000",
		CreatedAt:    created,
		UpdatedAt:    created.Add(time.Second),
	}
}

func mustCreateOAuthClient(t *testing.T, s gatehouse.Store, c *gatehouse.OAuthClient) *gatehouse.OAuthClient {
	t.Helper()
	if err := s.CreateOAuthClient(t.Context(), c); err != nil {
		t.Fatalf("CreateOAuthClient: %v", err)
	}
	return c
}

type oauthClientView struct {
	ID, OrgID, Name                  string
	Public                           bool
	SecretHash, SecretPrefix         string
	RedirectURIs, GrantTypes, Scopes string
	CreatedBy, CreatedAt, UpdatedAt  string
	NilSecretHash                    bool
}

func viewOAuthClient(c *gatehouse.OAuthClient) oauthClientView {
	return oauthClientView{
		ID: c.ID, OrgID: c.OrgID, Name: c.Name, Public: c.Public,
		SecretHash: fmt.Sprintf("%x", c.SecretHash), SecretPrefix: c.SecretPrefix,
		RedirectURIs: fmt.Sprintf("%q", c.RedirectURIs), GrantTypes: fmt.Sprintf("%q", c.GrantTypes),
		Scopes: fmt.Sprintf("%q", c.Scopes), CreatedBy: c.CreatedBy,
		CreatedAt: stamp(c.CreatedAt), UpdatedAt: stamp(c.UpdatedAt),
		NilSecretHash: c.SecretHash == nil,
	}
}

// checkOAuthClient fails t unless got equals want (times compared as UTC instants), its lists
// are non-nil and a public client's secret hash is nil.
func checkOAuthClient(t *testing.T, what string, got, want *gatehouse.OAuthClient) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil client", what)
	}
	w := *want
	w.CreatedAt, w.UpdatedAt = utc(w.CreatedAt), utc(w.UpdatedAt)
	if g, wv := viewOAuthClient(got), viewOAuthClient(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
	if got.RedirectURIs == nil || got.GrantTypes == nil || got.Scopes == nil {
		t.Errorf("%s: nil list (RedirectURIs %v, GrantTypes %v, Scopes %v), want empty non-nil",
			what, got.RedirectURIs == nil, got.GrantTypes == nil, got.Scopes == nil)
	}
}

func testOAuthClientCreateAndGet(t *testing.T, s gatehouse.Store) {
	org := mustCreateOrg(t, s, "acme", base)
	zone := time.FixedZone("X", -5*3600)
	cases := []struct {
		name string
		edit func(c *gatehouse.OAuthClient)
	}{
		{"confidential with every field", func(*gatehouse.OAuthClient) {}},
		{"public", func(c *gatehouse.OAuthClient) { c.Public, c.SecretHash, c.SecretPrefix = true, nil, "" }},
		{"public with an empty hash", func(c *gatehouse.OAuthClient) { c.Public, c.SecretHash = true, []byte{} }},
		{"nil lists", func(c *gatehouse.OAuthClient) { c.RedirectURIs, c.GrantTypes, c.Scopes = nil, nil, nil }},
		{"empty lists", func(c *gatehouse.OAuthClient) {
			c.RedirectURIs, c.GrantTypes, c.Scopes = []string{}, []string{}, []string{}
		}},
		{"odd strings in lists", func(c *gatehouse.OAuthClient) {
			c.RedirectURIs = []string{`https://x.example/cb?a="b",c`, "", "{}"}
		}},
		{"times in another zone", func(c *gatehouse.OAuthClient) {
			c.CreatedAt, c.UpdatedAt = c.CreatedAt.In(zone), c.UpdatedAt.In(zone)
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := newOAuthClient(org.ID, at(time.Duration(i)*time.Minute))
			c.edit(cl)
			mustCreateOAuthClient(t, s, cl)
			want := *cl
			if want.Public {
				want.SecretHash = nil
			}
			for _, l := range []*[]string{&want.RedirectURIs, &want.GrantTypes, &want.Scopes} {
				if *l == nil {
					*l = []string{}
				}
			}
			checkOAuthClient(t, "CreateOAuthClient's client", cl, &want)
			got, err := s.OAuthClientByID(t.Context(), cl.ID)
			if err != nil {
				t.Fatalf("OAuthClientByID: %v", err)
			}
			checkOAuthClient(t, "OAuthClientByID", got, &want)
		})
	}
}

func testOAuthClientDefaults(t *testing.T, s gatehouse.Store) {
	org := mustCreateOrg(t, s, "acme", base)
	before := time.Now().Add(-time.Second)
	c := &gatehouse.OAuthClient{OrgID: org.ID, Public: true, Name: "CLI"}
	mustCreateOAuthClient(t, s, c)
	if !strings.HasPrefix(c.ID, gatehouse.PrefixOAuthClient+"_") {
		t.Errorf("ID = %q, want prefix %s_", c.ID, gatehouse.PrefixOAuthClient)
	}
	if c.CreatedAt.Before(before) || c.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", c.CreatedAt)
	}
	if !c.UpdatedAt.Equal(c.CreatedAt) {
		t.Errorf("UpdatedAt = %v, want CreatedAt %v", c.UpdatedAt, c.CreatedAt)
	}
	got, err := s.OAuthClientByID(t.Context(), c.ID)
	if err != nil {
		t.Fatalf("OAuthClientByID: %v", err)
	}
	checkOAuthClient(t, "OAuthClientByID", got, c)
	if len(got.RedirectURIs)+len(got.GrantTypes)+len(got.Scopes) != 0 {
		t.Errorf("lists = %q %q %q, want empty", got.RedirectURIs, got.GrantTypes, got.Scopes)
	}
}

func testOAuthClientCreateErrors(t *testing.T, s gatehouse.Store) {
	org := mustCreateOrg(t, s, "acme", base)
	taken := mustCreateOAuthClient(t, s, newOAuthClient(org.ID, base))
	cases := []struct {
		name string
		edit func(c *gatehouse.OAuthClient)
		code gatehouse.Code
	}{
		{"no org", func(c *gatehouse.OAuthClient) { c.OrgID = "" }, gatehouse.CodeInvalidRequest},
		{"unknown org", func(c *gatehouse.OAuthClient) {
			c.OrgID = gatehouse.NewID(gatehouse.PrefixOrg, base, nil)
		}, gatehouse.CodeNotFound},
		{"ID taken", func(c *gatehouse.OAuthClient) { c.ID = taken.ID }, gatehouse.CodeConflict},
		{"built-in client ID", func(c *gatehouse.OAuthClient) { c.ID = gatehouse.BuiltInCLIClientID }, gatehouse.CodeConflict},
		{"public with a secret", func(c *gatehouse.OAuthClient) { c.Public = true }, gatehouse.CodeInvalidRequest},
		{"confidential without a secret", func(c *gatehouse.OAuthClient) { c.SecretHash = nil }, gatehouse.CodeInvalidRequest},
		{"secret hash too long", func(c *gatehouse.OAuthClient) { c.SecretHash = make([]byte, 65) }, gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := newOAuthClient(org.ID, at(time.Hour))
			c.edit(cl)
			err := s.CreateOAuthClient(t.Context(), cl)
			wantCode(t, "CreateOAuthClient", err, c.code)
			noLeak(t, err)
		})
	}
	list, err := s.ListOAuthClients(t.Context(), org.ID)
	if err != nil || len(list) != 1 || list[0].ID != taken.ID {
		t.Errorf("ListOAuthClients after the failures = %v, %v; want only %s", clientIDs(list), err, taken.ID)
	}
}

func testOAuthClientByIDNotFound(t *testing.T, s gatehouse.Store) {
	org := mustCreateOrg(t, s, "acme", base)
	mustCreateOAuthClient(t, s, newOAuthClient(org.ID, base))
	cases := []struct{ name, id string }{
		{"unknown ID", gatehouse.NewID(gatehouse.PrefixOAuthClient, base, nil)},
		{"built-in client (not stored)", gatehouse.BuiltInCLIClientID},
		{"empty ID", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.OAuthClientByID(t.Context(), c.id)
			wantNotFound(t, "OAuthClientByID", err)
			noLeak(t, err)
		})
	}
}

// clientIDs returns the IDs of cs in order.
func clientIDs(cs []gatehouse.OAuthClient) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func testListOAuthClients(t *testing.T, s gatehouse.Store) {
	acme := mustCreateOrg(t, s, "acme", base)
	other := mustCreateOrg(t, s, "other", base)
	empty := mustCreateOrg(t, s, "empty", base)
	newer := mustCreateOAuthClient(t, s, newOAuthClient(acme.ID, at(2*time.Minute)))
	older := newOAuthClient(acme.ID, at(time.Minute))
	older.Public, older.SecretHash = true, nil
	mustCreateOAuthClient(t, s, older)
	foreign := mustCreateOAuthClient(t, s, newOAuthClient(other.ID, base))
	cases := []struct {
		name  string
		orgID string
		want  []*gatehouse.OAuthClient
	}{
		{"oldest first", acme.ID, []*gatehouse.OAuthClient{older, newer}},
		{"other org", other.ID, []*gatehouse.OAuthClient{foreign}},
		{"no clients", empty.ID, nil},
		{"unknown org", gatehouse.NewID(gatehouse.PrefixOrg, base, nil), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListOAuthClients(t.Context(), c.orgID)
			if err != nil {
				t.Fatalf("ListOAuthClients: %v", err)
			}
			if got == nil {
				t.Errorf("ListOAuthClients = nil, want a non-nil slice")
			}
			if len(got) != len(c.want) {
				t.Fatalf("ListOAuthClients = %v, want %d clients", clientIDs(got), len(c.want))
			}
			for i, w := range c.want {
				checkOAuthClient(t, fmt.Sprintf("client %d", i), &got[i], w)
			}
		})
	}
}

func testDeleteOAuthClient(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	acme := mustCreateOrg(t, s, "acme", base)
	other := mustCreateOrg(t, s, "other", base)
	victim := mustCreateOAuthClient(t, s, newOAuthClient(acme.ID, base))
	kept := mustCreateOAuthClient(t, s, newOAuthClient(acme.ID, at(time.Minute)))
	cases := []struct {
		name, orgID, id string
		ok              bool
	}{
		{"another org's client", other.ID, victim.ID, false},
		{"unknown client", acme.ID, gatehouse.NewID(gatehouse.PrefixOAuthClient, base, nil), false},
		{"built-in client", acme.ID, gatehouse.BuiltInCLIClientID, false},
		{"own client", acme.ID, victim.ID, true},
		{"already deleted", acme.ID, victim.ID, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.DeleteOAuthClient(ctx, c.orgID, c.id)
			if c.ok {
				if err != nil {
					t.Fatalf("DeleteOAuthClient: %v", err)
				}
				return
			}
			wantNotFound(t, "DeleteOAuthClient", err)
			noLeak(t, err)
		})
	}
	_, err := s.OAuthClientByID(ctx, victim.ID)
	wantNotFound(t, "OAuthClientByID of the deleted client", err)
	list, err := s.ListOAuthClients(ctx, acme.ID)
	if err != nil || len(list) != 1 || list[0].ID != kept.ID {
		t.Errorf("ListOAuthClients = %v, %v; want only %s", clientIDs(list), err, kept.ID)
	}
}

func testRotateOAuthClientSecret(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	org := mustCreateOrg(t, s, "acme", base)
	c := mustCreateOAuthClient(t, s, newOAuthClient(org.ID, base))
	bystander := mustCreateOAuthClient(t, s, newOAuthClient(org.ID, base))
	for i := range 2 {
		t.Run(fmt.Sprintf("rotation %d", i+1), func(t *testing.T) {
			hash, when := randomHash(), at(time.Duration(i+1)*time.Hour).In(time.FixedZone("Y", 7200))
			prefix := fmt.Sprintf("gth_cs_new%d…", i)
			if err := s.RotateOAuthClientSecret(ctx, org.ID, c.ID, hash, prefix, when); err != nil {
				t.Fatalf("RotateOAuthClientSecret: %v", err)
			}
			want := *c
			want.SecretHash, want.SecretPrefix, want.UpdatedAt = hash, prefix, when
			got, err := s.OAuthClientByID(ctx, c.ID)
			if err != nil {
				t.Fatalf("OAuthClientByID: %v", err)
			}
			checkOAuthClient(t, "the rotated client", got, &want)
		})
	}
	got, err := s.OAuthClientByID(ctx, bystander.ID)
	if err != nil {
		t.Fatalf("OAuthClientByID: %v", err)
	}
	checkOAuthClient(t, "the other client", got, bystander)
}

func testRotateOAuthClientSecretErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	acme := mustCreateOrg(t, s, "acme", base)
	other := mustCreateOrg(t, s, "other", base)
	conf := mustCreateOAuthClient(t, s, newOAuthClient(acme.ID, base))
	pub := newOAuthClient(acme.ID, base)
	pub.Public, pub.SecretHash, pub.SecretPrefix = true, nil, ""
	mustCreateOAuthClient(t, s, pub)
	cases := []struct {
		name, orgID, id string
		hash            []byte
		code            gatehouse.Code
	}{
		{"public client", acme.ID, pub.ID, randomHash(), gatehouse.CodeInvalidRequest},
		{"another org's client", other.ID, conf.ID, randomHash(), gatehouse.CodeNotFound},
		{"unknown client", acme.ID, gatehouse.NewID(gatehouse.PrefixOAuthClient, base, nil), randomHash(), gatehouse.CodeNotFound},
		{"empty hash", acme.ID, conf.ID, nil, gatehouse.CodeInvalidRequest},
		{"hash too long", acme.ID, conf.ID, make([]byte, 65), gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.RotateOAuthClientSecret(ctx, c.orgID, c.id, c.hash, "gth_cs_x…", at(time.Hour))
			wantCode(t, "RotateOAuthClientSecret", err, c.code)
			noLeak(t, err)
		})
	}
	for _, want := range []*gatehouse.OAuthClient{conf, pub} {
		got, err := s.OAuthClientByID(ctx, want.ID)
		if err != nil {
			t.Fatalf("OAuthClientByID: %v", err)
		}
		checkOAuthClient(t, "a client after failed rotations", got, want)
	}
}

func testOAuthClientBySecretHash(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	org := mustCreateOrg(t, s, "acme", base)
	c := mustCreateOAuthClient(t, s, newOAuthClient(org.ID, base))
	mustCreateOAuthClient(t, s, newOAuthClient(org.ID, at(time.Minute)))
	pub := newOAuthClient(org.ID, at(2*time.Minute))
	pub.Public, pub.SecretHash, pub.SecretPrefix = true, nil, ""
	mustCreateOAuthClient(t, s, pub)
	got, err := s.OAuthClientBySecretHash(ctx, c.SecretHash)
	if err != nil {
		t.Fatalf("OAuthClientBySecretHash: %v", err)
	}
	checkOAuthClient(t, "the client found by its secret", got, c)
	old := c.SecretHash
	if err := s.RotateOAuthClientSecret(ctx, org.ID, c.ID, randomHash(), "gth_cs_new…", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for name, hash := range map[string][]byte{"a rotated-out secret": old, "an unknown hash": randomHash(), "no hash": nil, "an empty hash": {}} {
		_, err := s.OAuthClientBySecretHash(ctx, hash)
		wantNotFound(t, "OAuthClientBySecretHash of "+name, err)
	}
}
