package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/store/internal/record"
)

// The group commit of RotateRefreshToken (groupcommit.go). The conformance suite checks the
// contract of RotateRefreshToken; these tests check what the grouping adds: steps of one group
// stand or fall on their own, the group commits once and answers after its commit, a failed
// commit fails every member, and a caller's cancellation touches only that caller.

const gcClient = "cli_01hxyzgroupcommit0000000"

var gcBase = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func gcHash() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	h := sha256.Sum256(b)
	return h[:]
}

// gcNext returns an unsaved next token valid for an hour from now.
func gcNext(now time.Time) *gatehouse.RefreshToken {
	return &gatehouse.RefreshToken{TokenHash: gcHash(), ExpiresAt: now.Add(time.Hour)}
}

// gcUser creates a user named name.
func gcUser(t *testing.T, s *Store, name string) *gatehouse.User {
	t.Helper()
	u := &gatehouse.User{Kind: gatehouse.KindUser, Username: name, Email: name + "@example.com",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$" + name, CreatedAt: gcBase, UpdatedAt: gcBase}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

// gcChain starts a refresh family of userID for gcClient and returns its first token.
func gcChain(t *testing.T, s *Store, userID string) *gatehouse.RefreshToken {
	t.Helper()
	f := &gatehouse.RefreshFamily{ClientID: gcClient, UserID: userID, Scopes: []string{"offline_access"}, CreatedAt: gcBase}
	first := gcNext(gcBase)
	if err := s.CreateRefreshFamily(t.Context(), f, first); err != nil {
		t.Fatalf("CreateRefreshFamily: %v", err)
	}
	return first
}

// gcStored returns the stored token with that hash, or nil when there is none.
func gcStored(t *testing.T, s *Store, hash []byte) *gatehouse.RefreshToken {
	t.Helper()
	r, err := s.RefreshTokenByHash(t.Context(), hash)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("RefreshTokenByHash: %v", err)
	}
	return r
}

// rotationJob is a job of a rotation of hash to next at now, and where its outcome goes.
func rotationJob(ctx context.Context, hash []byte, next *gatehouse.RefreshToken, now time.Time) (*groupJob, *rotation) {
	r := new(rotation)
	return newGroupJob(ctx, r.step(hash, gcClient, next, now)), r
}

func TestGroupCommitManyChains(t *testing.T) {
	s := openSQLiteTemp(t)
	defer s.Close()
	u := gcUser(t, s, "chains")
	const chains, rotations = 48, 8
	tokens := make([][]*gatehouse.RefreshToken, chains) // each chain's tokens, oldest first
	for i := range tokens {
		tokens[i] = []*gatehouse.RefreshToken{gcChain(t, s, u.ID)}
	}
	var wg sync.WaitGroup
	errs := make([]error, chains)
	for i := range chains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 1; k <= rotations; k++ {
				now := gcBase.Add(time.Duration(k) * time.Minute)
				prev, next := tokens[i][k-1], gcNext(now)
				got, err := s.RotateRefreshToken(context.Background(), prev.TokenHash, gcClient, next, now)
				if err != nil {
					errs[i] = fmt.Errorf("rotation %d: %w", k, err)
					return
				}
				if got.ID != prev.ID || got.UsedAt == nil || !got.UsedAt.Equal(now) {
					errs[i] = fmt.Errorf("rotation %d returned %s used at %v, want %s used at %s", k, got.ID, got.UsedAt, prev.ID, now)
					return
				}
				tokens[i] = append(tokens[i], next)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("chain %d: %v", i, err)
		}
	}
	for i, chain := range tokens {
		for k, tok := range chain {
			r := gcStored(t, s, tok.TokenHash)
			switch {
			case r == nil:
				t.Fatalf("chain %d token %d not stored", i, k)
			case r.FamilyRevokedAt != nil:
				t.Errorf("chain %d: family revoked", i)
			case r.FamilyID != chain[0].FamilyID:
				t.Errorf("chain %d token %d in family %s, want %s", i, k, r.FamilyID, chain[0].FamilyID)
			case k < rotations && (r.UsedAt == nil || !r.UsedAt.Equal(gcBase.Add(time.Duration(k+1)*time.Minute))):
				t.Errorf("chain %d token %d used at %v, want once, by rotation %d", i, k, r.UsedAt, k+1)
			case k == rotations && r.UsedAt != nil:
				t.Errorf("chain %d: the newest token is used", i)
			}
		}
	}
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM oauth_refresh_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := chains * (rotations + 1); n != want {
		t.Errorf("%d refresh tokens stored, want %d", n, want)
	}
}

