package lambdarun

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGivenBackUserLeavesNoFiles: what an environment's user left in the
// host's shared temporary folders (/tmp/x written literally, not in its
// TMPDIR; /dev/shm) is removed when the user is given back, so the next
// environment given that user cannot read it; other users' files stay.
func TestGivenBackUserLeavesNoFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("files of another user need root")
	}
	p := newUserPool()
	a, b := p.take(), p.take()
	shared := []string{t.TempDir(), t.TempDir()}
	own := func(path string, uid uint32) {
		t.Helper()
		if err := os.Lchown(path, int(uid), int(uid)); err != nil {
			t.Fatal(err)
		}
	}
	var gone, kept []string
	for _, dir := range shared {
		f := filepath.Join(dir, "left-by-a")
		os.WriteFile(f, []byte("a's secret"), 0o644)
		own(f, a.UID)
		d := filepath.Join(dir, "folder-of-a")
		os.MkdirAll(filepath.Join(d, "inner"), 0o755)
		os.WriteFile(filepath.Join(d, "inner", "x"), []byte("x"), 0o644)
		own(d, a.UID)
		gone = append(gone, f, d)
		// A link of a's to a file of b's: removed, not followed.
		target := filepath.Join(dir, "of-b")
		os.WriteFile(target, []byte("b's"), 0o644)
		own(target, b.UID)
		link := filepath.Join(dir, "link-of-a")
		os.Symlink(target, link)
		own(link, a.UID)
		gone = append(gone, link)
		root := filepath.Join(dir, "of-root")
		os.WriteFile(root, []byte("root's"), 0o644)
		kept = append(kept, target, root)
	}
	removeFilesOf(a.UID, shared...)
	for _, f := range gone {
		if _, err := os.Lstat(f); !os.IsNotExist(err) {
			t.Errorf("%s, the given-back user's, is left (%v)", f, err)
		}
	}
	for _, f := range kept {
		if _, err := os.Lstat(f); err != nil {
			t.Errorf("%s, not the given-back user's, is gone: %v", f, err)
		}
	}
	// give itself sweeps the host's shared folders.
	f := filepath.Join("/dev/shm", "sealbox-test-"+t.Name())
	if err := os.WriteFile(f, []byte("a's"), 0o600); err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	own(f, a.UID)
	if !p.give(a) {
		t.Fatal("give reported processes left")
	}
	if _, err := os.Lstat(f); !os.IsNotExist(err) {
		os.Remove(f)
		t.Errorf("%s is left after the user was given back (%v)", f, err)
	}
	p.give(b)
}
