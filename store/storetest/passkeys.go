package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func passkeyTests() []test {
	return []test{
		{"CreateAndGet", testPasskeyCreateAndGet},
		{"Defaults", testPasskeyDefaults},
		{"CreateErrors", testPasskeyCreateErrors},
		{"List", testPasskeyList},
		{"Rename", testPasskeyRename},
		{"Delete", testPasskeyDelete},
		{"RecordUse", testPasskeyRecordUse},
		{"RecordUseKeepsCredential", testPasskeyRecordUseKeepsCredential},
		{"RecordUseUnknown", testPasskeyRecordUseUnknown},
		{"RecordUseConcurrent", func(t *testing.T, s gatehouse.Store) { checkConcurrentPasskeyUses(t, s, s) }},
		{"DeletedWithUser", testPasskeyDeletedWithUser},
	}
}

// newPasskey returns an unsaved passkey of userID created at created, with every field set and a
// random credential ID.
func newPasskey(userID, name string, created time.Time) *gatehouse.Passkey {
	credID := randomHash()[:16]
	return &gatehouse.Passkey{
		ID:             gatehouse.NewID(gatehouse.PrefixPasskey, created, nil),
		UserID:         userID,
		Name:           name,
		CredentialID:   credID,
		Credential:     []byte(fmt.Sprintf(`{"id":"%x","publicKey":"pQECAyYgASFYIA"}`, credID)),
		SignCount:      7,
		BackupEligible: true,
		BackupState:    false,
		CreatedAt:      created,
	}
}

// mustCreatePasskey saves p.
func mustCreatePasskey(t *testing.T, s gatehouse.Store, p *gatehouse.Passkey) *gatehouse.Passkey {
	t.Helper()
	if err := s.CreatePasskey(t.Context(), p); err != nil {
		t.Fatalf("CreatePasskey: %v", err)
	}
	return p
}

type passkeyView struct {
	ID, UserID, Name, CredentialID, Credential string
	SignCount                                  uint32
	BackupEligible, BackupState                bool
	CreatedAt, LastUsedAt                      string
}

func viewPasskey(p *gatehouse.Passkey) passkeyView {
	return passkeyView{
		ID: p.ID, UserID: p.UserID, Name: p.Name, CredentialID: fmt.Sprintf("%x", p.CredentialID),
		Credential: string(p.Credential), SignCount: p.SignCount, BackupEligible: p.BackupEligible,
		BackupState: p.BackupState, CreatedAt: stamp(p.CreatedAt), LastUsedAt: stampPtr(p.LastUsedAt),
	}
}

// checkPasskey fails t unless got equals want (times compared as UTC instants).
func checkPasskey(t *testing.T, what string, got, want *gatehouse.Passkey) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil passkey", what)
	}
	w := *want
	w.CreatedAt, w.LastUsedAt = utc(w.CreatedAt), utcPtr(w.LastUsedAt)
	if g, wv := viewPasskey(got), viewPasskey(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
}

// mustPasskey returns the stored passkey with p's credential ID.
func mustPasskey(t *testing.T, s gatehouse.Store, credentialID []byte) *gatehouse.Passkey {
	t.Helper()
	p, _, err := s.PasskeyByCredentialID(t.Context(), credentialID)
	if err != nil {
		t.Fatalf("PasskeyByCredentialID: %v", err)
	}
	return p
}

func passkeyIDs(ps []gatehouse.Passkey) []string {
	ids := make([]string, len(ps))
	for i := range ps {
		ids[i] = ps[i].ID
	}
	return ids
}

func testPasskeyCreateAndGet(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "keyholder")
	p := newPasskey(u.ID, "YubiKey 5C", at(time.Minute).In(time.FixedZone("X", 3600)))
	p.LastUsedAt = ptr(at(2 * time.Minute))
	p.SignCount = 4294967295 // the whole uint32 range survives
	mustCreatePasskey(t, s, p)
	got, gu, err := s.PasskeyByCredentialID(t.Context(), p.CredentialID)
	if err != nil {
		t.Fatalf("PasskeyByCredentialID: %v", err)
	}
	checkPasskey(t, "PasskeyByCredentialID", got, p)
	checkUser(t, "PasskeyByCredentialID user", gu, u)
	_, _, err = s.PasskeyByCredentialID(t.Context(), randomHash()[:16])
	wantNotFound(t, "unknown credential ID", err)
	noLeak(t, err)
}

