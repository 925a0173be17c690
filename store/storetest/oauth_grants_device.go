package storetest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// newDevice returns an unsaved pending device flow of testClient created at created, valid for
// ttl, polled every 5 s, with random code hashes.
func newDevice(created time.Time, ttl time.Duration) *gatehouse.DeviceAuthorization {
	return &gatehouse.DeviceAuthorization{
		ID:             gatehouse.NewID(gatehouse.PrefixDeviceAuth, created, nil),
		DeviceCodeHash: randomHash(),
		UserCodeHash:   randomHash(),
		ClientID:       testClient,
		Scopes:         []string{"openid", "offline_access"},
		State:          gatehouse.DeviceStatePending,
		Interval:       5 * time.Second,
		CreatedAt:      created,
		ExpiresAt:      created.Add(ttl),
	}
}

func mustCreateDevice(t *testing.T, s gatehouse.Store, d *gatehouse.DeviceAuthorization) *gatehouse.DeviceAuthorization {
	t.Helper()
	if err := s.CreateDeviceAuthorization(t.Context(), d); err != nil {
		t.Fatalf("CreateDeviceAuthorization: %v", err)
	}
	return d
}

type deviceView struct {
	ID, DeviceCodeHash, UserCodeHash, ClientID, Scopes, State, UserID string
	Interval                                                          time.Duration
	CreatedAt, ExpiresAt, LastPolledAt, DecidedAt, AuthTime           string
}

func viewDevice(d *gatehouse.DeviceAuthorization) deviceView {
	return deviceView{
		ID: d.ID, DeviceCodeHash: fmt.Sprintf("%x", d.DeviceCodeHash), UserCodeHash: fmt.Sprintf("%x", d.UserCodeHash),
		ClientID: d.ClientID, Scopes: fmt.Sprintf("%q", d.Scopes), State: d.State, UserID: d.UserID,
		Interval: d.Interval, CreatedAt: stamp(d.CreatedAt), ExpiresAt: stamp(d.ExpiresAt),
		LastPolledAt: stampPtr(d.LastPolledAt), DecidedAt: stampPtr(d.DecidedAt), AuthTime: stamp(d.AuthTime),
	}
}

// checkDevice fails t unless got equals want (times compared as UTC instants).
func checkDevice(t *testing.T, what string, got, want *gatehouse.DeviceAuthorization) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got nil device flow", what)
	}
	w := *want
	w.CreatedAt, w.ExpiresAt, w.AuthTime = utc(w.CreatedAt), utc(w.ExpiresAt), utc(w.AuthTime)
	w.LastPolledAt, w.DecidedAt = utcPtr(w.LastPolledAt), utcPtr(w.DecidedAt)
	if g, wv := viewDevice(got), viewDevice(&w); g != wv {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, wv)
	}
}

func testCreateDevice(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	d := newDevice(base.In(time.FixedZone("X", 3600)), 10*time.Minute)
	want := *d
	mustCreateDevice(t, s, d)
	checkDevice(t, "flow after CreateDeviceAuthorization", d, &want)
	cases := []struct {
		name  string
		hash  []byte
		now   time.Time
		found bool
	}{
		{"pending and unexpired", d.UserCodeHash, at(time.Minute), true},
		{"just before expiry", d.UserCodeHash, d.ExpiresAt.Add(-time.Millisecond), true},
		{"at expiry", d.UserCodeHash, d.ExpiresAt, false},
		{"unknown user code", randomHash(), at(time.Minute), false},
		{"the device code is not a user code", d.DeviceCodeHash, at(time.Minute), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.DeviceAuthorizationByUserCode(ctx, tc.hash, tc.now)
			if !tc.found {
				wantNotFound(t, "DeviceAuthorizationByUserCode", err)
				return
			}
			if err != nil {
				t.Fatalf("DeviceAuthorizationByUserCode: %v", err)
			}
			checkDevice(t, "flow by user code", got, &want)
		})
	}
	minimal := &gatehouse.DeviceAuthorization{DeviceCodeHash: randomHash(), UserCodeHash: randomHash(),
		ClientID: gatehouse.BuiltInCLIClientID, ExpiresAt: time.Now().Add(time.Minute)}
	mustCreateDevice(t, s, minimal)
	if !strings.HasPrefix(minimal.ID, gatehouse.PrefixDeviceAuth+"_") || minimal.State != gatehouse.DeviceStatePending ||
		minimal.CreatedAt.IsZero() || minimal.Scopes == nil {
		t.Errorf("defaults: %+v; want a dev_ ID, pending, created now, empty scopes", viewDevice(minimal))
	}
	// A decided flow is no longer found by its user code.
	if err := s.DecideDeviceAuthorization(ctx, d.ID, mustCreateUser(t, s, "decider").ID, true, base, at(time.Minute)); err != nil {
		t.Fatalf("DecideDeviceAuthorization: %v", err)
	}
	_, err := s.DeviceAuthorizationByUserCode(ctx, d.UserCodeHash, at(2*time.Minute))
	wantNotFound(t, "DeviceAuthorizationByUserCode of an approved flow", err)
}

