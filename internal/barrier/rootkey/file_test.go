package rootkey_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
)

var ctx = context.Background()

func TestFileWrapCreatesKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "root.key") // folder missing too
	p := rootkey.NewFile(path)
	key := primitive.Random(32)
	wrapped, err := p.Wrap(ctx, key)
	if err != nil {
		t.Fatalf("Wrap() with no key file = %v, want nil", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("Stat(%q) after Wrap = %v, want the key file", path, err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode())
	}
	b, _ := os.ReadFile(path)
	if root, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b))); err != nil || len(root) != 32 {
		t.Errorf("key file holds %q, want the base64 of 32 bytes", b)
	}
	if bytes.Contains(wrapped, key) {
		t.Errorf("Wrap(key) output contains key")
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*"))
	if len(matches) != 1 {
		t.Errorf("files in the key folder = %q, want only the key file (no temp files left)", matches)
	}

	got, err := rootkey.NewFile(path).Unwrap(ctx, wrapped)
	if err != nil || !bytes.Equal(got, key) {
		t.Errorf("Unwrap(Wrap(key)) = %x, %v; want %x, nil", got, err, key)
	}
}

func TestFileWrapKeepsExistingKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	w1, err := rootkey.NewFile(path).Wrap(ctx, []byte("first key, 32 bytes long, exact"))
	if err != nil {
		t.Fatalf("Wrap() = %v", err)
	}
	before, _ := os.ReadFile(path)
	if _, err := rootkey.NewFile(path).Wrap(ctx, []byte("other key")); err != nil {
		t.Fatalf("second Wrap() = %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("second Wrap replaced the existing key file, want it kept")
	}
	if _, err := rootkey.NewFile(path).Unwrap(ctx, w1); err != nil {
		t.Errorf("Unwrap(first blob) after a second Wrap = %v, want nil", err)
	}
}

// Two first starts at once must end up with one key file that unwraps
// both blobs, not a blob wrapped under a key file that was then replaced.
func TestFileConcurrentCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root.key")
	const n = 8
	blobs := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if blobs[i], err = rootkey.NewFile(path).Wrap(ctx, primitive.Random(32)); err != nil {
				t.Errorf("Wrap() = %v", err)
			}
		})
	}
	wg.Wait()
	for i, b := range blobs {
		if _, err := rootkey.NewFile(path).Unwrap(ctx, b); err != nil {
			t.Errorf("Unwrap(blob %d) = %v, want nil", i, err)
		}
	}
}

func TestFileUnwrapMissing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "root.key")
	wrapped, err := rootkey.NewFile(path).Wrap(ctx, primitive.Random(32))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)

	_, err = rootkey.NewFile(path).Unwrap(ctx, wrapped)
	want := "root key file " + path + " is missing: without it the data folder cannot be opened"
	if err == nil || err.Error() != want {
		t.Errorf("Unwrap() with the key file gone = %v, want %q", err, want)
	}
	if !errors.Is(err, rootkey.ErrRootKeyMissing) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Unwrap() error %v: want it to match ErrRootKeyMissing and fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Unwrap created the key file (Stat = %v), want it left missing", err)
	}
}

func TestFileWrongKey(t *testing.T) {
	dir := t.TempDir()
	wrapped, err := rootkey.NewFile(filepath.Join(dir, "a.key")).Wrap(ctx, primitive.Random(32))
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "b.key")
	if _, err := rootkey.NewFile(other).Wrap(ctx, primitive.Random(32)); err != nil {
		t.Fatal(err)
	}
	_, err = rootkey.NewFile(other).Unwrap(ctx, wrapped)
	if !errors.Is(err, rootkey.ErrWrongRootKey) {
		t.Errorf("Unwrap() with another key file = %v, want ErrWrongRootKey", err)
	}
	if err != nil && (!strings.HasPrefix(err.Error(), "wrong root key") || !strings.Contains(err.Error(), other)) {
		t.Errorf("Unwrap() error = %q, want it to say wrong root key and name %s", err, other)
	}
}

func TestFileTamperedBlob(t *testing.T) {
	p := rootkey.NewFile(filepath.Join(t.TempDir(), "root.key"))
	wrapped, err := p.Wrap(ctx, primitive.Random(32))
	if err != nil {
		t.Fatal(err)
	}
	for i := range wrapped {
		bad := bytes.Clone(wrapped)
		bad[i] ^= 0x01
		if _, err := p.Unwrap(ctx, bad); !errors.Is(err, rootkey.ErrWrongRootKey) {
			t.Errorf("Unwrap(blob with byte %d flipped) = %v, want ErrWrongRootKey", i, err)
		}
	}
	for n := range len(wrapped) {
		if _, err := p.Unwrap(ctx, wrapped[:n]); !errors.Is(err, rootkey.ErrWrongRootKey) {
			t.Errorf("Unwrap(blob truncated to %d) = %v, want ErrWrongRootKey", n, err)
		}
	}
}

func TestFileMalformed(t *testing.T) {
	for name, content := range map[string]string{
		"short":      base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"not base64": "this is not a key\n",
		"empty":      "",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "root.key")
			os.WriteFile(path, []byte(content), 0o600)
			p := rootkey.NewFile(path)
			if _, err := p.Wrap(ctx, primitive.Random(32)); err == nil || !strings.Contains(err.Error(), "malformed") {
				t.Errorf("Wrap() with a %s key file = %v, want a malformed error", name, err)
			}
			if _, err := p.Unwrap(ctx, []byte{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "malformed") {
				t.Errorf("Unwrap() with a %s key file = %v, want a malformed error", name, err)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Errorf("key file now holds %q, want it unchanged (%q)", b, content)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	if got := rootkey.NewFile("x").Name(); got != "file" {
		t.Errorf("NewFile().Name() = %q, want %q", got, "file")
	}
}
