package storetest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func auditTests() []test {
	return []test{
		{"RoundTrip", testAuditRoundTrip},
		{"AssignsIDAndTime", testAuditDefaults},
		{"DuplicateID", testAuditDuplicateID},
		{"Filters", testAuditFilters},
		{"DefaultLimit", testAuditDefaultLimit},
		{"CursorPages", testAuditPages},
	}
}

// newEvent returns an unsaved event at created.
func newEvent(typ, actor, subject, org string, created time.Time) *gatehouse.AuditEvent {
	return &gatehouse.AuditEvent{
		ID: gatehouse.NewID(gatehouse.PrefixEvent, created, nil), Type: typ, ActorID: actor,
		SubjectID: subject, OrgID: org, IP: "192.0.2.1", UserAgent: "storetest", CreatedAt: created,
	}
}

func mustAppend(t *testing.T, s gatehouse.Store, e *gatehouse.AuditEvent) *gatehouse.AuditEvent {
	t.Helper()
	if err := s.AppendAuditEvent(t.Context(), e); err != nil {
		t.Fatalf("AppendAuditEvent: %v", err)
	}
	return e
}

func eventIDs(evs []gatehouse.AuditEvent) []string {
	ids := make([]string, len(evs))
	for i := range evs {
		ids[i] = evs[i].ID
	}
	return ids
}

// jsonRoundTrip returns m as it reads back from JSON (numbers become float64 and so on).
func jsonRoundTrip(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func testAuditRoundTrip(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	cases := []struct {
		name    string
		details map[string]any
	}{
		{"no details", nil},
		{"empty details", map[string]any{}},
		{"scalars", map[string]any{"reason": "wrong_password", "attempt": 3, "ratio": 0.25, "ok": false, "none": nil}},
		{"nested", map[string]any{
			"client": map[string]any{"name": "cli", "version": "1.2.3"},
			"scopes": []string{"read", "write"},
			"mixed":  []any{1, "two", true, map[string]any{"k": "v"}},
			"text":   "ünïcödé \"quoted\" \n <tag>",
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			org := "org_" + string(rune('a'+i))
			e := newEvent(gatehouse.EventLoginFailed, "usr_actor", "usr_subject", org, at(time.Duration(i)*time.Minute))
			e.Details = c.details
			mustAppend(t, s, e)
			got, err := s.ListAuditEvents(ctx, gatehouse.AuditFilter{OrgID: org})
			if err != nil {
				t.Fatalf("ListAuditEvents: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d events, want 1", len(got))
			}
			g := got[0]
			if g.ID != e.ID || g.Type != e.Type || g.ActorID != e.ActorID || g.SubjectID != e.SubjectID ||
				g.OrgID != e.OrgID || g.IP != e.IP || g.UserAgent != e.UserAgent || stamp(g.CreatedAt) != stamp(e.CreatedAt) {
				t.Errorf("event:\n got %+v\nwant %+v", g, *e)
			}
			want := jsonRoundTrip(t, c.details)
			if len(want) == 0 {
				if len(g.Details) != 0 {
					t.Errorf("Details = %#v, want none", g.Details)
				}
			} else if !reflect.DeepEqual(g.Details, want) {
				t.Errorf("Details:\n got %#v\nwant %#v", g.Details, want)
			}
		})
	}
}

func testAuditDefaults(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	e := &gatehouse.AuditEvent{Type: gatehouse.EventLogout, ActorID: "usr_x"}
	if err := s.AppendAuditEvent(ctx, e); err != nil {
		t.Fatalf("AppendAuditEvent: %v", err)
	}
	if len(e.ID) != len(gatehouse.PrefixEvent)+1+26 || e.ID[:4] != "evt_" || e.CreatedAt.IsZero() {
		t.Fatalf("assigned ID %q CreatedAt %s; want an evt_ ID and a time", e.ID, stamp(e.CreatedAt))
	}
	got, err := s.ListAuditEvents(ctx, gatehouse.AuditFilter{ActorID: "usr_x"})
	if err != nil || len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("ListAuditEvents = %v, %v", got, err)
	}
}

func testAuditDuplicateID(t *testing.T, s gatehouse.Store) {
	e := mustAppend(t, s, newEvent(gatehouse.EventLogin, "usr_a", "usr_a", "", base))
	dup := newEvent(gatehouse.EventLogout, "usr_b", "usr_b", "", base)
	dup.ID = e.ID
	err := s.AppendAuditEvent(t.Context(), dup)
	wantCode(t, "AppendAuditEvent with a taken ID", err, gatehouse.CodeConflict)
	noLeak(t, err)
}

