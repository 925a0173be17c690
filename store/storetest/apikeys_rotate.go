package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Tests of RotateAPIKey (the list is in apikeys.go).

func testRotateAPIKey(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "rotators", base)
	rotated := at(24 * time.Hour)
	overlap := rotated.Add(time.Hour) // oldExpiresAt passed to RotateAPIKey
	cases := []struct {
		name        string
		ownExpiry   *time.Time
		wantExpires time.Time
	}{
		{"old key never expired", nil, overlap},
		{"old key expires later than the overlap", ptr(overlap.Add(time.Hour)), overlap},
		{"old key expires within the overlap", ptr(rotated.Add(time.Minute)), rotated.Add(time.Minute)},
		{"old key expires exactly at the overlap's end", ptr(overlap), overlap},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := newAPIKey(o.ID, base)
			old.ExpiresAt = c.ownExpiry
			mustCreateAPIKey(t, s, old)
			next := newAPIKey("", rotated) // OrgID filled from orgID
			next.ID = ""
			next.ExpiresAt = nil
			if err := s.RotateAPIKey(ctx, o.ID, old.ID, next, overlap); err != nil {
				t.Fatalf("RotateAPIKey: %v", err)
			}
			if next.OrgID != o.ID || next.ID == "" {
				t.Fatalf("next key: OrgID %q, ID %q; want the org's and an assigned ID", next.OrgID, next.ID)
			}
			got, err := s.APIKeyByTokenHash(ctx, next.TokenHash)
			if err != nil {
				t.Fatalf("new key: %v", err)
			}
			checkAPIKey(t, "new key", got, next)
			wantOld := *old
			wantOld.ExpiresAt, wantOld.ReplacedBy = ptr(c.wantExpires), next.ID
			got, err = s.APIKeyByID(ctx, o.ID, old.ID)
			if err != nil {
				t.Fatalf("old key: %v", err)
			}
			checkAPIKey(t, "old key", got, &wantOld)
			// During the overlap both keys are listed; after it only the new one.
			list, err := s.ListAPIKeys(ctx, o.ID, rotated)
			if err != nil || !containsID(apiKeyIDs(list), old.ID) || !containsID(apiKeyIDs(list), next.ID) {
				t.Errorf("ListAPIKeys during the overlap = %v, %v; want both keys", apiKeyIDs(list), err)
			}
			list, err = s.ListAPIKeys(ctx, o.ID, c.wantExpires)
			if err != nil || containsID(apiKeyIDs(list), old.ID) || !containsID(apiKeyIDs(list), next.ID) {
				t.Errorf("ListAPIKeys after the overlap = %v, %v; want the new key, not the old", apiKeyIDs(list), err)
			}
		})
	}
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func testRotateAPIKeyErrors(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	o := mustCreateOrg(t, s, "careful", base)
	other := mustCreateOrg(t, s, "outsiders", base)
	rotated := at(24 * time.Hour)
	taken := mustCreateAPIKey(t, s, newAPIKey(other.ID, base))
	cases := []struct {
		name string
		// setup returns the old key's ID and edits next.
		setup func(t *testing.T, next *gatehouse.APIKey) string
		orgID string
		code  gatehouse.Code
	}{
		{"another org's key", func(t *testing.T, next *gatehouse.APIKey) string {
			return mustCreateAPIKey(t, s, newAPIKey(other.ID, base)).ID
		}, o.ID, gatehouse.CodeNotFound},
		{"unknown key", func(t *testing.T, next *gatehouse.APIKey) string {
			return "key_00000000000000000000000000"
		}, o.ID, gatehouse.CodeNotFound},
		{"revoked key", func(t *testing.T, next *gatehouse.APIKey) string {
			k := mustCreateAPIKey(t, s, newAPIKey(o.ID, base))
			if err := s.RevokeAPIKey(ctx, o.ID, k.ID, at(time.Hour), "gone"); err != nil {
				t.Fatalf("RevokeAPIKey: %v", err)
			}
			return k.ID
		}, o.ID, gatehouse.CodeNotFound},
		{"key expired at the new key's creation", func(t *testing.T, next *gatehouse.APIKey) string {
			k := newAPIKey(o.ID, base)
			k.ExpiresAt = ptr(rotated)
			return mustCreateAPIKey(t, s, k).ID
		}, o.ID, gatehouse.CodeNotFound},
		{"new key's hash taken", func(t *testing.T, next *gatehouse.APIKey) string {
			next.TokenHash = taken.TokenHash
			return mustCreateAPIKey(t, s, newAPIKey(o.ID, base)).ID
		}, o.ID, gatehouse.CodeConflict},
		{"new key of another org", func(t *testing.T, next *gatehouse.APIKey) string {
			next.OrgID = other.ID
			return mustCreateAPIKey(t, s, newAPIKey(o.ID, base)).ID
		}, o.ID, gatehouse.CodeInvalidRequest},
		{"new key without environment", func(t *testing.T, next *gatehouse.APIKey) string {
			next.Environment = ""
			return mustCreateAPIKey(t, s, newAPIKey(o.ID, base)).ID
		}, o.ID, gatehouse.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next := newAPIKey(o.ID, rotated)
			oldID := c.setup(t, next)
			before, beforeErr := s.APIKeyByID(ctx, o.ID, oldID)
			err := s.RotateAPIKey(ctx, c.orgID, oldID, next, rotated.Add(time.Hour))
			wantCode(t, "RotateAPIKey", err, c.code)
			noLeak(t, err)
			if !bytes.Equal(next.TokenHash, taken.TokenHash) {
				_, err := s.APIKeyByTokenHash(ctx, next.TokenHash)
				wantNotFound(t, "new key of a failed rotation", err)
			}
			if beforeErr == nil {
				after, err := s.APIKeyByID(ctx, o.ID, oldID)
				if err != nil {
					t.Fatalf("APIKeyByID: %v", err)
				}
				checkAPIKey(t, "old key after a failed rotation", after, before)
			}
		})
	}
}
