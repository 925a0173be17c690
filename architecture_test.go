package gatehouse_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const modulePath = "github.com/gatehouse-auth/gatehouse"

// TestArchitectureImportTable checks docs/architecture.md's package table against the code:
// every package of the module has a row, every row names a package, and each package imports
// (outside its tests) only the module's packages its row allows. "root" is the module's root
// package; "standard library only" and "—" allow none; "everything" allows all.
func TestArchitectureImportTable(t *testing.T) {
	allowed := readImportTable(t)
	actual := moduleImports(t)
	for pkg := range allowed {
		if _, ok := actual[pkg]; !ok {
			t.Errorf("docs/architecture.md has a row for %s, which is not a package of the module", pkg)
		}
	}
	pkgs := make([]string, 0, len(actual))
	for p := range actual {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		may, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s has no row in docs/architecture.md's table", pkg)
			continue
		}
		if may == nil { // everything
			continue
		}
		for _, imp := range actual[pkg] {
			if !slices.Contains(may, imp) {
				t.Errorf("%s imports %s, which its row in docs/architecture.md does not allow (%s)", pkg, imp, strings.Join(may, ", "))
			}
		}
	}
}

var rowName = regexp.MustCompile("`([^`]+)`")

// readImportTable returns, per package path relative to the module ("root" for the root), the
// packages it may import; nil means everything.
func readImportTable(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	inTable := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| Package |") {
			inTable = true
			continue
		}
		if !inTable {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
			continue
		}
		var may []string
		switch imports := strings.TrimSpace(cells[len(cells)-2]); imports {
		case "everything":
			may = nil
		case "standard library only", "—":
			may = []string{}
		default:
			for _, p := range strings.Split(imports, ",") {
				may = append(may, strings.TrimSpace(p))
			}
		}
		for _, m := range rowName.FindAllStringSubmatch(cells[1], -1) {
			name := m[1]
			if name == "gatehouse" {
				name = "root"
			}
			out[name] = may
		}
	}
	if len(out) == 0 {
		t.Fatal("no package table found in docs/architecture.md")
	}
	return out
}

// moduleImports returns, per package of the module (relative path, "root" for the root), the
// module's packages its non-test files import (relative paths, "root" for the root).
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if pkg == "." {
			pkg = "root"
		}
		if _, ok := out[pkg]; !ok {
			out[pkg] = []string{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			rel, ok := strings.CutPrefix(p, modulePath)
			if !ok {
				continue
			}
			rel = strings.TrimPrefix(rel, "/")
			if rel == "" {
				rel = "root"
			}
			if !slices.Contains(out[pkg], rel) {
				out[pkg] = append(out[pkg], rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
