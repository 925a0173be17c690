package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Tests of RecordCredentialUses (the list is in pats.go).

func testRecordCredentialUses(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "user")
	o := mustCreateOrg(t, s, "org", base)
	// Each case starts from a fresh PAT and API key, with the uses in stored first.
	cases := []struct {
		name    string
		stored  *gatehouse.CredentialUse // recorded in an earlier batch (Kind and ID filled in)
		batch   []gatehouse.CredentialUse
		wantAt  *time.Time
		wantIP  string
		wantErr gatehouse.Code
	}{
		{"first use", nil, []gatehouse.CredentialUse{{At: at(time.Minute), IP: "192.0.2.1"}}, ptr(at(time.Minute)), "192.0.2.1", ""},
		{"later use moves forward", &gatehouse.CredentialUse{At: at(time.Minute), IP: "192.0.2.1"},
			[]gatehouse.CredentialUse{{At: at(time.Hour), IP: "192.0.2.2"}}, ptr(at(time.Hour)), "192.0.2.2", ""},
		{"earlier use never moves back", &gatehouse.CredentialUse{At: at(time.Hour), IP: "192.0.2.1"},
			[]gatehouse.CredentialUse{{At: at(time.Minute), IP: "192.0.2.2"}}, ptr(at(time.Hour)), "192.0.2.1", ""},
		{"use at the same time keeps the stored one", &gatehouse.CredentialUse{At: at(time.Hour), IP: "192.0.2.1"},
			[]gatehouse.CredentialUse{{At: at(time.Hour), IP: "192.0.2.2"}}, ptr(at(time.Hour)), "192.0.2.1", ""},
		{"latest in a batch wins whatever the order", nil, []gatehouse.CredentialUse{
			{At: at(2 * time.Minute), IP: "192.0.2.2"}, {At: at(3 * time.Minute), IP: "192.0.2.3"},
			{At: at(time.Minute), IP: "192.0.2.1"}}, ptr(at(3 * time.Minute)), "192.0.2.3", ""},
		{"times in another zone", nil, []gatehouse.CredentialUse{{At: at(time.Minute).In(time.FixedZone("Y", 3600)), IP: "2001:db8::7"}},
			ptr(at(time.Minute)), "2001:db8::7", ""},
		{"unknown kind rejects the batch", nil, []gatehouse.CredentialUse{
			{At: at(time.Minute), IP: "192.0.2.1"}, {Kind: gatehouse.CredentialSession, ID: "ses_x", At: at(time.Minute)}},
			nil, "", gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		for _, kind := range []string{gatehouse.CredentialPAT, gatehouse.CredentialAPIKey} {
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				pat := mustCreatePAT(t, s, newPAT(u.ID, base))
				key := mustCreateAPIKey(t, s, newAPIKey(o.ID, base))
				id := pat.ID
				if kind == gatehouse.CredentialAPIKey {
					id = key.ID
				}
				fill := func(use gatehouse.CredentialUse) gatehouse.CredentialUse {
					if use.Kind == "" {
						use.Kind, use.ID = kind, id
					}
					return use
				}
				if c.stored != nil {
					if err := s.RecordCredentialUses(ctx, []gatehouse.CredentialUse{fill(*c.stored)}); err != nil {
						t.Fatalf("RecordCredentialUses (earlier batch): %v", err)
					}
				}
				batch := make([]gatehouse.CredentialUse, len(c.batch))
				for i, use := range c.batch {
					batch[i] = fill(use)
				}
				err := s.RecordCredentialUses(ctx, batch)
				wantCode(t, "RecordCredentialUses", err, c.wantErr)
				noLeak(t, err)
				gotAt, gotIP := lastUse(t, s, kind, pat, key)
				if stampPtr(gotAt) != stampPtr(c.wantAt) || gotIP != c.wantIP {
					t.Errorf("last use %s from %q, want %s from %q", stampPtr(gotAt), gotIP, stampPtr(c.wantAt), c.wantIP)
				}
				// The other kind of credential is untouched.
				other := gatehouse.CredentialAPIKey
				if kind == gatehouse.CredentialAPIKey {
					other = gatehouse.CredentialPAT
				}
				if gotAt, gotIP := lastUse(t, s, other, pat, key); gotAt != nil || gotIP != "" {
					t.Errorf("the %s was marked used (%s from %q)", other, stampPtr(gotAt), gotIP)
				}
			})
		}
	}
}

