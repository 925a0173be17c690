package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// Operation documents one route as the server registers it.
type Operation struct {
	// Route is the ServeMux pattern, "METHOD /path/{param}" ("/{$}" is the root; a trailing
	// slash, a subtree, is documented as one {path} parameter).
	Route   string
	Summary string
	// Description is Markdown (optional).
	Description string
	Tag         string
	// Security names the schemes of Info.Security any one of which the route accepts; "" among
	// them means the credential is optional (a public OAuth client sends only its client_id);
	// none: no credential.
	Security []string
	// Extensions are x- members of the operation (Gatehouse's: x-gatehouse-permission).
	Extensions map[string]any
	// Request is a value of the JSON body's Go type (nil: no JSON body); Form lists the fields
	// of a form body (application/x-www-form-urlencoded).
	Request any
	Form    []Param
	Query   []Param
	// Responses are the documented answers; every operation also gets the error shape as its
	// 4XX and 5XX answers.
	Responses []Response
	// ErrorContentType is a media type its error answers may have besides the JSON error shape
	// (pages answer errors as text/html).
	ErrorContentType string
}

// Param is a query or form parameter.
type Param struct {
	Name        string
	Description string
	Required    bool
	Enum        []string
}

// Response is one documented answer.
type Response struct {
	Status      int
	Description string
	// Body is a value of the answer's Go type, a Raw or Named schema, or nil for no body.
	Body any
	// ContentType is "" for application/json.
	ContentType string
	// Headers names response headers (each a string).
	Headers []string
}

// Info is what the document says about itself.
type Info struct {
	Title, Version, Description string
	ServerURL                   string // the public URL ("" leaves servers out)
	// Security maps scheme names (as Operation.Security uses them) to their OpenAPI security
	// scheme objects.
	Security map[string]Schema
	// Error is a value of the error answer's Go type.
	Error any
	// Tags describe the operations' tags (Operation.Tag), shown in this order.
	Tags []Tag
}

// Tag names a group of operations.
type Tag struct {
	Name, Description string
}

