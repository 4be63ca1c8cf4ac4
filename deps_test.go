package sealbox_test

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

const module = "github.com/sealbox/sealbox"

// imports maps each package directory to what its non-test files import.
func imports(t *testing.T) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if out[dir] == nil {
			out[dir] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out[dir][p] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// secretOnly are the packages that hold secrets (access-key secrets,
// session tokens, the passphrase) and pass them on, but use no primitive:
// they may import primitive for its Secret type alone
// (TestSecretOnlyUses). The identity store among them mints secrets
// with crypto/rand and keeps them as Secrets; the IAM and STS services it
// serves hand them out only through it, and import no primitive at all.
var secretOnly = map[string]bool{"internal/identity": true, "internal/console": true, "internal/server": true, "internal/config": true, "internal/cli": true, "internal/sealtest": true}

// TestSecretOnlyUses keeps the packages of secretOnly to primitive.Secret
// and primitive.NewSecret.
func TestSecretOnlyUses(t *testing.T) {
	for dir := range secretOnly {
		files, err := filepath.Glob(filepath.Join(filepath.FromSlash(dir), "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			local := ""
			for _, imp := range f.Imports {
				if p, _ := strconv.Unquote(imp.Path.Value); p == module+"/internal/primitive" {
					local = "primitive"
					if imp.Name != nil {
						local = imp.Name.Name
					}
				}
			}
			if local == "" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == local && sel.Sel.Name != "Secret" && sel.Sel.Name != "NewSecret" {
					t.Errorf("%s uses primitive.%s: it may use primitive.Secret and primitive.NewSecret only", name, sel.Sel.Name)
				}
				return true
			})
		}
	}
}

// talksToPostgres are the packages that may import pgx.
var talksToPostgres = map[string]bool{"internal/secrets/rotation/postgres": true, "internal/leader": true,
	"internal/store/pgstore": true, "internal/sealtest/pgtest": true}

