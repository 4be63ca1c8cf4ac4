package iam

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPureLibrary keeps the policy language a pure library: its packages
// import the standard library and each other only, and nothing that does I/O
// or reads the clock. Callers hand it documents and request facts.
func TestPureLibrary(t *testing.T) {
	forbidden := []string{"os", "net", "net/http", "io/ioutil", "os/exec", "syscall", "unsafe", "log", "log/slog", "math/rand", "crypto/rand"}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			own := strings.HasPrefix(p, "github.com/sealbox/sealbox/internal/iam/")
			std := !strings.Contains(strings.Split(p, "/")[0], ".")
			if !own && !std {
				t.Errorf("%s imports %s: only the standard library and internal/iam's own packages", path, p)
			}
			for _, bad := range forbidden {
				if p == bad {
					t.Errorf("%s imports %s: the policy language does no I/O", path, p)
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "time" && (sel.Sel.Name == "Now" || sel.Sel.Name == "Since" || sel.Sel.Name == "Until") {
					t.Errorf("%s: time.%s reads the clock: time keys come from the request context", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
