package sigv4

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps cipher and MAC code out of sigv4: the canonical request
// is hashed here with crypto/sha256, but the MAC and the comparison are
// internal/primitive's, the one package that may import crypto/hmac and
// its kin.
func TestImports(t *testing.T) {
	forbidden := []string{"crypto/hmac", "crypto/aes", "crypto/cipher", "crypto/subtle", "golang.org/x/crypto"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parser.ParseFile(%q) err = %v", name, err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %q; only internal/primitive may", name, path)
				}
			}
		}
	}
}

func TestErrorText(t *testing.T) {
	err := &AuthError{Kind: KindBadSignature, Message: "m"}
	if got, want := err.Error(), "sigv4: signature mismatch: m"; got != want {
		t.Errorf("AuthError.Error() = %q, want %q", got, want)
	}
	if got, want := Kind(0).String(), "Kind(0)"; got != want {
		t.Errorf("Kind(0).String() = %q, want %q", got, want)
	}
}
