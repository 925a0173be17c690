package credcache

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// TestCopiesShareNothing fills every field of each cached row type (through reflection, so a
// field added later is covered), copies it, then changes everything reachable from the copy and
// checks the original did not move: a pointer, slice or map the copy shares fails the test.
func TestCopiesShareNothing(t *testing.T) {
	tests := []struct {
		name string
		row  any             // pointer to a zero row
		copy func(v any) any // the copy function under test
	}{
		{name: "user", row: &gatehouse.User{}, copy: func(v any) any { return copyUser(v.(*gatehouse.User)) }},
		{name: "session", row: &gatehouse.Session{}, copy: func(v any) any { return copySession(v.(*gatehouse.Session)) }},
		{name: "PAT", row: &gatehouse.PersonalAccessToken{}, copy: func(v any) any { return copyPAT(v.(*gatehouse.PersonalAccessToken)) }},
		{name: "API key", row: &gatehouse.APIKey{}, copy: func(v any) any { return copyAPIKey(v.(*gatehouse.APIKey)) }},
		{name: "OAuth client", row: &gatehouse.OAuthClient{}, copy: func(v any) any { return copyOAuthClient(v.(*gatehouse.OAuthClient)) }},
		{name: "agent", row: &gatehouse.Agent{}, copy: func(v any) any { return copyAgent(v.(*gatehouse.Agent)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fill(reflect.ValueOf(tt.row).Elem(), 1)
			pristine := reflect.New(reflect.TypeOf(tt.row).Elem()) // the same values, built apart
			fill(pristine.Elem(), 1)
			c := tt.copy(tt.row)
			if !reflect.DeepEqual(c, tt.row) {
				t.Fatalf("copy differs from the original:\n%+v\n%+v", c, tt.row)
			}
			fill(reflect.ValueOf(c).Elem(), 2) // changes every reachable value in place
			if !reflect.DeepEqual(pristine.Interface(), tt.row) {
				t.Errorf("changing the copy changed the original: a field is shared")
			}
		})
	}
}

// fill sets every field reachable from v to a value derived from seed, in place: through
// existing pointers and slice elements, so that shared memory shows.
func fill(v reflect.Value, seed int) {
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Unix(int64(seed)*1000, 0).UTC()))
		return
	case reflect.TypeFor[netip.Prefix]():
		v.Set(reflect.ValueOf(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(seed), 0, 0}), 16)))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed)
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), seed)
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		}
		for i := range v.Len() {
			fill(v.Index(i), seed)
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, 0)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, seed)
		v.SetMapIndex(k, e)
	case reflect.String:
		v.SetString("s" + string(rune('0'+seed)))
	case reflect.Bool:
		v.SetBool(seed%2 == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(seed))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(seed))
	default:
		panic("fill: unsupported kind " + v.Kind().String())
	}
}
