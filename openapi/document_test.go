package openapi

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

type owner struct {
	ID string `json:"id"`
}

type sample struct {
	Name      string            `json:"name"`
	Note      string            `json:"note,omitempty"`
	Count     int               `json:"count"`
	Tags      []string          `json:"tags"`
	At        time.Time         `json:"at"`
	Expires   *time.Time        `json:"expires"`
	Owner     *owner            `json:"owner,omitempty"`
	Extra     map[string]string `json:"extra"`
	Any       json.RawMessage   `json:"any"`
	hidden    string
	Skipped   string `json:"-"`
	embedded2        // unexported embedded struct: its fields are promoted
}

type embedded2 struct {
	Promoted bool `json:"promoted"`
}

type page[T any] struct {
	Data []T `json:"data"`
}

func TestSchemasFollowEncodingJSON(t *testing.T) {
	_ = sample{hidden: ""}
	s := newSchemas()
	if got := s.of(sample{}); got["$ref"] != "#/components/schemas/Sample" {
		t.Fatalf("of(sample) = %v, want a $ref to Sample", got)
	}
	obj := s.components["Sample"]
	props := obj["properties"].(map[string]any)
	tests := []struct {
		name, field string
		want        Schema
	}{
		{"string", "name", Schema{"type": "string"}},
		{"integer", "count", Schema{"type": "integer"}},
		{"array, never null", "tags", Schema{"type": "array", "items": Schema{"type": "string"}}},
		{"time", "at", Schema{"type": "string", "format": "date-time"}},
		{"pointer without omitempty may be null", "expires", Schema{"type": []string{"string", "null"}, "format": "date-time"}},
		{"pointer with omitempty is a $ref", "owner", Ref("Owner")},
		{"map may be null", "extra", Schema{"type": []string{"object", "null"}, "additionalProperties": Schema{"type": "string"}}},
		{"raw JSON is any value", "any", Schema{}},
		{"promoted field", "promoted", Schema{"type": "boolean"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := props[tc.field]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: %#v, want %#v", tc.field, got, tc.want)
			}
		})
	}
	for _, gone := range []string{"hidden", "Skipped", "-", "embedded2"} {
		if _, ok := props[gone]; ok {
			t.Errorf("%s is documented; encoding/json never writes it", gone)
		}
	}
	wantRequired := []string{"name", "count", "tags", "at", "expires", "extra", "any", "promoted"}
	if got := obj["required"]; !reflect.DeepEqual(got, wantRequired) {
		t.Errorf("required %v, want %v (every member without omitempty)", got, wantRequired)
	}
	if obj["additionalProperties"] != false {
		t.Error("objects must admit no undocumented members")
	}
	if got := s.of(page[owner]{}); got["$ref"] != "#/components/schemas/PageOfOwner" {
		t.Errorf("a generic's component: %v, want PageOfOwner", got)
	}
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	type errBody struct {
		Error string `json:"error"`
	}
	info := Info{Title: "t", Version: "1", Error: errBody{},
		Security: map[string]Schema{"bearer": {"type": "http", "scheme": "bearer"}}}
	ops := []Operation{
		{Route: "GET /v1/things/{id}", Summary: "One thing", Tag: "things", Security: []string{"bearer"},
			Responses: []Response{{Status: 200, Body: sample{}}}},
		{Route: "POST /v1/things", Summary: "Make a thing", Tag: "things", Request: owner{},
			Responses: []Response{{Status: 201, Body: sample{}, Headers: []string{"Location"}}}},
		{Route: "POST /login", Summary: "Sign in", Tag: "pages", Form: []Param{{Name: "username", Required: true}},
			Responses: []Response{{Status: 303, Headers: []string{"Location"}}}, ErrorContentType: "text/html"},
		{Route: "GET /static/", Summary: "Assets", Tag: "pages", Responses: []Response{{Status: 200, Body: Raw{"type": "string"}, ContentType: "text/css"}}},
		{Route: "GET /{$}", Summary: "Home", Tag: "pages", Responses: []Response{{Status: 303}}},
	}
	raw, err := Document(info, ops)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("not a valid document: %v\n%s", err, raw)
	}
	for _, p := range []string{"/v1/things/{id}", "/v1/things", "/login", "/static/{path}", "/"} {
		if doc.Paths.Find(p) == nil {
			t.Errorf("path %s missing", p)
		}
	}

	bad := []struct {
		name string
		ops  []Operation
	}{
		{"twice", []Operation{{Route: "GET /a", Tag: "x"}, {Route: "GET /a", Tag: "x"}}},
		{"no method", []Operation{{Route: "/a", Tag: "x"}}},
		{"unknown scheme", []Operation{{Route: "GET /a", Tag: "x", Security: []string{"nope"}}}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Document(info, tc.ops); err == nil {
				t.Error("no error")
			}
		})
	}
}
