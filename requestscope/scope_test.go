package requestscope

import (
	"context"
	"testing"
)

func TestScope(t *testing.T) {
	type keyA struct{}
	type keyB struct{ n int }
	tests := []struct {
		name string
		sets []requestScopeEntry // stored in order
		get  any
		want any // nil: absent
	}{
		{"empty scope", nil, keyA{}, nil},
		{"one value", []requestScopeEntry{{keyA{}, 1}}, keyA{}, 1},
		{"keys of different types", []requestScopeEntry{{keyA{}, 1}, {keyB{1}, 2}}, keyB{1}, 2},
		{"keys of one type, different values", []requestScopeEntry{{keyB{1}, "one"}, {keyB{2}, "two"}}, keyB{1}, "one"},
		{"absent key among others", []requestScopeEntry{{keyB{1}, 1}, {keyB{2}, 2}}, keyB{3}, nil},
		{"overwritten", []requestScopeEntry{{keyA{}, 1}, {keyB{1}, 2}, {keyA{}, 3}}, keyA{}, 3},
		{"more than the inline room", []requestScopeEntry{{keyB{1}, 1}, {keyB{2}, 2}, {keyB{3}, 3}, {keyB{4}, 4}}, keyB{4}, 4},
		{"first one after growing", []requestScopeEntry{{keyB{1}, 1}, {keyB{2}, 2}, {keyB{3}, 3}}, keyB{1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := With(context.Background())
			s := From(ctx)
			if s == nil {
				t.Fatal("no scope in the context")
			}
			for _, e := range tt.sets {
				s.SetValue(e.key, e.value)
			}
			got, ok := s.Value(tt.get)
			if ok != (tt.want != nil) || got != tt.want {
				t.Errorf("Value(%v) = %v, %v; want %v", tt.get, got, ok, tt.want)
			}
		})
	}
	if From(context.Background()) != nil {
		t.Error("a scope in a context without one")
	}
}
