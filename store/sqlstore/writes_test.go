package sqlstore

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestOneWritePath keeps the write path single (writes.go), which store/credcache's exactness
// rests on: outside the files that build or close the store, no code names the writer pool
// (Store.w), and only the write path makes a conn (the one type that can exec), so every write
// moves Writes.
func TestOneWritePath(t *testing.T) {
	mayNameWriter := map[string]bool{"writes.go": true, "store.go": true, "sqlite.go": true,
		"postgres.go": true, "sqlite_groupcommit.go": true}
	mayMakeConn := map[string]bool{"writes.go": true, "sqlite_groupcommit.go": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if n.Sel.Name == "w" && !mayNameWriter[name] {
					t.Errorf("%s: names the writer pool (.w) outside the write path", fset.Position(n.Pos()))
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "conn" && !mayMakeConn[name] {
					t.Errorf("%s: makes a conn outside the write path", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("checked %d files; the package has more", checked)
	}
}