func testPasskeyDefaults(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "defaults")
	before := time.Now().Add(-time.Second)
	p := &gatehouse.Passkey{UserID: u.ID, CredentialID: []byte{1, 2, 3}, Credential: []byte(`{}`)}
	mustCreatePasskey(t, s, p)
	if !strings.HasPrefix(p.ID, gatehouse.PrefixPasskey+"_") {
		t.Errorf("ID = %q, want prefix %s_", p.ID, gatehouse.PrefixPasskey)
	}
	if p.CreatedAt.Before(before) || p.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", p.CreatedAt)
	}
	checkPasskey(t, "stored", mustPasskey(t, s, p.CredentialID), p)
}

func testPasskeyCreateErrors(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "first")
	other := mustCreateUser(t, s, "second")
	taken := mustCreatePasskey(t, s, newPasskey(u.ID, "taken", base))
	cases := []struct {
		name string
		edit func(p *gatehouse.Passkey)
		code gatehouse.Code // "" for not found
	}{
		{"unknown user", func(p *gatehouse.Passkey) { p.UserID = gatehouse.NewID(gatehouse.PrefixUser, base, nil) }, ""},
		{"no user", func(p *gatehouse.Passkey) { p.UserID = "" }, gatehouse.CodeInvalidRequest},
		{"no credential ID", func(p *gatehouse.Passkey) { p.CredentialID = nil }, gatehouse.CodeInvalidRequest},
		{"no credential", func(p *gatehouse.Passkey) { p.Credential = nil }, gatehouse.CodeInvalidRequest},
		{"credential ID of another user's passkey", func(p *gatehouse.Passkey) { p.CredentialID = taken.CredentialID }, gatehouse.CodeConflict},
		{"ID in use", func(p *gatehouse.Passkey) { p.ID = taken.ID }, gatehouse.CodeConflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPasskey(other.ID, "new", at(time.Minute))
			c.edit(p)
			err := s.CreatePasskey(t.Context(), p)
			if c.code == "" {
				wantNotFound(t, "CreatePasskey", err)
			} else {
				wantCode(t, "CreatePasskey", err, c.code)
			}
			noLeak(t, err)
		})
	}
	if ps, err := s.ListPasskeys(t.Context(), other.ID); err != nil || len(ps) != 0 {
		t.Errorf("ListPasskeys after failed creations = %v, %v; want none", passkeyIDs(ps), err)
	}
	checkPasskey(t, "the taken passkey", mustPasskey(t, s, taken.CredentialID), taken)
}

func testPasskeyList(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "lister")
	other := mustCreateUser(t, s, "bystander")
	second := mustCreatePasskey(t, s, newPasskey(u.ID, "phone", at(2*time.Minute)))
	first := mustCreatePasskey(t, s, newPasskey(u.ID, "laptop", at(time.Minute)))
	mustCreatePasskey(t, s, newPasskey(other.ID, "theirs", base))
	got, err := s.ListPasskeys(t.Context(), u.ID)
	if err != nil {
		t.Fatalf("ListPasskeys: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("ListPasskeys = %v, want [%s %s]", passkeyIDs(got), first.ID, second.ID)
	}
	checkPasskey(t, "oldest", &got[0], first)
	checkPasskey(t, "newest", &got[1], second)
	none, err := s.ListPasskeys(t.Context(), gatehouse.NewID(gatehouse.PrefixUser, base, nil))
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListPasskeys of an unknown user = %#v, %v; want an empty list", none, err)
	}
}

