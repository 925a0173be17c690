package gatehouse

import (
	"context"
	"sync"
)

// RequestScope is memory for one request, which adapters may use to answer every lookup of that
// request from one view: the credential cache (store/credcache) reads its change generation
// once per request instead of once per lookup. A request runs concurrently with the changes
// committed while it runs, so a view taken at its first lookup is as exact as one taken at each
// lookup; a change that completed before the request began is always seen. The HTTP layer puts
// one in every request's context; without one, nothing is remembered.
type RequestScope struct {
	mu sync.Mutex
	// entries holds the values by key: a request stores one or two (one per cache), so a short
	// slice over inline room beats a map.
	entries []requestScopeEntry
	room    [2]requestScopeEntry
}

type requestScopeEntry struct{ key, value any }

type requestScopeKey struct{}

// WithRequestScope returns ctx with a new, empty RequestScope.
func WithRequestScope(ctx context.Context) context.Context {
	return ContextWithRequestScope(ctx, &RequestScope{})
}

// ContextWithRequestScope returns ctx with s, an empty RequestScope the caller allocated (the
// HTTP layer keeps it in its own per-request record, one allocation instead of two).
func ContextWithRequestScope(ctx context.Context, s *RequestScope) context.Context {
	return context.WithValue(ctx, requestScopeKey{}, s)
}

// RequestScopeFrom returns ctx's RequestScope, or nil when it has none.
func RequestScopeFrom(ctx context.Context) *RequestScope {
	s, _ := ctx.Value(requestScopeKey{}).(*RequestScope)
	return s
}

// Value returns what was stored under key in this request.
func (s *RequestScope) Value(key any) (any, bool) {
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
func (s *RequestScope) SetValue(key, v any) {
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