func TestGroupCommitOneGroup(t *testing.T) {
	ctx := t.Context()
	s := openSQLiteTemp(t)
	defer s.Close()
	u := gcUser(t, s, "group")
	now := gcBase.Add(time.Minute)
	a, b, c, d := gcChain(t, s, u.ID), gcChain(t, s, u.ID), gcChain(t, s, u.ID), gcChain(t, s, u.ID)
	old := gcChain(t, s, u.ID) // rotated before the group: its first token is used
	oldNext := gcNext(gcBase)
	if _, err := s.RotateRefreshToken(ctx, old.TokenHash, gcClient, oldNext, gcBase.Add(time.Second)); err != nil {
		t.Fatalf("rotation before the group: %v", err)
	}
	steps := []struct {
		name   string
		hash   []byte
		want   gatehouse.Code // "" for success
		stored bool           // whether its next token is stored afterwards
		taken  []byte         // the hash of its next token when it is one in use
	}{
		{"a rotation", a.TokenHash, "", true, nil},
		{"a rotation of b", b.TokenHash, "", true, nil},
		{"the reuse of a used token: its family is revoked", old.TokenHash, gatehouse.CodeConflict, false, nil},
		{"b again in the same group: reuse of the first's token", b.TokenHash, gatehouse.CodeConflict, false, nil},
		{"an unknown token", gcHash(), gatehouse.CodeNotFound, false, nil},
		{"the newest token of the revoked family", oldNext.TokenHash, gatehouse.CodeNotFound, false, nil},
		{"a rotation whose next token's hash is taken: its own update is rolled back", d.TokenHash, gatehouse.CodeConflict, true, c.TokenHash},
		{"a rotation after the failures", c.TokenHash, "", true, nil},
	}
	jobs := make([]*groupJob, len(steps))
	outs := make([]*rotation, len(steps))
	nexts := make([]*gatehouse.RefreshToken, len(steps))
	for i, st := range steps {
		nexts[i] = gcNext(now)
		if st.taken != nil {
			nexts[i].TokenHash = st.taken
		}
		jobs[i], outs[i] = rotationJob(ctx, st.hash, nexts[i], now)
	}
	s.sqlite.rotations.runGroup(jobs) // one group, deterministically (the writer goroutine is idle)
	for i, st := range steps {
		_, err := outs[i].answer(<-jobs[i].answer)
		if got := gatehouse.ErrorCode(err); got != st.want {
			t.Errorf("%s: answer %v (code %q), want code %q", st.name, err, got, st.want)
		}
		if st.want == gatehouse.CodeConflict && st.taken == nil && (outs[i].tok == nil || !outs[i].reused || outs[i].tok.FamilyRevokedAt == nil) {
			t.Errorf("%s: outcome %+v, want the reused token with its family revoked", st.name, outs[i])
		}
		if got := gcStored(t, s, nexts[i].TokenHash) != nil; got != st.stored {
			t.Errorf("%s: next token stored = %v, want %v", st.name, got, st.stored)
		}
	}
	checks := []struct {
		name          string
		hash          []byte
		used, revoked bool
	}{
		{"a's first token", a.TokenHash, true, false},
		{"a's next token", nexts[0].TokenHash, false, false},
		{"b's first token", b.TokenHash, true, true},
		{"b's next token (the winner's, revoked by the reuse after it)", nexts[1].TokenHash, false, true},
		{"the reused token", old.TokenHash, true, true},
		{"the newest token of the reused family", oldNext.TokenHash, false, true},
		{"c's first token", c.TokenHash, true, false},
		{"d's first token", d.TokenHash, false, false},
	}
	for _, ch := range checks {
		r := gcStored(t, s, ch.hash)
		if r == nil {
			t.Errorf("%s: not stored", ch.name)
			continue
		}
		if got := r.UsedAt != nil; got != ch.used {
			t.Errorf("%s: used = %v, want %v", ch.name, got, ch.used)
		}
		if got := r.FamilyRevokedAt != nil; got != ch.revoked {
			t.Errorf("%s: family revoked = %v, want %v", ch.name, got, ch.revoked)
		}
	}
	var reason string
	if err := s.r.QueryRow(`SELECT revoke_reason FROM oauth_refresh_families WHERE id = ?`, old.FamilyID).Scan(&reason); err != nil {
		t.Fatal(err)
	}
	if reason != record.ReasonRefreshReused {
		t.Errorf("revoke reason %q, want %q", reason, record.ReasonRefreshReused)
	}
}