func testPasskeyRename(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "renamer")
	other := mustCreateUser(t, s, "intruder")
	p := mustCreatePasskey(t, s, newPasskey(u.ID, "old name", base))
	cases := []struct {
		name, userID, id string
		ok               bool
	}{
		{"another user's passkey", other.ID, p.ID, false},
		{"unknown passkey", u.ID, gatehouse.NewID(gatehouse.PrefixPasskey, base, nil), false},
		{"own passkey", u.ID, p.ID, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.RenamePasskey(t.Context(), c.userID, c.id, "renamed by "+c.name)
			if c.ok {
				if err != nil {
					t.Fatalf("RenamePasskey: %v", err)
				}
				p.Name = "renamed by " + c.name
			} else {
				wantNotFound(t, "RenamePasskey", err)
			}
			checkPasskey(t, "after RenamePasskey", mustPasskey(t, s, p.CredentialID), p)
		})
	}
}

func testPasskeyDelete(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "deleter")
	other := mustCreateUser(t, s, "intruder")
	p := mustCreatePasskey(t, s, newPasskey(u.ID, "doomed", base))
	keep := mustCreatePasskey(t, s, newPasskey(u.ID, "kept", at(time.Minute)))
	wantNotFound(t, "DeletePasskey of another user's passkey", s.DeletePasskey(ctx, other.ID, p.ID, nil))
	wantNotFound(t, "DeletePasskey of an unknown passkey", s.DeletePasskey(ctx, u.ID, gatehouse.NewID(gatehouse.PrefixPasskey, base, nil), nil))
	if err := s.DeletePasskey(ctx, u.ID, p.ID, nil); err != nil {
		t.Fatalf("DeletePasskey: %v", err)
	}
	wantNotFound(t, "DeletePasskey again", s.DeletePasskey(ctx, u.ID, p.ID, nil))
	_, _, err := s.PasskeyByCredentialID(ctx, p.CredentialID)
	wantNotFound(t, "the deleted passkey", err)
	if got, err := s.ListPasskeys(ctx, u.ID); err != nil || len(got) != 1 || got[0].ID != keep.ID {
		t.Errorf("ListPasskeys after delete = %v, %v; want [%s]", passkeyIDs(got), err, keep.ID)
	}
	// The credential ID is free again.
	again := newPasskey(other.ID, "re-registered", at(2*time.Minute))
	again.CredentialID = p.CredentialID
	mustCreatePasskey(t, s, again)
}

func testPasskeyRecordUse(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "signer")
	cases := []struct {
		name          string
		stored, count uint32
		ok            bool
	}{
		{"both zero: the authenticator does not count", 0, 0, true},
		{"first count", 0, 1, true},
		{"increases by one", 5, 6, true},
		{"jumps ahead", 5, 1000, true},
		{"top of the range", 4294967294, 4294967295, true},
		{"same count", 5, 5, false},
		{"lower count", 5, 4, false},
		{"drops to zero", 5, 0, false},
		{"stays at the top", 4294967295, 4294967295, false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPasskey(u.ID, c.name, at(time.Duration(i)*time.Second))
			p.SignCount, p.BackupState = c.stored, false
			mustCreatePasskey(t, s, p)
			cred := []byte(fmt.Sprintf(`{"count":%d}`, c.count))
			usedAt := at(time.Hour)
			err := s.RecordPasskeyUse(t.Context(), p.ID, c.count, true, cred, usedAt)
			want := *p
			if c.ok {
				if err != nil {
					t.Fatalf("RecordPasskeyUse(%d over %d): %v", c.count, c.stored, err)
				}
				want.SignCount, want.BackupState, want.Credential, want.LastUsedAt = c.count, true, cred, &usedAt
			} else {
				wantCode(t, fmt.Sprintf("RecordPasskeyUse(%d over %d)", c.count, c.stored), err, gatehouse.CodeConflict)
				noLeak(t, err)
			}
			checkPasskey(t, "after RecordPasskeyUse", mustPasskey(t, s, p.CredentialID), &want)
		})
	}
}