var pathParam = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}`)

// Document returns the OpenAPI 3.1 document of ops as JSON. Two operations of one route, a
// route that is not "METHOD /path", or an unknown security scheme is an error.
func Document(info Info, ops []Operation) ([]byte, error) {
	sch := newSchemas()
	errSchema := sch.of(info.Error)
	paths := map[string]map[string]any{}
	seen := map[string]bool{}
	for _, op := range ops {
		method, path, err := SplitRoute(op.Route)
		if err != nil {
			return nil, err
		}
		if seen[op.Route] {
			return nil, fmt.Errorf("openapi: %s is documented twice", op.Route)
		}
		seen[op.Route] = true
		o, err := operation(sch, info, op, path, errSchema)
		if err != nil {
			return nil, err
		}
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = o
	}
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": map[string]any{"title": info.Title, "version": info.Version, "description": info.Description,
			"license": map[string]any{"name": "Apache-2.0", "identifier": "Apache-2.0"}},
		"paths": paths,
		"components": map[string]any{
			"schemas":         sch.components,
			"securitySchemes": info.Security,
		},
		"tags": tags(info.Tags, ops),
	}
	if info.ServerURL != "" {
		doc["servers"] = []any{map[string]any{"url": info.ServerURL}}
	}
	return json.MarshalIndent(doc, "", "  ")
}

// SplitRoute splits a ServeMux pattern into its method and its OpenAPI path.
func SplitRoute(route string) (method, path string, err error) {
	method, pattern, ok := strings.Cut(route, " ")
	if !ok || method == "" || !strings.HasPrefix(pattern, "/") {
		return "", "", fmt.Errorf("openapi: route %q is not \"METHOD /path\"", route)
	}
	switch {
	case pattern == "/{$}":
		pattern = "/"
	case strings.HasSuffix(pattern, "/{$}"):
		pattern = strings.TrimSuffix(pattern, "{$}")
	case strings.HasSuffix(pattern, "/") && pattern != "/":
		pattern += "{path}"
	}
	return method, pathParam.ReplaceAllString(pattern, "{$1}"), nil
}

func operation(sch *schemas, info Info, op Operation, path string, errSchema Schema) (map[string]any, error) {
	o := map[string]any{
		"operationId": operationID(op.Route),
		"summary":     op.Summary,
		"tags":        []string{op.Tag},
	}
	if op.Description != "" {
		o["description"] = op.Description
	}
	for k, v := range op.Extensions {
		if !strings.HasPrefix(k, "x-") {
			return nil, fmt.Errorf("openapi: %s: extension %q does not start with x-", op.Route, k)
		}
		o[k] = v
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": Schema{"type": "string"}})
	}
	for _, q := range op.Query {
		params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required,
			"description": q.Description, "schema": paramSchema(q)})
	}
	if params != nil {
		o["parameters"] = params
	}
	switch {
	case op.Request != nil:
		o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": sch.of(op.Request)}}}
	case op.Form != nil:
		props, required := map[string]any{}, []string{}
		for _, f := range op.Form {
			props[f.Name] = withDescription(paramSchema(f), f.Description)
			if f.Required {
				required = append(required, f.Name)
			}
		}
		form := Schema{"type": "object", "properties": props}
		if len(required) > 0 {
			form["required"] = required
		}
		o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/x-www-form-urlencoded": map[string]any{"schema": form}}}
	}
	security := []any{}
	for _, name := range op.Security {
		if name == "" {
			security = append(security, map[string]any{})
			continue
		}
		if _, ok := info.Security[name]; !ok {
			return nil, fmt.Errorf("openapi: %s names the unknown security scheme %q", op.Route, name)
		}
		security = append(security, map[string]any{name: []string{}})
	}
	o["security"] = security
	responses := map[string]any{}
	for _, r := range op.Responses {
		desc := r.Description
		if desc == "" {
			desc = http.StatusText(r.Status)
		}
		resp := map[string]any{"description": desc}
		if r.Body != nil {
			ct := r.ContentType
			if ct == "" {
				ct = "application/json"
			}
			resp["content"] = map[string]any{ct: map[string]any{"schema": sch.of(r.Body)}}
		}
		if len(r.Headers) > 0 {
			hs := map[string]any{}
			for _, h := range r.Headers {
				hs[h] = map[string]any{"schema": Schema{"type": "string"}}
			}
			resp["headers"] = hs
		}
		responses[strconv.Itoa(r.Status)] = resp
	}
	// Errors are the JSON error shape; a page also answers them as HTML (the middleware in
	// front of it, such as the cross-origin check, answers JSON).
	errContent := map[string]any{"application/json": map[string]any{"schema": errSchema}}
	if op.ErrorContentType != "" {
		errContent[op.ErrorContentType] = map[string]any{"schema": Schema{"type": "string"}}
	}
	for status, desc := range map[string]string{
		"4XX": "The request was refused: the error code says why (invalid_request, invalid_token, insufficient_permissions, reauth_required, not_found, conflict, rate_limited, ...).",
		"5XX": "Gatehouse could not answer (server_error, or temporarily_unavailable with Retry-After).",
	} {
		responses[status] = map[string]any{"description": desc, "content": errContent}
	}
	o["responses"] = responses
	return o, nil
}

func paramSchema(p Param) Schema {
	if len(p.Enum) > 0 {
		return Schema{"type": "string", "enum": p.Enum}
	}
	return Schema{"type": "string"}
}

// operationID makes a unique, stable identifier of a route: the method and the path's words
// ("POST /v1/orgs/{org}/api-keys" → "post_v1_orgs_org_api_keys").
func operationID(route string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(route) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// tags lists the described tags, then any other tag an operation uses; an operation's tag
// that info does not describe is described by its name.
func tags(described []Tag, ops []Operation) []any {
	var out []any
	seen := map[string]bool{}
	for _, t := range described {
		out = append(out, map[string]any{"name": t.Name, "description": t.Description})
		seen[t.Name] = true
	}
	for _, op := range ops {
		if !seen[op.Tag] {
			seen[op.Tag] = true
			out = append(out, map[string]any{"name": op.Tag, "description": op.Tag})
		}
	}
	return out
}
