package gatehouse_test

import (
	"fmt"
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
// every package of the module has a row, every row names a package, every name in a "May
// import" cell is a package of the module, and each package imports (outside its tests) only
// the module's packages its row allows. "root" is the module's root package; "—" allows none of
// the module's packages; "standard library only" allows nothing but the standard library (no
// module package, no third-party module); "everything" allows all.
func TestArchitectureImportTable(t *testing.T) {
	b, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	table, err := parseImportTable(string(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range importTableProblems(table, moduleImports(t)) {
		t.Error(p)
	}
}

// TestImportTableProblems shows that the check fails for each kind of drift between the table
// and the code.
func TestImportTableProblems(t *testing.T) {
	const doc = "intro\n\n| Package | Role | May import |\n|---|---|---|\n" +
		"| `gatehouse` (root) | domain | standard library only |\n" +
		"| `token` | format | root |\n" +
		"| `mail`, `mail/mailtest` | senders | — |\n" +
		"| `app` | wiring | everything |\n" +
		"\nafter the table | not | a row |\n"
	table, err := parseImportTable(doc)
	if err != nil {
		t.Fatal(err)
	}
	fine := func() map[string]pkgImports {
		return map[string]pkgImports{
			"root":          {},
			"token":         {module: []string{"root"}, thirdParty: []string{"golang.org/x/text"}},
			"mail":          {thirdParty: []string{"github.com/wneessen/go-mail"}},
			"mail/mailtest": {},
			"app":           {module: []string{"root", "token", "mail"}},
		}
	}
	tests := []struct {
		name   string
		change func(code map[string]pkgImports, table map[string]importRule)
		want   []string // substrings, one per problem
	}{
		{"code and table agree", func(map[string]pkgImports, map[string]importRule) {}, nil},
		{"package without a row", func(code map[string]pkgImports, _ map[string]importRule) {
			code["ratelimit"] = pkgImports{}
		}, []string{"package ratelimit has no row"}},
		{"row without a package", func(code map[string]pkgImports, _ map[string]importRule) {
			delete(code, "mail/mailtest")
		}, []string{"row for mail/mailtest, which is not a package"}},
		{"import the row does not allow", func(code map[string]pkgImports, _ map[string]importRule) {
			code["token"] = pkgImports{module: []string{"root", "mail"}}
		}, []string{"token imports mail, which its row"}},
		{"module import under a dash", func(code map[string]pkgImports, _ map[string]importRule) {
			code["mail"] = pkgImports{module: []string{"root"}}
		}, []string{"mail imports root"}},
		{"third-party import under standard library only", func(code map[string]pkgImports, _ map[string]importRule) {
			code["root"] = pkgImports{thirdParty: []string{"github.com/google/uuid"}}
		}, []string{"root imports github.com/google/uuid, but its row allows the standard library only"}},
		{"a cell names no package", func(_ map[string]pkgImports, table map[string]importRule) {
			table["token"] = importRule{may: []string{"root", "tokn"}}
		}, []string{`row of token allows "tokn", which is not a package`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, rules := fine(), map[string]importRule{}
			for k, v := range table {
				rules[k] = v
			}
			tt.change(code, rules)
			got := importTableProblems(rules, code)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d", got, len(tt.want))
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseImportTableRefuses(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"no table", "# Architecture\n", "no package table"},
		{"no May import column", "| Package | Role |\n|---|---|\n| `x` | y |\n", `no "May import" column`},
		{"an empty cell", "| Package | Role | May import |\n|---|---|---|\n| `x` | y |  |\n", "row of x: empty"},
		{"a row naming no package", "| Package | Role | May import |\n|---|---|---|\n| x | y | root |\n", "names no package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseImportTable(tt.doc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseImportTable: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// importRule is one row's "May import" cell: the module's packages it allows (all when
// everything is set), and whether third-party modules are refused too ("standard library only").
type importRule struct {
	may        []string
	everything bool
	stdlibOnly bool
}

// pkgImports are the imports of one package's non-test files: the module's packages (relative
// paths, "root" for the root) and the other non-standard-library import paths.
type pkgImports struct {
	module, thirdParty []string
}

var rowName = regexp.MustCompile("`([^`]+)`")

// parseImportTable reads the first table of doc whose header starts with "| Package |" and
// returns, per package path relative to the module ("root" for the root), its import rule.
func parseImportTable(doc string) (map[string]importRule, error) {
	out := map[string]importRule{}
	column := -1
	for _, line := range strings.Split(doc, "\n") {
		cells := strings.Split(line, "|")
		if column < 0 {
			if strings.HasPrefix(line, "| Package |") {
				for i, c := range cells {
					if strings.TrimSpace(c) == "May import" {
						column = i
					}
				}
				if column < 0 {
					return nil, fmt.Errorf(`the package table has no "May import" column`)
				}
			}
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		if strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
			continue
		}
		names := rowName.FindAllStringSubmatch(cells[1], -1)
		if len(names) == 0 {
			return nil, fmt.Errorf("a row of the package table names no package: %s", line)
		}
		if len(cells) <= column {
			return nil, fmt.Errorf("row of %s has no May import cell", names[0][1])
		}
		var rule importRule
		switch imports := strings.TrimSpace(cells[column]); imports {
		case "":
			return nil, fmt.Errorf("row of %s: empty May import cell", names[0][1])
		case "everything":
			rule.everything = true
		case "standard library only":
			rule.stdlibOnly = true
		case "—":
		default:
			for _, p := range strings.Split(imports, ",") {
				rule.may = append(rule.may, strings.TrimSpace(p))
			}
		}
		for _, m := range names {
			name := m[1]
			if name == "gatehouse" {
				name = "root"
			}
			out[name] = rule
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no package table found in docs/architecture.md")
	}
	return out, nil
}

// importTableProblems compares the table with the code's imports, one message per problem, in
// a stable order.
func importTableProblems(table map[string]importRule, code map[string]pkgImports) []string {
	var problems []string
	rows := make([]string, 0, len(table))
	for pkg := range table {
		rows = append(rows, pkg)
	}
	sort.Strings(rows)
	for _, pkg := range rows {
		if _, ok := code[pkg]; !ok {
			problems = append(problems, fmt.Sprintf("docs/architecture.md has a row for %s, which is not a package of the module", pkg))
		}
		for _, may := range table[pkg].may {
			if _, ok := code[may]; !ok {
				problems = append(problems, fmt.Sprintf("the row of %s allows %q, which is not a package of the module", pkg, may))
			}
		}
	}
	pkgs := make([]string, 0, len(code))
	for p := range code {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		rule, ok := table[pkg]
		if !ok {
			problems = append(problems, fmt.Sprintf("package %s has no row in docs/architecture.md's table", pkg))
			continue
		}
		if rule.everything {
			continue
		}
		for _, imp := range code[pkg].module {
			if !slices.Contains(rule.may, imp) {
				problems = append(problems, fmt.Sprintf("%s imports %s, which its row in docs/architecture.md does not allow (%s)", pkg, imp, strings.Join(rule.may, ", ")))
			}
		}
		if rule.stdlibOnly {
			for _, imp := range code[pkg].thirdParty {
				problems = append(problems, fmt.Sprintf("%s imports %s, but its row allows the standard library only", pkg, imp))
			}
		}
	}
	return problems
}

// moduleImports returns, per package of the module (relative path, "root" for the root), what
// its non-test files import.
func moduleImports(t *testing.T) map[string]pkgImports {
	t.Helper()
	out := map[string]pkgImports{}
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
		imports := out[pkg]
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			rel, ok := strings.CutPrefix(p, modulePath)
			switch {
			case ok && (rel == "" || strings.HasPrefix(rel, "/")):
				rel = strings.TrimPrefix(rel, "/")
				if rel == "" {
					rel = "root"
				}
				if !slices.Contains(imports.module, rel) {
					imports.module = append(imports.module, rel)
				}
			case strings.Contains(strings.Split(p, "/")[0], "."): // a module path, not the standard library
				if !slices.Contains(imports.thirdParty, p) {
					imports.thirdParty = append(imports.thirdParty, p)
				}
			}
		}
		out[pkg] = imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