func testAuditFilters(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	const u1, u2, u3, o1, o2 = "usr_one", "usr_two", "usr_three", "org_one", "org_two"
	m := time.Minute
	e := []*gatehouse.AuditEvent{
		mustAppend(t, s, newEvent(gatehouse.EventLogin, u1, u1, o1, at(0))),
		mustAppend(t, s, newEvent(gatehouse.EventLoginFailed, "", u1, "", at(1*m))),
		mustAppend(t, s, newEvent(gatehouse.EventSessionRevoked, u2, u1, o1, at(2*m))),
		mustAppend(t, s, newEvent(gatehouse.EventLogin, u2, u2, o2, at(3*m))),
		mustAppend(t, s, newEvent(gatehouse.EventPasswordChanged, u1, u1, "", at(4*m))),
		mustAppend(t, s, newEvent(gatehouse.EventUserRegistered, u3, u3, o2, at(5*m))),
		mustAppend(t, s, newEvent(gatehouse.EventLogout, u1, u1, o1, at(6*m))),
	}
	ids := func(idx ...int) []string {
		out := make([]string, len(idx))
		for i, j := range idx {
			out[i] = e[j].ID
		}
		return out
	}
	cases := []struct {
		name string
		f    gatehouse.AuditFilter
		want []string
	}{
		{"no filter, newest first", gatehouse.AuditFilter{}, ids(6, 5, 4, 3, 2, 1, 0)},
		{"user as actor or subject", gatehouse.AuditFilter{UserID: u1}, ids(6, 4, 2, 1, 0)},
		{"user two", gatehouse.AuditFilter{UserID: u2}, ids(3, 2)},
		{"actor", gatehouse.AuditFilter{ActorID: u1}, ids(6, 4, 0)},
		{"actor two", gatehouse.AuditFilter{ActorID: u2}, ids(3, 2)},
		{"org", gatehouse.AuditFilter{OrgID: o1}, ids(6, 2, 0)},
		{"one type", gatehouse.AuditFilter{Types: []string{gatehouse.EventLogin}}, ids(3, 0)},
		{"two types", gatehouse.AuditFilter{Types: []string{gatehouse.EventLogin, gatehouse.EventLogout}}, ids(6, 3, 0)},
		{"empty types list", gatehouse.AuditFilter{Types: []string{}}, ids(6, 5, 4, 3, 2, 1, 0)},
		{"since is inclusive", gatehouse.AuditFilter{Since: at(2 * m)}, ids(6, 5, 4, 3, 2)},
		{"since just after", gatehouse.AuditFilter{Since: at(2*m + time.Millisecond)}, ids(6, 5, 4, 3)},
		{"until is exclusive", gatehouse.AuditFilter{Until: at(2 * m)}, ids(1, 0)},
		{"until just after", gatehouse.AuditFilter{Until: at(2*m + time.Millisecond)}, ids(2, 1, 0)},
		{"since and until", gatehouse.AuditFilter{Since: at(1 * m), Until: at(4 * m)}, ids(3, 2, 1)},
		{"since in another zone", gatehouse.AuditFilter{Since: at(5 * m).In(time.FixedZone("Y", 3*3600))}, ids(6, 5)},
		{"before cursor", gatehouse.AuditFilter{Before: e[4].ID}, ids(3, 2, 1, 0)},
		{"limit", gatehouse.AuditFilter{Limit: 2}, ids(6, 5)},
		{"user, types and since", gatehouse.AuditFilter{UserID: u1, Types: []string{gatehouse.EventLogin, gatehouse.EventSessionRevoked}, Since: at(1 * m)}, ids(2)},
		{"actor, org and cursor", gatehouse.AuditFilter{ActorID: u1, OrgID: o1, Before: e[6].ID}, ids(0)},
		{"user, cursor and limit", gatehouse.AuditFilter{UserID: u1, Before: e[4].ID, Limit: 2}, ids(2, 1)},
		{"no match", gatehouse.AuditFilter{UserID: "usr_nobody"}, []string{}},
		{"empty window", gatehouse.AuditFilter{Since: at(3 * m), Until: at(3 * m)}, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListAuditEvents(ctx, c.f)
			if err != nil {
				t.Fatalf("ListAuditEvents: %v", err)
			}
			if got == nil {
				t.Errorf("got a nil list, want an empty one")
			}
			if g := eventIDs(got); !reflect.DeepEqual(g, c.want) {
				t.Errorf("got %v\nwant %v", g, c.want)
			}
		})
	}
}

func testAuditDefaultLimit(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	const n = 105
	var all []string
	for i := 0; i < n; i++ {
		e := mustAppend(t, s, newEvent(gatehouse.EventLogin, "usr_many", "usr_many", "", at(time.Duration(i)*time.Second)))
		all = append([]string{e.ID}, all...) // newest first
	}
	cases := []struct {
		name  string
		limit int
		want  int
	}{
		{"zero means 100", 0, 100},
		{"negative means 100", -3, 100},
		{"one", 1, 1},
		{"more than there are", 500, n},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ListAuditEvents(ctx, gatehouse.AuditFilter{Limit: c.limit})
			if err != nil {
				t.Fatalf("ListAuditEvents: %v", err)
			}
			if g := eventIDs(got); !reflect.DeepEqual(g, all[:c.want]) {
				t.Errorf("got %d events (first %v), want the newest %d", len(g), g[:min(len(g), 2)], c.want)
			}
		})
	}
}

func testAuditPages(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	var all []string
	for i := 0; i < 25; i++ {
		e := mustAppend(t, s, newEvent(gatehouse.EventLogin, "usr_pager", "usr_pager", "", at(time.Duration(i)*time.Millisecond)))
		all = append([]string{e.ID}, all...)
	}
	var got []string
	cursor := ""
	sizes := []int{}
	for page := 0; page < 5; page++ {
		evs, err := s.ListAuditEvents(ctx, gatehouse.AuditFilter{UserID: "usr_pager", Before: cursor, Limit: 10})
		if err != nil {
			t.Fatalf("ListAuditEvents page %d: %v", page, err)
		}
		sizes = append(sizes, len(evs))
		if len(evs) == 0 {
			break
		}
		got = append(got, eventIDs(evs)...)
		cursor = evs[len(evs)-1].ID
	}
	if !reflect.DeepEqual(sizes, []int{10, 10, 5, 0}) || !reflect.DeepEqual(got, all) {
		t.Fatalf("pages of sizes %v returned %v\nwant %v", sizes, got, all)
	}
}
