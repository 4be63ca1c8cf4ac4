package store

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Store backends hold bytes; they never see keys or the barrier (DESIGN.md:
// the barrier wraps a store, not the other way round).
func TestBackendImports(t *testing.T) {
	forbidden := []string{
		"github.com/sealbox/sealbox/internal/barrier",
		"github.com/sealbox/sealbox/internal/primitive",
	}
	files, _ := filepath.Glob("*/*.go")
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s; store backends must not", file, path)
				}
			}
		}
	}
}