func TestGroupCommitCommitFails(t *testing.T) {
	s := openSQLiteTemp(t)
	defer s.Close()
	u := gcUser(t, s, "unlucky")
	now := gcBase.Add(time.Minute)
	old := gcChain(t, s, u.ID)
	if _, err := s.RotateRefreshToken(t.Context(), old.TokenHash, gcClient, gcNext(gcBase), gcBase.Add(time.Second)); err != nil {
		t.Fatalf("rotation before: %v", err)
	}
	const n = 6
	firsts := make([]*gatehouse.RefreshToken, n)
	for i := range firsts {
		firsts[i] = gcChain(t, s, u.ID)
	}
	firsts = append(firsts, old) // a reuse in the group: its revocation must not stay either
	injected := errors.New("injected commit failure")
	s.sqlite.rotations.commit = func(tx *sql.Tx) error {
		_ = tx.Rollback()
		return injected
	}
	jobs := make([]*groupJob, len(firsts))
	nexts := make([]*gatehouse.RefreshToken, len(firsts))
	for i, f := range firsts {
		nexts[i] = gcNext(now)
		jobs[i], _ = rotationJob(t.Context(), f.TokenHash, nexts[i], now)
	}
	s.sqlite.rotations.runGroup(jobs)
	for i, j := range jobs {
		if err := <-j.answer; !errors.Is(err, injected) {
			t.Errorf("member %d answered %v, want the commit failure", i, err)
		}
	}
	// Through the public call too: every caller of a failed group gets an error.
	var wg sync.WaitGroup
	errs := make([]error, len(firsts))
	for i, f := range firsts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.RotateRefreshToken(context.Background(), f.TokenHash, gcClient, gcNext(now), now)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, injected) {
			t.Errorf("caller %d answered %v, want the commit failure", i, err)
		}
	}
	s.sqlite.rotations.commit = (*sql.Tx).Commit // the writer is idle: no group reads it now
	for i, f := range firsts {
		r := gcStored(t, s, f.TokenHash)
		if i < n && r.UsedAt != nil {
			t.Errorf("token %d used by a group whose commit failed", i)
		}
		if r.FamilyRevokedAt != nil {
			t.Errorf("token %d: family revoked by a group whose commit failed", i)
		}
		if gcStored(t, s, nexts[i].TokenHash) != nil {
			t.Errorf("token %d: next token stored by a group whose commit failed", i)
		}
	}
	// The store works on: the same rotations now commit.
	for i, f := range firsts[:n] {
		if _, err := s.RotateRefreshToken(t.Context(), f.TokenHash, gcClient, gcNext(now), now); err != nil {
			t.Errorf("rotation %d after the failed commit: %v", i, err)
		}
	}
}

