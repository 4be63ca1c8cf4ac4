package barrier

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The barrier reaches ciphers only through internal/primitive, and storage
// only through store.Store (never a backend directly).
func TestImports(t *testing.T) {
	forbidden := []string{
		"crypto/aes", "crypto/cipher", "crypto/hmac", "golang.org/x/crypto",
		"go.etcd.io/bbolt",
	}
	for _, dir := range []string{".", "rootkey"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
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
						t.Errorf("%s imports %s; cipher code belongs in internal/primitive, storage behind store.Store", file, path)
					}
				}
			}
		}
	}
}
