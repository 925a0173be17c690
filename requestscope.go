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
	mu     sync.Mutex
	values map[any]any
}

type requestScopeKey struct{}

// WithRequestScope returns ctx with a new, empty RequestScope.
func WithRequestScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestScopeKey{}, &RequestScope{})
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
	v, ok := s.values[key]
	return v, ok
}

// SetValue stores v under key for the rest of the request.
func (s *RequestScope) SetValue(key, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = make(map[any]any, 1)
	}
	s.values[key] = v
}
