package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strings"
)

// Reference renders a document (as Document writes it) as one self-contained HTML page: the
// operations by tag, each with its permission, parameters, body and answers, and the schemas.
// No script and no outside asset: the page works offline and under a strict CSP.
func Reference(docJSON []byte) ([]byte, error) {
	var doc struct {
		Info struct {
			Title, Version, Description string
		}
		Tags       []struct{ Name string }
		Paths      map[string]map[string]refOperation
		Components struct {
			Schemas map[string]map[string]any
		}
	}
	if err := json.Unmarshal(docJSON, &doc); err != nil {
		return nil, fmt.Errorf("openapi: reference: %w", err)
	}
	type entry struct {
		Method, Path string
		Op           refOperation
	}
	byTag := map[string][]entry{}
	for path, methods := range doc.Paths {
		for method, op := range methods {
			tag := ""
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			byTag[tag] = append(byTag[tag], entry{strings.ToUpper(method), path, op})
		}
	}
	type section struct {
		Tag     string
		Anchor  string
		Entries []entry
	}
	var sections []section
	for _, t := range doc.Tags {
		es := byTag[t.Name]
		slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method) })
		sections = append(sections, section{Tag: t.Name, Anchor: anchor(t.Name), Entries: es})
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for n := range doc.Components.Schemas {
		names = append(names, n)
	}
	slices.Sort(names)
	type schemaEntry struct {
		Name string
		Text string
	}
	schemas := make([]schemaEntry, len(names))
	for i, n := range names {
		schemas[i] = schemaEntry{n, describe(doc.Components.Schemas[n], 0)}
	}
	var buf bytes.Buffer
	err := referencePage.Execute(&buf, map[string]any{
		"Info": doc.Info, "Sections": sections, "Schemas": schemas,
	})
	return buf.Bytes(), err
}

// refOperation is what the page shows of an operation.
type refOperation struct {
	Summary     string
	Description string
	Tags        []string
	Permission  string `json:"x-gatehouse-permission"`
	Security    []map[string]any
	Parameters  []struct {
		Name, In    string
		Required    bool
		Description string
	}
	RequestBody *struct {
		Content map[string]struct{ Schema map[string]any }
	}
	Responses map[string]struct {
		Description string
		Content     map[string]struct{ Schema map[string]any }
	}
}

// Auth names the schemes an operation accepts.
func (o refOperation) Auth() string {
	var names []string
	for _, req := range o.Security {
		if len(req) == 0 {
			names = append(names, "optional")
		}
		for n := range req {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, " or ")
}

// Body describes the request body's schema.
func (o refOperation) Body() string {
	if o.RequestBody == nil {
		return ""
	}
	var parts []string
	for ct, c := range o.RequestBody.Content {
		parts = append(parts, ct+": "+describe(c.Schema, 0))
	}
	slices.Sort(parts)
	return strings.Join(parts, "\n")
}

// Answers describes the responses, by status.
func (o refOperation) Answers() []string {
	var out []string
	for status, r := range o.Responses {
		line := status + " " + r.Description
		for ct, c := range r.Content {
			line += "\n  " + ct + ": " + describe(c.Schema, 1)
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

// describe writes a schema as a compact type expression.
func describe(s map[string]any, depth int) string {
	if ref, ok := s["$ref"].(string); ok {
		return strings.TrimPrefix(ref, "#/components/schemas/")
	}
	if one, ok := s["oneOf"].([]any); ok {
		var alts []string
		for _, a := range one {
			if m, ok := a.(map[string]any); ok {
				alts = append(alts, describe(m, depth))
			}
		}
		return strings.Join(alts, " | ")
	}
	typ := fmt.Sprint(s["type"])
	if ts, ok := s["type"].([]any); ok {
		var parts []string
		for _, t := range ts {
			parts = append(parts, fmt.Sprint(t))
		}
		typ = strings.Join(parts, " | ")
	}
	switch {
	case s["type"] == nil && len(s) == 0:
		return "any"
	case typ == "array":
		items, _ := s["items"].(map[string]any)
		return describe(items, depth) + "[]"
	case strings.HasPrefix(typ, "object"):
		props, _ := s["properties"].(map[string]any)
		if len(props) == 0 {
			return typ
		}
		required := map[string]bool{}
		if rs, ok := s["required"].([]any); ok {
			for _, r := range rs {
				required[fmt.Sprint(r)] = true
			}
		}
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		indent := strings.Repeat("  ", depth+1)
		var b strings.Builder
		b.WriteString("{\n")
		for _, k := range keys {
			p, _ := props[k].(map[string]any)
			opt := "?"
			if required[k] {
				opt = ""
			}
			fmt.Fprintf(&b, "%s%s%s: %s\n", indent, k, opt, describe(p, depth+1))
		}
		b.WriteString(strings.Repeat("  ", depth) + "}")
		return b.String()
	}
	if f, ok := s["format"].(string); ok {
		typ += " (" + f + ")"
	}
	if e, ok := s["enum"].([]any); ok {
		typ += fmt.Sprint(" ", e)
	}
	return typ
}

func anchor(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

var referencePage = template.Must(template.New("reference").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Info.Title}} reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;display:flex;color:#1b1b1f}
nav{width:17rem;flex:none;padding:1rem;border-right:1px solid #ddd;height:100vh;overflow:auto;position:sticky;top:0}
main{padding:1rem 2rem;max-width:60rem;overflow:auto}
nav a{display:block;color:#1d4ed8;text-decoration:none;margin:.15rem 0}
h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2.5rem}
.op{border:1px solid #e5e5e5;border-radius:6px;padding:.6rem .9rem;margin:.8rem 0}
.m{font-weight:700;font-family:ui-monospace,monospace;margin-right:.5rem}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f6f8;padding:.5rem .7rem;border-radius:4px;overflow:auto;margin:.3rem 0}
.meta{color:#555;font-size:13px}
</style></head><body>
<nav><strong>{{.Info.Title}}</strong> <span class="meta">v{{.Info.Version}}</span>
<p><a href="/openapi.json">openapi.json</a></p>
{{range .Sections}}<a href="#{{.Anchor}}">{{.Tag}}</a>{{end}}<a href="#schemas">Schemas</a></nav>
<main><h1>{{.Info.Title}}</h1><p>{{.Info.Description}}</p>
{{range .Sections}}<h2 id="{{.Anchor}}">{{.Tag}}</h2>
{{range .Entries}}<div class="op"><div><span class="m">{{.Method}}</span><code>{{.Path}}</code></div>
<div>{{.Op.Summary}}</div>{{with .Op.Description}}<p>{{.}}</p>{{end}}
<div class="meta">permission: <code>{{.Op.Permission}}</code> · credential: {{.Op.Auth}}</div>
{{with .Op.Parameters}}<div class="meta">parameters:{{range .}} <code>{{.Name}}</code> ({{.In}}{{if .Required}}, required{{end}}){{end}}</div>{{end}}
{{with .Op.Body}}<div class="meta">body</div><pre>{{.}}</pre>{{end}}
<div class="meta">answers</div><pre>{{range .Op.Answers}}{{.}}
{{end}}</pre></div>{{end}}{{end}}
<h2 id="schemas">Schemas</h2>
{{range .Schemas}}<h3 id="schema-{{.Name}}">{{.Name}}</h3><pre>{{.Text}}</pre>{{end}}
</main></body></html>
`))
