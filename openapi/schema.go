package openapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"
)

// Schema is a JSON Schema (2020-12, as OpenAPI 3.1 uses it) in its JSON form.
type Schema map[string]any

// Ref is a schema that refers to the named component.
func Ref(name string) Schema { return Schema{"$ref": "#/components/schemas/" + name} }

// Raw is a value that stands for a hand-written schema where a Go type cannot say enough (an
// OAuth answer whose members depend on the grant): Body: Raw{...} uses the schema as it is.
type Raw Schema

// OneOf is a value that stands for "exactly one of these types" (an answer with two shapes).
type OneOf []any

// Named is a value that stands for a hand-written schema registered as the component Name.
type Named struct {
	Name   string
	Schema Schema
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
)

// schemas derives component schemas from Go types the way encoding/json writes them: struct
// fields by their json tag (a field without omitempty is required; a pointer, a map or an
// interface without omitempty may be null), time.Time as a date-time string, []byte as base64,
// json.RawMessage and interfaces as any value. Every named struct becomes a component, referred
// to by $ref. Objects admit no other members (additionalProperties false): an answer with an
// undocumented field fails validation.
type schemas struct {
	components map[string]Schema
	names      map[reflect.Type]string // struct type → component name
}

func newSchemas() *schemas {
	return &schemas{components: map[string]Schema{}, names: map[reflect.Type]string{}}
}

// of returns the schema of v's type (a Raw or Named value gives its own schema).
func (s *schemas) of(v any) Schema {
	switch x := v.(type) {
	case Raw:
		return Schema(x)
	case OneOf:
		alts := make([]any, len(x))
		for i, v := range x {
			alts[i] = s.of(v)
		}
		return Schema{"oneOf": alts}
	case Named:
		if _, ok := s.components[x.Name]; !ok {
			s.components[x.Name] = x.Schema
		}
		return Ref(x.Name)
	}
	return s.typ(reflect.TypeOf(v))
}

func (s *schemas) typ(t reflect.Type) Schema {
	if t == timeType {
		return Schema{"type": "string", "format": "date-time"}
	}
	if t == rawJSONType {
		return Schema{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return s.typ(t.Elem())
	case reflect.String:
		return Schema{"type": "string"}
	case reflect.Bool:
		return Schema{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Schema{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return Schema{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return Schema{"type": "string", "contentEncoding": "base64"}
		}
		return Schema{"type": "array", "items": s.typ(t.Elem())}
	case reflect.Map:
		return Schema{"type": "object", "additionalProperties": s.typ(t.Elem())}
	case reflect.Interface:
		return Schema{}
	case reflect.Struct:
		return s.object(t)
	}
	panic(fmt.Sprintf("openapi: no schema for %s", t))
}

// object returns a $ref to t's component (anonymous structs are inlined).
func (s *schemas) object(t reflect.Type) Schema {
	if t.Name() == "" {
		return s.build(t)
	}
	if name, ok := s.names[t]; ok {
		return Ref(name)
	}
	name := componentName(t)
	for n := 2; s.components[name] != nil; n++ { // two types of one name in different packages
		name = fmt.Sprintf("%s%d", componentName(t), n)
	}
	s.names[t] = name
	s.components[name] = Schema{} // placeholder: recursive types refer to it
	s.components[name] = s.build(t)
	return Ref(name)
}

// componentName is t's name with its first letter upper-cased and the HTTP layer's "JSON"
// suffix dropped; a generic's type argument is named after "Of" (list[passkeyJSON] →
// ListOfPasskey).
func componentName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		arg := name[i+1 : len(name)-1]
		if j := strings.LastIndexByte(arg, '.'); j >= 0 {
			arg = arg[j+1:]
		}
		name = upperFirst(name[:i]) + "Of" + upperFirst(arg)
	}
	return upperFirst(strings.ReplaceAll(name, "JSON", ""))
}

func upperFirst(name string) string {
	r := []rune(name)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

// build is the object schema of struct t: its fields as encoding/json sees them.
func (s *schemas) build(t reflect.Type) Schema {
	props := map[string]any{}
	var required []string
	s.fields(t, props, &required)
	out := Schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func (s *schemas) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				s.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		sch := s.typ(f.Type)
		if !omit && (nullable(f.Type) || f.Tag.Get("openapi") == "nullable") {
			sch = orNull(sch)
		}
		if doc := f.Tag.Get("doc"); doc != "" {
			sch = withDescription(sch, doc)
		}
		props[name] = sch
		if !omit {
			*required = append(*required, name)
		}
	}
}

// nullable reports whether encoding/json may write null for a value of t.
func nullable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Interface:
		return true
	}
	return false // a nil slice would be null: the server writes [] instead, and validation checks it
}

// orNull admits null besides what sch admits.
func orNull(sch Schema) Schema {
	if len(sch) == 0 { // any value
		return sch
	}
	if typ, ok := sch["type"].(string); ok && len(sch) <= 3 {
		out := Schema{}
		for k, v := range sch {
			out[k] = v
		}
		out["type"] = []string{typ, "null"}
		return out
	}
	return Schema{"oneOf": []any{sch, Schema{"type": "null"}}}
}

func withDescription(sch Schema, doc string) Schema {
	if _, ok := sch["$ref"]; ok { // siblings of $ref are allowed in 3.1, but keep it plain
		return Schema{"allOf": []any{sch}, "description": doc}
	}
	out := Schema{"description": doc}
	for k, v := range sch {
		out[k] = v
	}
	return out
}