func testCreateDeviceErrors(t *testing.T, s gatehouse.Store) {
	taken := mustCreateDevice(t, s, newDevice(base, 10*time.Minute))
	cases := []struct {
		name string
		edit func(d *gatehouse.DeviceAuthorization)
		want gatehouse.Code
	}{
		{"no client", func(d *gatehouse.DeviceAuthorization) { d.ClientID = "" }, gatehouse.CodeInvalidRequest},
		{"no expiry", func(d *gatehouse.DeviceAuthorization) { d.ExpiresAt = time.Time{} }, gatehouse.CodeInvalidRequest},
		{"no device code", func(d *gatehouse.DeviceAuthorization) { d.DeviceCodeHash = nil }, gatehouse.CodeInvalidRequest},
		{"no user code", func(d *gatehouse.DeviceAuthorization) { d.UserCodeHash = nil }, gatehouse.CodeInvalidRequest},
		{"unknown state", func(d *gatehouse.DeviceAuthorization) { d.State = "maybe" }, gatehouse.CodeInvalidRequest},
		{"negative interval", func(d *gatehouse.DeviceAuthorization) { d.Interval = -time.Second }, gatehouse.CodeInvalidRequest},
		{"unknown user", func(d *gatehouse.DeviceAuthorization) { d.UserID = "usr_01hxyznobody0000000000000" }, gatehouse.CodeNotFound},
		{"device code taken", func(d *gatehouse.DeviceAuthorization) { d.DeviceCodeHash = taken.DeviceCodeHash }, gatehouse.CodeConflict},
		{"ID taken", func(d *gatehouse.DeviceAuthorization) { d.ID = taken.ID }, gatehouse.CodeConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newDevice(base, 10*time.Minute)
			tc.edit(d)
			err := s.CreateDeviceAuthorization(t.Context(), d)
			wantCode(t, "CreateDeviceAuthorization", err, tc.want)
			noLeak(t, err)
		})
	}
}

func testDeviceUserCodeInUse(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "holder")
	held := mustCreateDevice(t, s, newDevice(base, 10*time.Minute))
	approved := mustCreateDevice(t, s, newDevice(base, 10*time.Minute))
	if err := s.DecideDeviceAuthorization(ctx, approved.ID, u.ID, true, base, at(time.Second)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		userCod []byte
		created time.Time
		want    gatehouse.Code
	}{
		{"held by a pending flow", held.UserCodeHash, at(time.Minute), gatehouse.CodeConflict},
		{"held by an approved unexpired flow", approved.UserCodeHash, at(time.Minute), gatehouse.CodeConflict},
		{"held until the last millisecond", held.UserCodeHash, held.ExpiresAt.Add(-time.Millisecond), gatehouse.CodeConflict},
		{"free once the holder expired", held.UserCodeHash, held.ExpiresAt, ""},
		{"held again by the new flow", held.UserCodeHash, held.ExpiresAt.Add(time.Minute), gatehouse.CodeConflict},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newDevice(tc.created, 10*time.Minute)
			d.UserCodeHash = tc.userCod
			err := s.CreateDeviceAuthorization(ctx, d)
			wantCode(t, "CreateDeviceAuthorization", err, tc.want)
			noLeak(t, err)
		})
	}
	// The expired flow that gave its user code up still answers its polls.
	got, poll, err := s.PollDeviceAuthorization(ctx, held.DeviceCodeHash, testClient, held.ExpiresAt.Add(2*time.Minute))
	if err != nil || poll != gatehouse.DevicePollExpired {
		t.Fatalf("poll of the expired flow = %q, %v; want %q", poll, err, gatehouse.DevicePollExpired)
	}
	if got.ID != held.ID {
		t.Errorf("poll returned flow %s, want %s", got.ID, held.ID)
	}
}

