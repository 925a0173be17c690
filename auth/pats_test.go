package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
)

// spyStore is the real SQLite store, counting the calls the tests care about and optionally
// failing RecordCredentialUses (to check that a failed flush keeps its batch).
type spyStore struct {
	gatehouse.Store
	mu           sync.Mutex
	recordCalls  [][]gatehouse.CredentialUse
	recordFail   error
	patLookups   int
	auditsByType map[string][]gatehouse.AuditEvent
}

func (s *spyStore) RecordCredentialUses(ctx context.Context, uses []gatehouse.CredentialUse) error {
	s.mu.Lock()
	fail := s.recordFail
	s.recordCalls = append(s.recordCalls, append([]gatehouse.CredentialUse(nil), uses...))
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	return s.Store.RecordCredentialUses(ctx, uses)
}

func (s *spyStore) PATByTokenHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, *gatehouse.User, error) {
	s.mu.Lock()
	s.patLookups++
	s.mu.Unlock()
	return s.Store.PATByTokenHash(ctx, hash)
}

func (s *spyStore) AppendAuditEvent(ctx context.Context, e *gatehouse.AuditEvent) error {
	s.mu.Lock()
	if s.auditsByType == nil {
		s.auditsByType = map[string][]gatehouse.AuditEvent{}
	}
	s.auditsByType[e.Type] = append(s.auditsByType[e.Type], *e)
	s.mu.Unlock()
	return s.Store.AppendAuditEvent(ctx, e)
}

func (s *spyStore) calls() [][]gatehouse.CredentialUse {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]gatehouse.CredentialUse(nil), s.recordCalls...)
}

func (s *spyStore) audits(typ string) []gatehouse.AuditEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gatehouse.AuditEvent(nil), s.auditsByType[typ]...)
}

// patFixture is a service over the spied real store with one signed-in person.
type patFixture struct {
	*fixture
	spy     *spyStore
	session *gatehouse.Principal
}

func newPATFixture(t *testing.T) *patFixture {
	t.Helper()
	f := newFixture(t, func(c *Config) { c.APIResources = []string{"calls", "agents", "analytics"} })
	spy := &spyStore{Store: f.store}
	f.svc.Sessions.store, f.svc.Sessions.events = spy, spy
	f.pats.store, f.pats.events = spy, spy
	g := f.register(t, "pat_owner", "")
	p, err := f.svc.Sessions.Authenticate(context.Background(), g.Token, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return &patFixture{fixture: f, spy: spy, session: p}
}

func (f *patFixture) createPAT(t *testing.T, in PATInput) *PATGrant {
	t.Helper()
	g, err := f.pats.Create(context.Background(), f.session, in, Meta{IP: "192.0.2.1"})
	if err != nil {
		t.Fatalf("CreatePAT(%+v): %v", in, err)
	}
	return g
}

func TestUsageRecorderLatestUseWins(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	type use struct {
		ip string
		at time.Duration
	}
	cases := []struct {
		name   string
		uses   []use
		wantIP string
		wantAt time.Duration
		count  int64
	}{
		{"one use", []use{{"192.0.2.1", 0}}, "192.0.2.1", 0, 1},
		{"later use wins", []use{{"192.0.2.1", 0}, {"192.0.2.2", time.Second}}, "192.0.2.2", time.Second, 2},
		{"an older use arriving late does not win", []use{{"192.0.2.2", 2 * time.Second}, {"192.0.2.1", time.Second}}, "192.0.2.2", 2 * time.Second, 2},
		{"equal times: the last recorded wins", []use{{"192.0.2.1", 0}, {"192.0.2.3", 0}}, "192.0.2.3", 0, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r usageRecorder
			for _, u := range c.uses {
				r.Record(gatehouse.CredentialAPIKey, "key_1", u.ip, t0.Add(u.at))
			}
			batch := r.take()
			got, ok := batch[usageKey{gatehouse.CredentialAPIKey, "key_1"}]
			if !ok || len(batch) != 1 {
				t.Fatalf("batch %+v, want one entry for key_1", batch)
			}
			if got.ip != c.wantIP || !got.at.Equal(t0.Add(c.wantAt)) || got.count != c.count {
				t.Fatalf("got %+v, want ip %s at +%v count %d", got, c.wantIP, c.wantAt, c.count)
			}
			if again := r.take(); len(again) != 0 {
				t.Fatalf("take left %d entries behind", len(again))
			}
		})
	}
}

