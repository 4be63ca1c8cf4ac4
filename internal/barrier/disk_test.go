package barrier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

// readTree returns every regular file under dir, by path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	return files
}

// hashTree fingerprints every file under each dir.
func hashTree(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	for _, dir := range dirs {
		for rel, b := range readTree(t, dir) {
			sums[filepath.Join(dir, rel)] = fmt.Sprintf("%x", sha256.Sum256(b))
		}
	}
	return sums
}

// What a copy of the data folder holds: ciphertext, never a plaintext value,
// the barrier key or the root key.
func TestNothingInTheClearOnDisk(t *testing.T) {
	dataDir, keyDir := t.TempDir(), t.TempDir()
	keyFile := filepath.Join(keyDir, "root.key")
	p := rootkey.NewFile(keyFile)
	raw := openBolt(t, dataDir)
	b := mustOpen(t, raw, p)

	canary := "canary-" + hex.EncodeToString(primitive.Random(16))
	big := bytes.Repeat([]byte(canary), 4096) // spans overflow pages
	putValue(t, b, "params/db/password", canary)
	putValue(t, b, "secrets/big", string(big))
	putValue(t, b, "secrets/overwritten", canary) // the old page version stays in the file
	putValue(t, b, "secrets/overwritten", "new")
	putValue(t, b, "secrets/deleted", canary)
	if err := b.Update(ctx, func(tx store.Tx) error { return tx.Delete("secrets/deleted") }); err != nil {
		t.Fatal(err)
	}
	sealed := rawGet(t, raw, valuePrefix+"params/db/password")
	rec, err := readKeyring(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	barrierKey, err := p.Unwrap(ctx, rec.Wrapped)
	if err != nil {
		t.Fatal(err)
	}
	rootLine, _ := os.ReadFile(keyFile)
	rootKey, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(rootLine)))
	b.Close()

	files := readTree(t, dataDir)
	if len(files) == 0 {
		t.Fatalf("no files in the data folder %s", dataDir)
	}
	// The search must be able to find what is there, or it proves nothing.
	var all []byte
	for _, c := range files {
		all = append(all, c...)
	}
	if !bytes.Contains(all, sealed) {
		t.Fatalf("the sealed value is not in the data folder's files: the search below would prove nothing")
	}
	for what, needle := range map[string][]byte{
		"plaintext value":       []byte(canary),
		"barrier key":           barrierKey,
		"barrier key in base64": []byte(base64.StdEncoding.EncodeToString(barrierKey)),
		"barrier key in hex":    []byte(hex.EncodeToString(barrierKey)),
		"root key":              rootKey,
		"root key in base64":    []byte(base64.StdEncoding.EncodeToString(rootKey)),
		"half of the big value": big[:len(big)/2],
		"16 bytes of big value": big[100:116],
	} {
		for name, content := range files {
			if bytes.Contains(content, needle) {
				t.Errorf("data folder file %s contains the %s", name, what)
			}
		}
	}
}

// Each way of opening a data folder with the wrong secret fails with a
// message that says what is wrong, and leaves every file as it was: a
// failed start must not be able to damage the data or the key files.
func TestWrongRootKeyChangesNothing(t *testing.T) {
	passphrase := func(pw string) func(string) rootkey.Provider {
		return func(string) rootkey.Provider { return rootkey.NewPassphraseParams([]byte(pw), fastArgon2) }
	}
	file := func(name string) func(string) rootkey.Provider {
		return func(keyDir string) rootkey.Provider { return rootkey.NewFile(filepath.Join(keyDir, name)) }
	}
	tests := []struct {
		name      string
		sealWith  func(keyDir string) rootkey.Provider
		openWith  func(keyDir string) rootkey.Provider
		wantIs    error
		wantMsg   string
		mustExist bool // false: the key file openWith names must not be created
	}{
		{
			name:     "wrong passphrase",
			sealWith: passphrase("correct horse"), openWith: passphrase("wrong horse"),
			wantIs:  rootkey.ErrWrongPassphrase,
			wantMsg: "wrong passphrase: the root key could not be unwrapped",
		},
		{
			name:     "wrong key file",
			sealWith: file("root.key"), openWith: file("other.key"),
			wantIs:  rootkey.ErrWrongRootKey,
			wantMsg: "wrong root key: root key file KEYDIR/other.key does not unlock this data folder",
		},
		{
			name:     "missing key file",
			sealWith: file("root.key"), openWith: file("missing.key"),
			wantIs:  rootkey.ErrRootKeyMissing,
			wantMsg: "root key file KEYDIR/missing.key is missing: without it the data folder cannot be opened",
		},
		{
			name:     "file provider for a passphrase folder",
			sealWith: passphrase("correct horse"), openWith: file("root.key"),
			wantMsg: `the data folder was sealed by the "passphrase" root-key provider, not "file"`,
		},
		{
			name:     "passphrase provider for a file folder",
			sealWith: file("root.key"), openWith: passphrase("correct horse"),
			wantMsg: `the data folder was sealed by the "file" root-key provider, not "passphrase"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir, keyDir := t.TempDir(), t.TempDir()
			b := mustOpen(t, openBolt(t, dataDir), tt.sealWith(keyDir))
			putValue(t, b, "k", secretText)
			b.Close()
			// other.key exists and holds a valid, unrelated root key.
			if _, err := rootkey.NewFile(filepath.Join(keyDir, "other.key")).Wrap(ctx, primitive.Random(32)); err != nil {
				t.Fatal(err)
			}
			before := hashTree(t, dataDir, keyDir)

			raw := openBolt(t, dataDir)
			b, err := Open(ctx, raw, tt.openWith(keyDir))
			if err == nil {
				b.Close()
				t.Fatalf("Open() = nil error, want %q", tt.wantMsg)
			}
			raw.Close()
			want := strings.ReplaceAll(tt.wantMsg, "KEYDIR", keyDir)
			if !strings.HasSuffix(err.Error(), want) {
				t.Errorf("Open() error = %q, want it to end %q", err, want)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Open() error = %v, want it to match %v", err, tt.wantIs)
			}
			if after := hashTree(t, dataDir, keyDir); !equalMaps(before, after) {
				t.Errorf("files changed by a failed Open:\nbefore %v\nafter  %v", before, after)
			}

			// The right provider still opens the untouched folder.
			b = mustOpen(t, openBolt(t, dataDir), tt.sealWith(keyDir))
			if got := getValue(t, b, "k"); got != secretText {
				t.Errorf("Get(%q) with the right root key afterwards = %q, want %q", "k", got, secretText)
			}
		})
	}
}

func TestProviderMismatchError(t *testing.T) {
	raw := openBolt(t, t.TempDir())
	mustOpen(t, raw, rootkey.NewPassphraseParams([]byte("pw"), fastArgon2))
	_, err := Open(context.Background(), raw, rootkey.NewFile(filepath.Join(t.TempDir(), "root.key")))
	var pm *ProviderMismatchError
	if !errors.As(err, &pm) || pm.Sealed != "passphrase" || pm.Given != "file" {
		t.Errorf("Open() with the file provider = %v, want *ProviderMismatchError{passphrase, file}", err)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
