package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed templates
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// layoutFile holds the "layout" template every page is executed through, and the shared
// partials ("alert").
const layoutFile = "layout.html"

// staticPrefix is the URL path under which Static serves the assets.
const staticPrefix = "/static/"

// Cache-Control values of the assets: a versioned URL (?v= of the current content) never
// changes, anything else is revalidated with its ETag.
const (
	cacheVersioned   = "public, max-age=31536000, immutable"
	cacheUnversioned = "no-cache"
)

// Pages renders the embedded pages (one method per page: Login, Account, Consent, ...) and
// serves the embedded assets. It is safe for concurrent use.
type Pages struct {
	pages  map[string]*template.Template
	assets map[string]asset
}

// asset is one embedded static file.
type asset struct {
	data    []byte
	version string // first 16 hex digits of the content's SHA-256
}

// New parses every template and loads every asset once. An error means the embedded files are
// broken (a bug caught by the package's tests), never a runtime condition.
func New() (*Pages, error) {
	p := &Pages{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	if err := p.loadAssets(); err != nil {
		return nil, err
	}
	layout, err := template.New(layoutFile).Funcs(template.FuncMap{"static": p.staticURL}).
		ParseFS(templateFS, "templates/"+layoutFile)
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	// Partials (templates/partials/*.html) are parts that several pages, or one page's optional
	// sections, share: they are parsed into every page.
	if partials, _ := fs.Glob(templateFS, "templates/partials/*.html"); len(partials) > 0 {
		if _, err := layout.ParseFS(templateFS, partials...); err != nil {
			return nil, fmt.Errorf("web: parse partials: %w", err)
		}
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list templates: %w", err)
	}
	for _, f := range files {
		base := path.Base(f)
		if base == layoutFile {
			continue
		}
		t, err := layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout for %s: %w", base, err)
		}
		if _, err := t.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", base, err)
		}
		for _, part := range []string{"layout", "title", "content"} {
			if t.Lookup(part) == nil {
				return nil, fmt.Errorf("web: %s defines no %q template", base, part)
			}
		}
		p.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return p, nil
}

func (p *Pages) loadAssets() error {
	return fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(name)
		if err != nil {
			return fmt.Errorf("web: read %s: %w", name, err)
		}
		sum := sha256.Sum256(data)
		p.assets[strings.TrimPrefix(name, "static/")] = asset{data: data, version: hex.EncodeToString(sum[:8])}
		return nil
	})
}

// staticURL is the template function "static": the versioned URL of an asset. An unknown name is
// an execution error, so a typo fails the page's test instead of shipping a broken link.
func (p *Pages) staticURL(name string) (string, error) {
	a, ok := p.assets[name]
	if !ok {
		return "", fmt.Errorf("web: no static asset %q", name)
	}
	return staticPrefix + name + "?v=" + a.version, nil
}

// Names returns the names of the page templates, sorted.
func (p *Pages) Names() []string {
	names := make([]string, 0, len(p.pages))
	for n := range p.pages {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// render writes the page name executed with data, with the given status; the page methods call
// it with their template and data. The page is executed into a buffer first: when it fails (an
// unknown page, a template error) the response is a clean 500 error page and the failure is
// logged, never half a page.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	body, err := p.execute(name, data)
	if err != nil {
		slog.Default().ErrorContext(r.Context(), "page not rendered",
			slog.String("page", name),
			slog.String("request_id", w.Header().Get("X-Request-ID")),
			slog.Any("error", err))
		p.renderFailure(w, w.Header().Get("X-Request-ID"))
		return
	}
	write(w, status, body)
}

func (p *Pages) execute(name string, data any) ([]byte, error) {
	t, ok := p.pages[name]
	if !ok {
		return nil, fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// renderFailure answers 500 with the error page, or with plain text if even that fails.
func (p *Pages) renderFailure(w http.ResponseWriter, requestID string) {
	body, err := p.execute(pageError, Page{Status: http.StatusInternalServerError, Error: "An internal error occurred.", RequestID: requestID})
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("An internal error occurred.\n"))
		return
	}
	write(w, http.StatusInternalServerError, body)
}

func write(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Static serves the embedded assets at /static/<name> (it expects the full request path). A
// request whose ?v= matches the asset's current version is cacheable for a year and immutable
// (the pages link only such URLs); any other is revalidated with the ETag. Unknown names and
// directories are 404.
func (p *Pages) Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, staticPrefix)
		a, found := p.assets[name]
		if !ok || !found {
			w.Header().Set("Cache-Control", "no-store")
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		if r.URL.Query().Get("v") == a.version {
			h.Set("Cache-Control", cacheVersioned)
		} else {
			h.Set("Cache-Control", cacheUnversioned)
		}
		h.Set("ETag", `"`+a.version+`"`)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.data))
	})
}