func testPasskeyRecordUseKeepsCredential(t *testing.T, s gatehouse.Store) {
	u := mustCreateUser(t, s, "keeper")
	p := mustCreatePasskey(t, s, newPasskey(u.ID, "key", base))
	for i, cred := range [][]byte{nil, {}} {
		usedAt := at(time.Duration(i+1) * time.Minute)
		if err := s.RecordPasskeyUse(t.Context(), p.ID, p.SignCount+1, false, cred, usedAt); err != nil {
			t.Fatalf("RecordPasskeyUse: %v", err)
		}
		p.SignCount, p.LastUsedAt = p.SignCount+1, &usedAt
		got := mustPasskey(t, s, p.CredentialID)
		if !bytes.Equal(got.Credential, p.Credential) {
			t.Errorf("credential %q after a use without one, want the stored %q kept", got.Credential, p.Credential)
		}
		checkPasskey(t, "after RecordPasskeyUse", got, p)
	}
}

func testPasskeyRecordUseUnknown(t *testing.T, s gatehouse.Store) {
	for _, count := range []uint32{0, 1} {
		err := s.RecordPasskeyUse(t.Context(), gatehouse.NewID(gatehouse.PrefixPasskey, base, nil), count, false, []byte(`{}`), base)
		wantNotFound(t, fmt.Sprintf("RecordPasskeyUse(count %d) of an unknown passkey", count), err)
	}
}

// checkConcurrentPasskeyUses lets 10 sign-ins on a and b (the same store or two over one
// database) record the same new sign count at once: exactly one succeeds, the others get
// CodeConflict, and the stored record is the winner's.
func checkConcurrentPasskeyUses(t *testing.T, a, b gatehouse.Store) {
	u := mustCreateUser(t, a, "cloned")
	for round, stored := range []uint32{0, 41} {
		p := newPasskey(u.ID, "racer", at(time.Duration(round)*time.Minute))
		p.SignCount = stored
		mustCreatePasskey(t, a, p)
		const n = 10
		var ok, refused atomic.Int32
		var winner atomic.Int32
		parallel(n, func(i int) {
			s := []gatehouse.Store{a, b}[i%2]
			err := s.RecordPasskeyUse(t.Context(), p.ID, stored+1, true, []byte(fmt.Sprintf(`{"by":%d}`, i)), at(time.Hour))
			switch {
			case err == nil:
				ok.Add(1)
				winner.Store(int32(i))
			case gatehouse.ErrorCode(err) == gatehouse.CodeConflict:
				refused.Add(1)
			default:
				t.Errorf("RecordPasskeyUse: %v", err)
			}
		})
		if ok.Load() != 1 || refused.Load() != n-1 {
			t.Fatalf("stored %d: %d uses succeeded, %d were refused; want 1 and %d", stored, ok.Load(), refused.Load(), n-1)
		}
		got := mustPasskey(t, a, p.CredentialID)
		if want := fmt.Sprintf(`{"by":%d}`, winner.Load()); got.SignCount != stored+1 || string(got.Credential) != want {
			t.Errorf("stored %d: passkey holds count %d and %s, want %d and the winner's %s", stored, got.SignCount, got.Credential, stored+1, want)
		}
	}
}

func testPasskeyDeletedWithUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "leaver")
	keep := mustCreateUser(t, s, "stayer")
	p := mustCreatePasskey(t, s, newPasskey(u.ID, "gone", base))
	kept := mustCreatePasskey(t, s, newPasskey(keep.ID, "kept", base))
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, _, err := s.PasskeyByCredentialID(ctx, p.CredentialID)
	wantNotFound(t, "the deleted user's passkey", err)
	wantNotFound(t, "RecordPasskeyUse of the deleted user's passkey", s.RecordPasskeyUse(ctx, p.ID, 100, false, nil, at(time.Minute)))
	if got, err := s.ListPasskeys(ctx, u.ID); err != nil || len(got) != 0 {
		t.Errorf("ListPasskeys of the deleted user = %v, %v; want none", passkeyIDs(got), err)
	}
	checkPasskey(t, "the other user's passkey", mustPasskey(t, s, kept.CredentialID), kept)
	// The credential ID is free for a new registration.
	again := newPasskey(keep.ID, "again", at(time.Minute))
	again.CredentialID = p.CredentialID
	mustCreatePasskey(t, s, again)
}