func TestUsageRecorderPutBackMergesWithNewerUses(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var r usageRecorder
	r.Record(gatehouse.CredentialPAT, "pat_1", "192.0.2.1", t0)
	r.Record(gatehouse.CredentialPAT, "pat_2", "192.0.2.1", t0.Add(3*time.Second))
	failed := r.take()
	r.Record(gatehouse.CredentialPAT, "pat_1", "192.0.2.9", t0.Add(time.Second)) // newer, arrived during the failed flush
	r.Record(gatehouse.CredentialPAT, "pat_2", "192.0.2.9", t0.Add(time.Second)) // older than the failed batch's
	r.putBack(failed)
	batch := r.take()
	want := map[string]pendingUse{
		"pat_1": {at: t0.Add(time.Second), ip: "192.0.2.9", count: 2},
		"pat_2": {at: t0.Add(3 * time.Second), ip: "192.0.2.1", count: 2},
	}
	for id, w := range want {
		got := batch[usageKey{gatehouse.CredentialPAT, id}]
		if !got.at.Equal(w.at) || got.ip != w.ip || got.count != w.count {
			t.Errorf("%s: got %+v, want %+v", id, got, w)
		}
	}
}

func TestFlushUsageWritesOneCallPerFlush(t *testing.T) {
	f := newPATFixture(t)
	ctx := context.Background()
	a := f.createPAT(t, PATInput{Name: "ci", ExpiresIn: "30d"})
	b := f.createPAT(t, PATInput{Name: "laptop", ExpiresIn: "never"})

	if err := f.svc.Sessions.FlushUsage(ctx); err != nil || len(f.spy.calls()) != 0 {
		t.Fatalf("an empty flush wrote: %v, %d calls", err, len(f.spy.calls()))
	}
	for i := 0; i < 50; i++ {
		for _, g := range []*PATGrant{a, b} {
			f.clock.advance(time.Millisecond)
			if _, err := f.svc.Sessions.Authenticate(ctx, g.Token, Meta{IP: fmt.Sprintf("198.51.100.%d", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(f.spy.calls()); n != 0 {
		t.Fatalf("%d database writes during 100 checks, want none before the flush", n)
	}
	lastUse := f.clock.now()
	if err := f.svc.Sessions.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	calls := f.spy.calls()
	if len(calls) != 1 || len(calls[0]) != 2 {
		t.Fatalf("flush made %d calls (%v), want one call with two uses", len(calls), calls)
	}
	list, err := f.pats.List(ctx, f.session)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		wantAt := lastUse
		if p.ID == a.PAT.ID {
			wantAt = lastUse.Add(-time.Millisecond)
		}
		if p.LastUsedAt == nil || !p.LastUsedAt.Equal(wantAt) || p.LastUsedIP != "198.51.100.49" {
			t.Errorf("%s: last used %v from %q, want %v from 198.51.100.49", p.Name, p.LastUsedAt, p.LastUsedIP, wantAt)
		}
	}
	if err := f.svc.Sessions.FlushUsage(ctx); err != nil || len(f.spy.calls()) != 1 {
		t.Fatalf("a second flush with nothing new wrote again: %v, %d calls", err, len(f.spy.calls()))
	}
}

func TestFlushUsageKeepsTheBatchWhenTheStoreFails(t *testing.T) {
	f := newPATFixture(t)
	ctx := context.Background()
	g := f.createPAT(t, PATInput{Name: "ci", ExpiresIn: "30d"})
	if _, err := f.svc.Sessions.Authenticate(ctx, g.Token, Meta{IP: "203.0.113.7"}); err != nil {
		t.Fatal(err)
	}
	f.spy.mu.Lock()
	f.spy.recordFail = errors.New("database is down")
	f.spy.mu.Unlock()
	if err := f.svc.Sessions.FlushUsage(ctx); err == nil {
		t.Fatal("a failed write was not reported")
	}
	f.spy.mu.Lock()
	f.spy.recordFail = nil
	f.spy.mu.Unlock()
	if err := f.svc.Sessions.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	calls := f.spy.calls()
	if len(calls) != 2 || len(calls[1]) != 1 || calls[1][0].ID != g.PAT.ID || calls[1][0].IP != "203.0.113.7" {
		t.Fatalf("the retry did not carry the kept use: %+v", calls)
	}
}

func TestFlushUsageAggregatesAPIKeyUsedEvents(t *testing.T) {
	f := newPATFixture(t)
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		f.svc.Sessions.RecordAPIKeyUse(&gatehouse.APIKey{ID: "key_a", OrgID: "org_1"}, fmt.Sprintf("192.0.2.%d", i))
		f.clock.advance(time.Millisecond)
	}
	f.svc.Sessions.RecordUse(gatehouse.CredentialAPIKey, "key_b", "2001:db8::1")
	if err := f.svc.Sessions.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	events := f.spy.audits(apiKeyUsedEvent)
	if len(events) != 2 {
		t.Fatalf("%d api_key.used events, want one per key (2)", len(events))
	}
	byKey := map[string]gatehouse.AuditEvent{}
	for _, e := range events {
		byKey[e.SubjectID] = e
	}
	cases := []struct {
		key, org, ip string
		count        int64
	}{
		{"key_a", "org_1", "192.0.2.6", 7},
		{"key_b", "", "2001:db8::1", 1},
	}
	for _, c := range cases {
		e := byKey[c.key]
		if e.OrgID != c.org || e.Details["count"] != c.count || e.Details["ip"] != c.ip {
			t.Errorf("%s: event %+v, want org %q count %d ip %s", c.key, e, c.org, c.count, c.ip)
		}
	}
}

func TestRunUsageFlusherFlushesOnTickAndAtTheEnd(t *testing.T) {
	f := newPATFixture(t)
	g := f.createPAT(t, PATInput{Name: "ci", ExpiresIn: "30d"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.svc.Sessions.RunUsageFlusher(ctx, time.Hour) }()
	if _, err := f.svc.Sessions.Authenticate(context.Background(), g.Token, Meta{IP: "192.0.2.5"}); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	calls := f.spy.calls()
	if len(calls) != 1 || len(calls[0]) != 1 || calls[0][0].ID != g.PAT.ID {
		t.Fatalf("stopping the flusher did not flush the pending use: %+v", calls)
	}
}

func TestCreatePATValidation(t *testing.T) {
	f := newPATFixture(t)
	cases := []struct {
		name string
		in   PATInput
		want gatehouse.Code
	}{
		{"minimal", PATInput{Name: "ci", ExpiresIn: "90d"}, ""},
		{"scopes", PATInput{Name: "reader", ExpiresIn: "1y", Scopes: []string{"calls:read", "*:write"}}, ""},
		{"64 characters", PATInput{Name: strings.Repeat("é", 64), ExpiresIn: "never"}, ""},
		{"no name", PATInput{ExpiresIn: "30d"}, gatehouse.CodeInvalidRequest},
		{"blank name", PATInput{Name: "   ", ExpiresIn: "30d"}, gatehouse.CodeInvalidRequest},
		{"65 characters", PATInput{Name: strings.Repeat("a", 65), ExpiresIn: "30d"}, gatehouse.CodeInvalidRequest},
		{"control character", PATInput{Name: "a\x00b", ExpiresIn: "30d"}, gatehouse.CodeInvalidRequest},
		{"line break", PATInput{Name: "a\nb", ExpiresIn: "30d"}, gatehouse.CodeInvalidRequest},
		{"no expiry choice", PATInput{Name: "ci"}, gatehouse.CodeInvalidRequest},
		{"other expiry", PATInput{Name: "ci", ExpiresIn: "7d"}, gatehouse.CodeInvalidRequest},
		{"unknown resource", PATInput{Name: "ci", ExpiresIn: "30d", Scopes: []string{"billing:read"}}, gatehouse.CodeInvalidRequest},
		{"bad action", PATInput{Name: "ci", ExpiresIn: "30d", Scopes: []string{"calls:delete"}}, gatehouse.CodeInvalidRequest},
		{"reserved scope", PATInput{Name: "ci", ExpiresIn: "30d", Scopes: []string{gatehouse.ReservedScopeVerify}}, gatehouse.CodeInsufficientPerms},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := f.pats.Create(context.Background(), f.session, c.in, Meta{})
			if gatehouse.ErrorCode(err) != c.want {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			if err != nil {
				return
			}
			if !strings.HasPrefix(g.Token, "gth_pat_") || g.PAT.Prefix != token.DisplayPrefix(g.Token) {
				t.Fatalf("token %q… prefix %q", g.Token[:8], g.PAT.Prefix)
			}
			if err := f.pats.Revoke(context.Background(), f.session, g.PAT.ID, Meta{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPATChecks(t *testing.T) {
	f := newPATFixture(t)
	ctx := context.Background()
	g := f.createPAT(t, PATInput{Name: "short", ExpiresIn: "30d", Scopes: []string{"calls:read"}})
	if want := f.clock.now().Add(30 * 24 * time.Hour); g.PAT.ExpiresAt == nil || !g.PAT.ExpiresAt.Equal(want) {
		t.Fatalf("expires at %v, want %v", g.PAT.ExpiresAt, want)
	}
	p, err := f.svc.Sessions.Authenticate(ctx, g.Token, Meta{})
	if err != nil || p.Credential != gatehouse.CredentialPAT || p.PAT.ID != g.PAT.ID || p.User.ID != f.session.User.ID {
		t.Fatalf("Authenticate: %+v, %v", p, err)
	}

	// A PAT may not create PATs, but may list its user's.
	if _, err := f.pats.Create(ctx, p, PATInput{Name: "sibling", ExpiresIn: "never"}, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInsufficientPerms {
		t.Fatalf("a PAT created a PAT: %v", err)
	}
	if list, err := f.pats.List(ctx, p); err != nil || len(list) != 1 {
		t.Fatalf("ListPATs with a PAT: %d, %v", len(list), err)
	}

	// Scopes through Verify.
	if _, err := f.svc.Sessions.Verify(ctx, VerifyInput{Token: g.Token, Scopes: []string{"calls:read"}}, Meta{}); err != nil {
		t.Fatalf("calls:read: %v", err)
	}
	if _, err := f.svc.Sessions.Verify(ctx, VerifyInput{Token: g.Token, Scopes: []string{"calls:write"}}, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInsufficientPerms {
		t.Fatalf("calls:write: %v", err)
	}

	// Expiry.
	f.clock.advance(30*24*time.Hour - time.Millisecond)
	if _, err := f.svc.Sessions.Authenticate(ctx, g.Token, Meta{}); err != nil {
		t.Fatalf("a millisecond before expiry: %v", err)
	}
	f.clock.advance(time.Millisecond)
	if _, err := f.svc.Sessions.Authenticate(ctx, g.Token, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeExpiredToken {
		t.Fatalf("at expiry: %v, want expired_token", err)
	}

	// Revocation.
	h := f.createPAT(t, PATInput{Name: "long", ExpiresIn: "never"})
	if h.PAT.ExpiresAt != nil {
		t.Fatalf("never expires, got %v", h.PAT.ExpiresAt)
	}
	if err := f.pats.Revoke(ctx, f.session, h.PAT.ID, Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Sessions.Authenticate(ctx, h.Token, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidToken {
		t.Fatalf("revoked: %v, want invalid_token", err)
	}
	if err := f.pats.Revoke(ctx, f.session, h.PAT.ID, Meta{}); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		t.Fatalf("revoking twice: %v, want not_found", err)
	}
	if n := len(f.spy.audits(EventTokenIssued)); n != 2 {
		t.Errorf("%d token.issued events, want 2", n)
	}
	if n := len(f.spy.audits(EventTokenRevoked)); n != 1 {
		t.Errorf("%d token.revoked events, want 1", n)
	}
}

func TestPATLimit(t *testing.T) {
	f := newPATFixture(t)
	var first *PATGrant
	for i := 0; i < gatehouse.MaxActivePATs; i++ {
		g := f.createPAT(t, PATInput{Name: fmt.Sprintf("t%d", i), ExpiresIn: "30d"})
		if first == nil {
			first = g
		}
	}
	_, err := f.pats.Create(context.Background(), f.session, PATInput{Name: "one too many", ExpiresIn: "30d"}, Meta{})
	if gatehouse.ErrorCode(err) != gatehouse.CodeTokenLimitReached {
		t.Fatalf("11th PAT: %v, want token_limit_reached", err)
	}
	if err := f.pats.Revoke(context.Background(), f.session, first.PAT.ID, Meta{}); err != nil {
		t.Fatal(err)
	}
	f.createPAT(t, PATInput{Name: "after a revocation", ExpiresIn: "30d"})
}

func TestBadPATChecksumNeverReachesTheStore(t *testing.T) {
	f := newPATFixture(t)
	g := f.createPAT(t, PATInput{Name: "ci", ExpiresIn: "30d"})
	b := []byte(g.Token)
	i := len("gth_pat_") + 5
	if b[i] == 'x' {
		b[i] = 'y'
	} else {
		b[i] = 'x'
	}
	before := f.spy.patLookups
	for _, check := range []func() error{
		func() error {
			_, err := f.svc.Sessions.Authenticate(context.Background(), string(b), Meta{})
			return err
		},
		func() error {
			_, err := f.svc.Sessions.Verify(context.Background(), VerifyInput{Token: string(b)}, Meta{})
			return err
		},
	} {
		if err := check(); gatehouse.ErrorCode(err) != gatehouse.CodeInvalidToken {
			t.Fatalf("changed character: %v, want invalid_token", err)
		}
	}
	if f.spy.patLookups != before {
		t.Fatalf("a token with a bad checksum reached the store (%d lookups)", f.spy.patLookups-before)
	}
}
