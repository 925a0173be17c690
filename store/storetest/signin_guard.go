package storetest

import (
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

// guardedUser saves a user with the given ways in: a password, n passkeys, a Google identity and
// a verified email address.
func guardedUser(t *testing.T, s gatehouse.Store, name string, password bool, passkeys int, google, verified bool) (*gatehouse.User, []*gatehouse.Passkey) {
	t.Helper()
	u := newUser(name, base)
	if !password {
		u.PasswordHash = ""
	}
	u.EmailVerified = verified
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	var pks []*gatehouse.Passkey
	for range passkeys {
		pks = append(pks, mustCreatePasskey(t, s, newPasskey(u.ID, "key", base)))
	}
	if google {
		mustCreateIdentity(t, s, newIdentity(u.ID, "google", name+"-sub", base))
	}
	return u, pks
}

// testSignInGuard: a guarded removal of the last way in is refused with nothing deleted; an
// unguarded one (operator repairs) is not checked; a verified email counts only with MagicLinks.
func testSignInGuard(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	guard := &gatehouse.SignInGuard{}
	magic := &gatehouse.SignInGuard{MagicLinks: true}
	cases := []struct {
		name                       string
		password, google, verified bool
		passkeys                   int
		guard                      *gatehouse.SignInGuard
		removePasskey              bool // else unlink Google
		want                       gatehouse.Code
	}{
		{name: "last passkey, nothing else", passkeys: 1, guard: guard, removePasskey: true, want: gatehouse.CodeConflict},
		{name: "last passkey, Google remains", passkeys: 1, google: true, guard: guard, removePasskey: true},
		{name: "one of two passkeys", passkeys: 2, guard: guard, removePasskey: true},
		{name: "last passkey, password remains", password: true, passkeys: 1, guard: guard, removePasskey: true},
		{name: "last passkey, verified email without mail", verified: true, passkeys: 1, guard: guard, removePasskey: true, want: gatehouse.CodeConflict},
		{name: "last passkey, verified email with magic links", verified: true, passkeys: 1, guard: magic, removePasskey: true},
		{name: "last passkey, unguarded", passkeys: 1, removePasskey: true},
		{name: "Google alone", google: true, guard: guard, want: gatehouse.CodeConflict},
		{name: "Google, a passkey remains", google: true, passkeys: 1, guard: guard},
		{name: "Google, unverified email with magic links", google: true, guard: magic, want: gatehouse.CodeConflict},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, pks := guardedUser(t, s, "guard"+string(rune('a'+i)), c.password, c.passkeys, c.google, c.verified)
			var err error
			if c.removePasskey {
				err = s.DeletePasskey(ctx, u.ID, pks[0].ID, c.guard)
			} else {
				err = s.DeleteIdentity(ctx, u.ID, "google", c.guard)
			}
			if got := gatehouse.ErrorCode(err); got != c.want {
				t.Fatalf("error %v, want code %q", err, c.want)
			}
			left, err := s.ListPasskeys(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			ids, err := s.ListIdentities(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			removed := 0
			if len(left) < c.passkeys {
				removed++
			}
			if c.google && len(ids) == 0 {
				removed++
			}
			if want := map[bool]int{true: 0, false: 1}[c.want != ""]; removed != want {
				t.Fatalf("%d removed, want %d", removed, want)
			}
		})
	}
	t.Run("unknown passkey is not found", func(t *testing.T) {
		u, _ := guardedUser(t, s, "guardnf", true, 0, false, false)
		if err := s.DeletePasskey(ctx, u.ID, "pk_unknown", guard); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
			t.Fatalf("got %v, want not found", err)
		}
	})
}

// testSignInGuardConcurrent: an account whose only ways in are one passkey and Google; removing
// both at once, many times over, never leaves it with neither.
func testSignInGuardConcurrent(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	guard := &gatehouse.SignInGuard{}
	for i := range 10 {
		u, pks := guardedUser(t, s, "race"+string(rune('a'+i)), false, 1, true, false)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() { defer wg.Done(); errs[0] = s.DeletePasskey(ctx, u.ID, pks[0].ID, guard) }()
		go func() { defer wg.Done(); errs[1] = s.DeleteIdentity(ctx, u.ID, "google", guard) }()
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch gatehouse.ErrorCode(err) {
			case "":
				ok++
			case gatehouse.CodeConflict:
			default:
				t.Fatalf("round %d: %v", i, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d removals succeeded (%v), want exactly 1", i, ok, errs)
		}
	}
}