func testDecideDevice(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "approver")
	other := mustCreateUser(t, s, "latecomer")
	for _, approve := range []bool{true, false} {
		t.Run(fmt.Sprintf("approve=%v", approve), func(t *testing.T) {
			d := mustCreateDevice(t, s, newDevice(base, 10*time.Minute))
			authTime := base.Add(-time.Hour)
			if err := s.DecideDeviceAuthorization(ctx, d.ID, u.ID, approve, authTime, at(time.Minute)); err != nil {
				t.Fatalf("DecideDeviceAuthorization: %v", err)
			}
			err := s.DecideDeviceAuthorization(ctx, d.ID, other.ID, !approve, base, at(2*time.Minute))
			wantNotFound(t, "a second decision", err)
			got, _, err := s.PollDeviceAuthorization(ctx, d.DeviceCodeHash, testClient, at(3*time.Minute))
			if err != nil {
				t.Fatalf("PollDeviceAuthorization: %v", err)
			}
			if got.UserID != u.ID || got.DecidedAt == nil || !got.DecidedAt.Equal(at(time.Minute)) || !got.AuthTime.Equal(authTime) {
				t.Errorf("decided flow %+v, want the first decision's user, time and auth time", viewDevice(got))
			}
		})
	}
	expired := mustCreateDevice(t, s, newDevice(base, time.Minute))
	cases := []struct {
		name   string
		id     string
		userID string
		at     time.Time
	}{
		{"expired", expired.ID, u.ID, expired.ExpiresAt},
		{"unknown flow", "dev_01hxyznothere000000000000", u.ID, at(time.Second)},
		{"unknown user", expired.ID, "usr_01hxyznobody0000000000000", at(time.Second)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.DecideDeviceAuthorization(ctx, tc.id, tc.userID, true, base, tc.at)
			wantNotFound(t, "DecideDeviceAuthorization", err)
			noLeak(t, err)
		})
	}
	if got, err := s.DeviceAuthorizationByUserCode(ctx, expired.UserCodeHash, at(time.Second)); err != nil || got.State != gatehouse.DeviceStatePending {
		t.Errorf("the refused decisions changed the flow: %+v, %v", got, err)
	}
}

func testPollDevice(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "poller")
	d := mustCreateDevice(t, s, newDevice(base, 10*time.Minute))
	denied := mustCreateDevice(t, s, newDevice(base, 10*time.Minute))
	steps := []struct {
		name     string
		flow     *gatehouse.DeviceAuthorization
		decide   *bool // decide before polling
		at       time.Duration
		want     gatehouse.DevicePoll
		interval time.Duration
		state    string
	}{
		{"first poll pending", d, nil, 0, gatehouse.DevicePollPending, 5 * time.Second, gatehouse.DeviceStatePending},
		{"after the interval pending", d, nil, 5 * time.Second, gatehouse.DevicePollPending, 5 * time.Second, gatehouse.DeviceStatePending},
		{"too early slows down", d, nil, 6 * time.Second, gatehouse.DevicePollSlowDown, 10 * time.Second, gatehouse.DeviceStatePending},
		{"the old interval is too early now", d, nil, 12 * time.Second, gatehouse.DevicePollSlowDown, 15 * time.Second, gatehouse.DeviceStatePending},
		{"the grown interval stays", d, nil, 27 * time.Second, gatehouse.DevicePollPending, 15 * time.Second, gatehouse.DeviceStatePending},
		{"approved issues once", d, ptr(true), 42 * time.Second, gatehouse.DevicePollApproved, 15 * time.Second, gatehouse.DeviceStateConsumed},
		{"then consumed", d, nil, 60 * time.Second, gatehouse.DevicePollConsumed, 15 * time.Second, gatehouse.DeviceStateConsumed},
		{"consumed even too early", d, nil, 61 * time.Second, gatehouse.DevicePollConsumed, 15 * time.Second, gatehouse.DeviceStateConsumed},
		{"consumed after expiry", d, nil, time.Hour, gatehouse.DevicePollConsumed, 15 * time.Second, gatehouse.DeviceStateConsumed},
		{"denied", denied, ptr(false), time.Minute, gatehouse.DevicePollDenied, 5 * time.Second, gatehouse.DeviceStateDenied},
		{"denied again", denied, nil, 2 * time.Minute, gatehouse.DevicePollDenied, 5 * time.Second, gatehouse.DeviceStateDenied},
		{"denied but expired", denied, nil, 10 * time.Minute, gatehouse.DevicePollExpired, 5 * time.Second, gatehouse.DeviceStateDenied},
	}
	for _, st := range steps {
		if st.decide != nil {
			if err := s.DecideDeviceAuthorization(ctx, st.flow.ID, u.ID, *st.decide, base, at(st.at-time.Second)); err != nil {
				t.Fatalf("%s: DecideDeviceAuthorization: %v", st.name, err)
			}
		}
		got, poll, err := s.PollDeviceAuthorization(ctx, st.flow.DeviceCodeHash, testClient, at(st.at))
		if err != nil {
			t.Fatalf("%s: PollDeviceAuthorization: %v", st.name, err)
		}
		if poll != st.want || got.Interval != st.interval || got.State != st.state {
			t.Errorf("%s: poll %q, interval %v, state %q; want %q, %v, %q", st.name, poll, got.Interval, got.State,
				st.want, st.interval, st.state)
		}
		if st.want != gatehouse.DevicePollConsumed && st.want != gatehouse.DevicePollExpired &&
			(got.LastPolledAt == nil || !got.LastPolledAt.Equal(at(st.at))) {
			t.Errorf("%s: LastPolledAt = %s, want %s", st.name, stampPtr(got.LastPolledAt), stamp(at(st.at)))
		}
	}
}

