package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/gatehouse-auth/gatehouse/app"
	"github.com/gatehouse-auth/gatehouse/httpapi"
)

// answerCheck validates the answers the e2e suite receives against the server's own
// /openapi.json: every answer of a documented route (status, headers, and a JSON body's schema,
// with no undocumented members) must be one the document describes. server.send calls it for
// every request made through s.do and the test browsers.
type answerCheck struct {
	once   sync.Once
	router routers.Router
	err    error
}

// loadOpenAPI fetches and validates the server's document and builds its router.
func loadOpenAPI(base string) (*openapi3.T, routers.Router, error) {
	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET /openapi.json: %d %s", res.StatusCode, raw)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		return nil, nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, nil, err
	}
	doc.Servers = openapi3.Servers{{URL: base}} // the test server's address, not the public URL
	r, err := gorillamux.NewRouter(doc)
	return doc, r, err
}

// checkAnswer reports, as a test error, an answer the document does not describe.
func (s *server) checkAnswer(req *http.Request, res *http.Response, body []byte) {
	s.t.Helper()
	if err := s.answers.validate(s.base, req, res, body); err != nil {
		s.t.Errorf("%s %s answered %d, which /openapi.json does not describe: %v\nbody: %s",
			req.Method, req.URL.Path, res.StatusCode, err, truncateBody(body))
	}
}

// validate checks one answer against the document of the server at base (loaded once).
func (c *answerCheck) validate(base string, req *http.Request, res *http.Response, body []byte) error {
	c.once.Do(func() { _, c.router, c.err = loadOpenAPI(base) })
	if c.err != nil {
		return fmt.Errorf("the server's OpenAPI document: %w", c.err)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil // not a documented route: the fallback's 404 and 405
	}
	ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: ct != "application/json"}}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), out)
}

func truncateBody(b []byte) []byte {
	if len(b) > 600 {
		return append(b[:600:600], "..."...)
	}
	return b
}

// TestOpenAPIDocumentsEveryRoute: /openapi.json is a valid OpenAPI 3.1 document that documents
// exactly the routes a fully configured server registers, each with its declared permission.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	s := start(t, "sqlite://"+t.TempDir()+"/gatehouse.db", withProfiles("", servedProfiles...))
	doc, _, err := loadOpenAPI(s.base)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	var registered []string
	perms := map[string]string{}
	for _, r := range s.m.Routes() {
		registered = append(registered, r.Pattern)
		perms[r.Pattern] = r.Permission.String()
	}
	slices.Sort(registered)
	profiles, err := app.APIProfiles(servedProfiles)
	if err != nil {
		t.Fatal(err)
	}
	documented := httpapi.DocumentedRoutes(profiles...)
	for _, r := range registered {
		if _, found := slices.BinarySearch(documented, r); !found {
			t.Errorf("route %s is registered but not documented (httpapi/openapi_ops.go)", r)
		}
	}
	for _, d := range documented {
		if _, found := slices.BinarySearch(registered, d); !found {
			t.Errorf("%s is documented but no such route is registered", d)
		}
	}
	// Every documented operation carries the permission its route declares.
	for _, pattern := range registered {
		method, path, _ := strings.Cut(pattern, " ")
		item := doc.Paths.Find(openAPIPath(path))
		if item == nil {
			t.Errorf("%s: no path item for %s", pattern, path)
			continue
		}
		op := item.GetOperation(method)
		if op == nil {
			t.Errorf("%s: no %s operation", pattern, method)
			continue
		}
		if got := op.Extensions["x-gatehouse-permission"]; got != perms[pattern] {
			t.Errorf("%s: x-gatehouse-permission %v, want %s", pattern, got, perms[pattern])
		}
	}
	ref := s.do("GET", "/docs/api", "", nil)
	mustStatus(t, ref, http.StatusOK)
	for _, want := range []string{"POST", "/v1/auth/tokens", "Personal access tokens", "NewToken"} {
		if !bytes.Contains(ref.body, []byte(want)) {
			t.Errorf("/docs/api does not show %q", want)
		}
	}
	if bytes.Contains(ref.body, []byte("<script")) || bytes.Contains(ref.body, []byte("https://")) {
		t.Error("/docs/api must be self-contained: no script, no outside asset")
	}
}

// openAPIPath is the document's path of a ServeMux pattern's path.
func openAPIPath(p string) string {
	switch {
	case p == "/{$}":
		return "/"
	case strings.HasSuffix(p, "/") && p != "/":
		return p + "{path}"
	}
	return p
}

// TestAnswersOutsideTheDocumentAreCaught: the check that every e2e answer goes through fails on
// an answer the document does not describe (a wrong status, an undocumented member).
func TestAnswersOutsideTheDocumentAreCaught(t *testing.T) {
	s := start(t, "sqlite://"+t.TempDir()+"/gatehouse.db", nil)
	tok, _ := s.register("docs_probe", "correct horse battery staple", "")
	r := s.do("GET", "/v1/me", tok, nil)
	mustStatus(t, r, http.StatusOK)
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"undocumented member", 200, strings.Replace(string(r.body), `"id":`, `"surprise":1,"id":`, 1)},
		{"undocumented success status", 201, string(r.body)},
		{"error without its code", 400, `{"error_description":"x","request_id":"r"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fresh answerCheck
			req, _ := http.NewRequest("GET", s.base+"/v1/me", nil)
			res := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {"application/json"}}}
			if err := fresh.validate(s.base, req, res, []byte(tc.body)); err == nil {
				t.Errorf("an answer with %s passed the check", tc.name)
			}
		})
	}
	// And the real answer passes.
	var fresh answerCheck
	req, _ := http.NewRequest("GET", s.base+"/v1/me", nil)
	if err := fresh.validate(s.base, req, &http.Response{StatusCode: 200, Header: r.header}, r.body); err != nil {
		t.Errorf("the real answer fails the check: %v", err)
	}
}