func TestGroupCommitCancel(t *testing.T) {
	now := gcBase.Add(time.Minute)
	cases := []struct {
		name string
		// run rotates victim (whose caller cancels) and bystander, and returns their answers.
		run func(t *testing.T, s *Store, victim, bystander *gatehouse.RefreshToken) (victimErr, bystanderErr error)
		// victimRan says whether the victim's rotation must have happened.
		victimRan bool
	}{
		{"abandoned before the writer claimed it", func(t *testing.T, s *Store, victim, bystander *gatehouse.RefreshToken) (error, error) {
			ctx, cancel := context.WithCancel(t.Context())
			v, _ := rotationJob(ctx, victim.TokenHash, gcNext(now), now)
			b, _ := rotationJob(t.Context(), bystander.TokenHash, gcNext(now), now)
			cancel()
			verr := s.sqlite.rotations.wait(ctx, v) // the caller gives up while queued
			s.sqlite.rotations.runGroup([]*groupJob{v, b})
			return verr, <-b.answer
		}, false},
		{"ctx ended while queued, claimed by the writer", func(t *testing.T, s *Store, victim, bystander *gatehouse.RefreshToken) (error, error) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			v, _ := rotationJob(ctx, victim.TokenHash, gcNext(now), now)
			b, _ := rotationJob(t.Context(), bystander.TokenHash, gcNext(now), now)
			s.sqlite.rotations.runGroup([]*groupJob{v, b})
			return <-v.answer, <-b.answer
		}, false},
		{"ctx ended after the step ran: its result stands", func(t *testing.T, s *Store, victim, bystander *gatehouse.RefreshToken) (error, error) {
			ctx, cancel := context.WithCancel(t.Context())
			var r rotation
			step := r.step(victim.TokenHash, gcClient, gcNext(now), now)
			v := newGroupJob(ctx, func(stepCtx context.Context, tx conn) error {
				err := step(stepCtx, tx)
				cancel() // before the commit and the answer
				return err
			})
			b, _ := rotationJob(t.Context(), bystander.TokenHash, gcNext(now), now)
			go s.sqlite.rotations.runGroup([]*groupJob{v, b})
			verr := s.sqlite.rotations.wait(ctx, v)
			return verr, <-b.answer
		}, true},
		{"cancelled while the writer is busy", func(t *testing.T, s *Store, victim, bystander *gatehouse.RefreshToken) (error, error) {
			hold, err := s.w.BeginTx(t.Context(), nil) // takes the one writer connection
			if err != nil {
				t.Fatal(err)
			}
			berr := make(chan error, 1)
			go func() {
				_, err := s.RotateRefreshToken(context.Background(), bystander.TokenHash, gcClient, gcNext(now), now)
				berr <- err
			}()
			ctx, cancel := context.WithCancel(t.Context())
			verr := make(chan error, 1)
			go func() {
				_, err := s.RotateRefreshToken(ctx, victim.TokenHash, gcClient, gcNext(now), now)
				verr <- err
			}()
			cancel()
			v := <-verr // cannot have run: the writer cannot begin while hold lasts
			_ = hold.Rollback()
			return v, <-berr
		}, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openSQLiteTemp(t)
			defer s.Close()
			u := gcUser(t, s, fmt.Sprintf("cancel%d", i))
			victim, bystander := gcChain(t, s, u.ID), gcChain(t, s, u.ID)
			verr, berr := tc.run(t, s, victim, bystander)
			if berr != nil {
				t.Errorf("the bystander's rotation: %v", berr)
			}
			if r := gcStored(t, s, bystander.TokenHash); r.UsedAt == nil {
				t.Errorf("the bystander's token is not used")
			}
			if tc.victimRan {
				if verr != nil {
					t.Errorf("the victim's answer: %v, want its result (success)", verr)
				}
			} else if !errors.Is(verr, context.Canceled) {
				t.Errorf("the victim's answer: %v, want context.Canceled", verr)
			}
			if got := gcStored(t, s, victim.TokenHash).UsedAt != nil; got != tc.victimRan {
				t.Errorf("the victim's token used = %v, want %v", got, tc.victimRan)
			}
		})
	}
}

func TestGroupCommitClosed(t *testing.T) {
	s := openSQLiteTemp(t)
	u := gcUser(t, s, "closer")
	first := gcChain(t, s, u.ID)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := s.RotateRefreshToken(t.Context(), first.TokenHash, gcClient, gcNext(gcBase), gcBase.Add(time.Minute))
	if !errors.Is(err, errClosed) {
		t.Errorf("RotateRefreshToken after Close: %v, want errClosed", err)
	}
}