func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// TestImportRules keeps the layering of STYLE.md: one crypto corner, services
// that never see HTTP or raw crypto, a protocol layer that knows no service,
// backends that know no barrier, and a vocabulary package that imports
// nothing of ours.
func TestImportRules(t *testing.T) {
	cryptoOnlyInPrimitive := []string{"crypto/aes", "crypto/cipher", "crypto/hmac", "crypto/hkdf", "golang.org/x/crypto",
		"github.com/cloudflare/circl", "github.com/decred/dcrd", "github.com/tink-crypto/tink-go", "filippo.io/mldsa"}
	services := []string{"internal/kms", "internal/identity/iamapi", "internal/identity/stsapi", "internal/parameters", "internal/secrets", "internal/functions"}
	all := imports(t)
	// The packages the layout rules below name must exist, so that a move
	// does not leave a rule checking nothing.
	for _, dir := range []string{"internal/identity", "internal/identity/iamapi", "internal/identity/stsapi", "internal/secrets", "internal/secrets/rotation", "internal/secrets/rotation/postgres", "internal/secrets/schema",
		"internal/secrets/password", "internal/changes", "internal/changes/hub", "internal/changes/client",
		"internal/cache", "internal/clock", "internal/store/dueindex", "internal/leader", "internal/metrics", "internal/store/pgstore", "internal/store/follow", "internal/wirecodec", "internal/accessquery"} {
		if all[dir] == nil {
			t.Errorf("no package %s: update TestImportRules to the new layout", dir)
		}
	}
	for dir, imps := range all {
		for imp := range imps {
			own := strings.HasPrefix(imp, module+"/") || imp == module
			if dir == "." && own {
				t.Errorf("package sealbox imports %s: the vocabulary package imports nothing of ours", imp)
			}
			for _, c := range cryptoOnlyInPrimitive {
				if under(imp, c) && dir != "internal/primitive" {
					t.Errorf("%s imports %s: only internal/primitive may", dir, imp)
				}
			}
			if under(imp, module+"/internal/primitive") && !(under(dir, "internal/keyring") || under(dir, "internal/barrier") ||
				under(dir, "internal/sigv4") || under(dir, "internal/audit") || dir == "internal/identity" || under(dir, "internal/envelope") ||
				under(dir, "internal/webhook")) && !secretOnly[dir] {
				t.Errorf("%s imports primitive: only keyring, barrier, sigv4, audit, the identity store, envelope and webhook may", dir)
			}
			// The keyring holds KMS key material and calls primitive for
			// every operation on it, symmetric or not.
			if under(dir, "internal/keyring") && under(imp, "crypto") {
				t.Errorf("%s imports %s: the keyring's cryptography is primitive's", dir, imp)
			}
			for _, s := range services {
				if !under(dir, s) {
					continue
				}
				if imp == "net/http" || under(imp, module+"/internal/awsapi") || (under(imp, module+"/internal/primitive") && !secretOnly[dir]) {
					t.Errorf("service %s imports %s: services never see HTTP, the protocol layer or raw crypto", dir, imp)
				}
				// Randomness, constant-time comparison and hashing of
				// non-secret data only: KMS issues keys, internal/envelope
				// seals with them.
				if under(imp, "crypto") && imp != "crypto/rand" && imp != "crypto/subtle" && imp != "crypto/sha256" {
					t.Errorf("service %s imports %s: services use no cipher; KMS and internal/envelope do the cryptography", dir, imp)
				}
			}
			// Identity: the credential store the request path leans on, and
			// the IAM and STS services over it. The store knows neither
			// service, nor HTTP, nor the protocol layer, and uses no cipher;
			// the two services never import each other (what they share is
			// the store's).
			if dir == "internal/identity" {
				if under(imp, module+"/internal/identity/iamapi") || under(imp, module+"/internal/identity/stsapi") {
					t.Errorf("internal/identity imports %s: the identity store knows neither the IAM nor the STS service", imp)
				}
				if imp == "net/http" || under(imp, module+"/internal/awsapi") {
					t.Errorf("internal/identity imports %s: the identity store never sees HTTP or the protocol layer", imp)
				}
				if under(imp, "crypto") && imp != "crypto/rand" && imp != "crypto/subtle" && imp != "crypto/sha256" {
					t.Errorf("internal/identity imports %s: the identity store uses no cipher", imp)
				}
			}
			if under(dir, "internal/identity/iamapi") && under(imp, module+"/internal/identity/stsapi") ||
				under(dir, "internal/identity/stsapi") && under(imp, module+"/internal/identity/iamapi") {
				t.Errorf("%s imports %s: the IAM and STS services never import each other", dir, imp)
			}
			if under(dir, "internal/awsapi") {
				for _, bad := range []string{"internal/kms", "internal/identity", "internal/store", "internal/keyring", "internal/barrier", "internal/server"} {
					if under(imp, module+"/"+bad) {
						t.Errorf("%s imports %s: the protocol layer knows no service, store or keyring", dir, imp)
					}
				}
			}
			if under(dir, "internal/barrier") && (under(imp, "go.etcd.io/bbolt") || under(imp, module+"/internal/store/boltstore")) {
				t.Errorf("%s imports %s: the barrier reaches storage only through store.Store", dir, imp)
			}
			if under(dir, "internal/store") && (under(imp, module+"/internal/barrier") || under(imp, module+"/internal/primitive")) {
				t.Errorf("%s imports %s: store backends hold bytes and never see the barrier", dir, imp)
			}
			// Secrets Manager: the service, the rotation engine, the
			// rotators' database driver and the validator, each its own job.
			if under(imp, "github.com/jackc/pgx") && !talksToPostgres[dir] {
				t.Errorf("%s imports %s: only the rotators, the leader election, the store backend and its test clusters talk to PostgreSQL", dir, imp)
			}
			// The leader election knows nothing of ours but the clock:
			// the server hands it the work to run.
			if dir == "internal/leader" && own && imp != module+"/internal/clock" {
				t.Errorf("internal/leader imports %s: the election imports only the clock", imp)
			}
			// The PostgreSQL store: chosen by the server and the CLI (store
			// copy), reached by everything else as a store.Store; it knows
			// only the store interface.
			if imp == module+"/internal/store/pgstore" && dir != "internal/server" && dir != "internal/cli" {
				t.Errorf("%s imports internal/store/pgstore: only the server and the CLI choose a backend; the rest see a store.Store", dir)
			}
			// The follower of a shared store's change log knows the store's
			// vocabulary only: the server adapts the log and names the caches.
			if dir == "internal/store/follow" && own && imp != module+"/internal/store" {
				t.Errorf("internal/store/follow imports %s: it imports only internal/store", imp)
			}
			if dir == "internal/store/pgstore" && own && imp != module+"/internal/store" {
				t.Errorf("internal/store/pgstore imports %s: it imports only internal/store of ours", imp)
			}
			if under(dir, "internal/secrets/rotation") && (imp == module+"/internal/secrets" || under(imp, module+"/internal/server")) {
				t.Errorf("%s imports %s: rotation sees the service only through rotation.Secrets", dir, imp)
			}
			if (under(dir, "internal/secrets/schema") && own) || (dir == "internal/secrets/password" && own && imp != module) {
				t.Errorf("%s imports %s: the validator imports nothing of ours, the password generator only the vocabulary", dir, imp)
			}
			// The change feed: the server's hub and the agent's client
			// share only the wire types of internal/changes.
			if dir == "internal/changes" && own && imp != module {
				t.Errorf("internal/changes imports %s: the feed's wire types import only the vocabulary", imp)
			}
			if under(dir, "internal/changes/client") && (under(imp, module+"/internal/changes/hub") || under(imp, module+"/internal/store")) ||
				under(dir, "internal/changes/hub") && under(imp, module+"/internal/changes/client") {
				t.Errorf("%s imports %s: the feed's server side (hub) and poller side (client) never import each other", dir, imp)
			}
			// The shared helpers under every service know no service: the
			// cache and the due index only the store, the clock nothing.
			if (dir == "internal/cache" || dir == "internal/store/dueindex") && own && imp != module+"/internal/store" ||
				dir == "internal/clock" && own {
				t.Errorf("%s imports %s: the cache and the due index import only the store, the clock nothing of ours", dir, imp)
			}
			// What the services' generated codecs and their authorizations
			// share knows no service and no protocol layer: the vocabulary
			// only.
			if (dir == "internal/wirecodec" || dir == "internal/accessquery") && own && imp != module {
				t.Errorf("%s imports %s: it imports only the vocabulary package", dir, imp)
			}
			// Counting knows nothing it counts: the router and the server
			// lay the counters out and name them.
			if dir == "internal/metrics" && own {
				t.Errorf("internal/metrics imports %s: it imports nothing of ours", imp)
			}
			if dir == "cmd/sealbox" && own && imp != module+"/internal/cli" {
				t.Errorf("cmd/sealbox imports %s: it imports only internal/cli", imp)
			}
		}
	}
}