func testPollDeviceNotFound(t *testing.T, s gatehouse.Store) {
	d := mustCreateDevice(t, s, newDevice(base, 10*time.Minute))
	cases := []struct {
		name     string
		hash     []byte
		clientID string
	}{
		{"unknown device code", randomHash(), testClient},
		{"another client's flow", d.DeviceCodeHash, "cli_01hxyzsomeoneelse000000000"},
		{"the user code is not a device code", d.UserCodeHash, testClient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, poll, err := s.PollDeviceAuthorization(t.Context(), tc.hash, tc.clientID, at(time.Minute))
			wantNotFound(t, "PollDeviceAuthorization", err)
			noLeak(t, err)
			if got != nil || poll != "" {
				t.Errorf("returned %+v, %q with not found", got, poll)
			}
		})
	}
	// The refused polls did not count as polls: the next one is not early.
	if _, poll, err := s.PollDeviceAuthorization(t.Context(), d.DeviceCodeHash, testClient, at(time.Minute)); err != nil || poll != gatehouse.DevicePollPending {
		t.Errorf("poll after refused ones = %q, %v; want %q", poll, err, gatehouse.DevicePollPending)
	}
}

// checkConcurrentPolls lets 10 polls of an approved flow on a and b (the same store or two over
// one database) race: exactly one gets DevicePollApproved, the others DevicePollConsumed.
func checkConcurrentPolls(t *testing.T, a, b gatehouse.Store) {
	u := mustCreateUser(t, a, "device-racer")
	d := mustCreateDevice(t, a, newDevice(base, 10*time.Minute))
	if err := a.DecideDeviceAuthorization(t.Context(), d.ID, u.ID, true, base, at(time.Second)); err != nil {
		t.Fatalf("DecideDeviceAuthorization: %v", err)
	}
	const n = 10
	var approved, consumed atomic.Int32
	parallel(n, func(i int) {
		s := []gatehouse.Store{a, b}[i%2]
		_, poll, err := s.PollDeviceAuthorization(t.Context(), d.DeviceCodeHash, testClient, at(time.Minute))
		switch {
		case err != nil:
			t.Errorf("PollDeviceAuthorization: %v", err)
		case poll == gatehouse.DevicePollApproved:
			approved.Add(1)
		case poll == gatehouse.DevicePollConsumed:
			consumed.Add(1)
		default:
			t.Errorf("poll %q, want approved or consumed", poll)
		}
	})
	if approved.Load() != 1 || consumed.Load() != n-1 {
		t.Fatalf("%d polls approved, %d consumed; want 1 and %d", approved.Load(), consumed.Load(), n-1)
	}
}
