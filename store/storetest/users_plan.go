package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// testPlanSource: a new account's plan source is "free"; SetPlanSource changes that account's
// only (and its update time); an unknown user is not found both ways.
func testPlanSource(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := mustCreateUser(t, s, "planner")
	other := mustCreateUser(t, s, "bystander")
	planOf := func(id string) string {
		t.Helper()
		p, err := s.PlanSource(ctx, id)
		if err != nil {
			t.Fatalf("PlanSource(%s): %v", id, err)
		}
		return p
	}
	if got := planOf(u.ID); got != "free" {
		t.Fatalf("new account's plan source %q, want free", got)
	}
	changed := at(3 * time.Hour)
	for _, source := range []string{"stripe", "enterprise"} {
		if err := s.SetPlanSource(ctx, u.ID, source, changed); err != nil {
			t.Fatalf("SetPlanSource(%s): %v", source, err)
		}
		if got := planOf(u.ID); got != source {
			t.Fatalf("plan source %q after setting %q", got, source)
		}
	}
	if got := planOf(other.ID); got != "free" {
		t.Fatalf("another account's plan source changed to %q", got)
	}
	got, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID: %v", err)
	}
	want := *u
	want.UpdatedAt = changed
	checkUser(t, "user", got, &want)
	if _, err := s.PlanSource(ctx, "usr_nobody"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Fatalf("PlanSource of an unknown user: %v, want not found", err)
	}
	if err := s.SetPlanSource(ctx, "usr_nobody", "stripe", changed); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Fatalf("SetPlanSource of an unknown user: %v, want not found", err)
	}
}
