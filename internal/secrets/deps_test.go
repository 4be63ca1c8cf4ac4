package secrets

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the service's layering (STYLE.md): it never sees HTTP,
// the protocol layer, key material or raw ciphers; KMS issues its data keys
// and internal/envelope seals with them. crypto/rand (passwords, ARN
// suffixes) and crypto/subtle (comparing values) are the only crypto
// packages it uses.
func TestImports(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "crypto/rand" || p == "crypto/subtle" {
				continue
			}
			for _, bad := range []string{"net/http", "crypto/", "golang.org/x/crypto", "github.com/sealbox/sealbox/internal/awsapi", "github.com/sealbox/sealbox/internal/primitive", "github.com/sealbox/sealbox/internal/keyring"} {
				if p == bad || strings.HasPrefix(p, bad) {
					t.Errorf("%s imports %s: the secrets service never sees HTTP, the protocol layer, key material or raw ciphers", f, p)
				}
			}
		}
	}
}
