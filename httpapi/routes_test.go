package httpapi

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRoutesRegisterOnlyThroughTheRouter walks the package's source: the only calls that put a
// handler on a ServeMux are the router's (routes.go) and the fallback's, so that no route can
// reach the mux without a declared permission. The e2e authorization table test then checks
// every registered route's permission against real credentials.
func TestRoutesRegisterOnlyThroughTheRouter(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]int{"routes.go": 1, "router.go": 1} // router.add; the fallback "/"
	fset := token.NewFileSet()
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		calls := 0
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if ok && (sel.Sel.Name == "Handle" || sel.Sel.Name == "HandleFunc") && len(call.Args) == 2 && !isContext(call.Args[0]) {
				calls++
				if calls > allowed[f] {
					t.Errorf("%s: %s.%s registers a route outside the router: use rt.authed/public/page (routes.go) so it declares a permission",
						fset.Position(call.Pos()), exprString(sel.X), sel.Sel.Name)
				}
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("only %d source files checked", checked)
	}
}

func exprString(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "…"
}

// isContext tells slog's Handler.Handle(ctx, record) from ServeMux.Handle(pattern, handler).
func isContext(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "ctx"
}