// lastUse returns the stored last use of the PAT or the key.
func lastUse(t *testing.T, s gatehouse.Store, kind string, pat *gatehouse.PersonalAccessToken, key *gatehouse.APIKey) (*time.Time, string) {
	t.Helper()
	if kind == gatehouse.CredentialPAT {
		got, _, err := s.PATByTokenHash(t.Context(), pat.TokenHash)
		if err != nil {
			t.Fatalf("PATByTokenHash: %v", err)
		}
		return got.LastUsedAt, got.LastUsedIP
	}
	got, err := s.APIKeyByTokenHash(t.Context(), key.TokenHash)
	if err != nil {
		t.Fatalf("APIKeyByTokenHash: %v", err)
	}
	return got.LastUsedAt, got.LastUsedIP
}

func testRecordCredentialUsesBatch(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "batcher")
	o := mustCreateOrg(t, s, "batchers", base)
	pats := []*gatehouse.PersonalAccessToken{mustCreatePAT(t, s, newPAT(u.ID, base)), mustCreatePAT(t, s, newPAT(u.ID, base))}
	keys := []*gatehouse.APIKey{mustCreateAPIKey(t, s, newAPIKey(o.ID, base)), mustCreateAPIKey(t, s, newAPIKey(o.ID, base))}
	t.Run("empty batch", func(t *testing.T) {
		if err := s.RecordCredentialUses(ctx, nil); err != nil {
			t.Errorf("RecordCredentialUses(nil): %v", err)
		}
	})
	batch := []gatehouse.CredentialUse{
		{Kind: gatehouse.CredentialPAT, ID: pats[0].ID, At: at(time.Minute), IP: "192.0.2.1"},
		{Kind: gatehouse.CredentialAPIKey, ID: keys[1].ID, At: at(2 * time.Minute), IP: "192.0.2.2"},
		{Kind: gatehouse.CredentialPAT, ID: "pat_00000000000000000000000000", At: at(time.Minute), IP: "192.0.2.9"},
		{Kind: gatehouse.CredentialAPIKey, ID: "key_00000000000000000000000000", At: at(time.Minute), IP: "192.0.2.9"},
		// A PAT's ID given as an API key's is an unknown key.
		{Kind: gatehouse.CredentialAPIKey, ID: pats[1].ID, At: at(time.Minute), IP: "192.0.2.9"},
		{Kind: gatehouse.CredentialPAT, ID: pats[0].ID, At: at(3 * time.Minute), IP: "192.0.2.3"},
	}
	if err := s.RecordCredentialUses(ctx, batch); err != nil {
		t.Fatalf("RecordCredentialUses: %v", err)
	}
	cases := []struct {
		name   string
		kind   string
		pat    *gatehouse.PersonalAccessToken
		key    *gatehouse.APIKey
		wantAt *time.Time
		wantIP string
	}{
		{"PAT used twice", gatehouse.CredentialPAT, pats[0], nil, ptr(at(3 * time.Minute)), "192.0.2.3"},
		{"PAT not used", gatehouse.CredentialPAT, pats[1], nil, nil, ""},
		{"key not used", gatehouse.CredentialAPIKey, nil, keys[0], nil, ""},
		{"key used", gatehouse.CredentialAPIKey, nil, keys[1], ptr(at(2 * time.Minute)), "192.0.2.2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gotAt, gotIP := lastUse(t, s, c.kind, c.pat, c.key)
			if stampPtr(gotAt) != stampPtr(c.wantAt) || gotIP != c.wantIP {
				t.Errorf("last use %s from %q, want %s from %q", stampPtr(gotAt), gotIP, stampPtr(c.wantAt), c.wantIP)
			}
		})
	}
}
