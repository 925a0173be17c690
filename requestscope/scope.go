// Package requestscope is memory for one request: what an adapter may remember between the
// lookups of one request (the credential cache keeps the change generation it read at the
// request's first lookup). It has no dependencies; the HTTP layer puts a Scope in every
// request's context, and without one nothing is remembered.
package requestscope

import (
	"context"
	"sync"
)

// Scope is memory for one request, which adapters may use to answer every lookup of that
// request from one view: the credential cache (store/credcache) reads its change generation
// once per request instead of once per lookup. A request runs concurrently with the changes
// committed while it runs, so a view taken at its first lookup is as exact as one taken at each
// lookup; a change that completed before the request began is always seen. The HTTP layer puts
// one in every request's context; without one, nothing is remembered.
type Scope struct {
	mu sync.Mutex
	// entries holds the values by key: a request stores one or two (one per cache), so a short
	// slice over inline room beats a map.
	entries []requestScopeEntry
	room    [2]requestScopeEntry
}

type requestScopeEntry struct{ key, value any }

type requestScopeKey struct{}

// With returns ctx with a new, empty Scope.
func With(ctx context.Context) context.Context {
	return ContextWith(ctx, &Scope{})
}

// ContextWith returns ctx with s, an empty Scope the caller allocated (the
// HTTP layer keeps it in its own per-request record, one allocation instead of two).
func ContextWith(ctx context.Context, s *Scope) context.Context {
	return context.WithValue(ctx, requestScopeKey{}, s)
}

// From returns ctx's Scope, or nil when it has none.
func From(ctx context.Context) *Scope {
	s, _ := ctx.Value(requestScopeKey{}).(*Scope)
	return s
}

// Value returns what was stored under key in this request.
func (s *Scope) Value(key any) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.key == key {
			return e.value, true
		}
	}
	return nil, false
}

// SetValue stores v under key for the rest of the request.
func (s *Scope) SetValue(key, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.entries {
		if s.entries[i].key == key {
			s.entries[i].value = v
			return
		}
	}
	if s.entries == nil {
		s.entries = s.room[:0]
	}
	s.entries = append(s.entries, requestScopeEntry{key, v})
}
