package lambdarun

import (
	"archive/zip"
	"bytes"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one member of a crafted ZIP: its name, mode and content (a
// link's target for a symbolic link); declared, when not 0, is the
// uncompressed size its headers claim.
type entry struct {
	name     string
	mode     fs.FileMode
	content  string
	declared uint64
}

// craft writes a ZIP of entries as an attacker may: stored, with the
// sizes declared as given.
func craft(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store}
		h.SetMode(e.mode)
		h.CRC32 = crc32.ChecksumIEEE([]byte(e.content))
		h.CompressedSize64 = uint64(len(e.content))
		h.UncompressedSize64 = uint64(len(e.content))
		if e.declared != 0 {
			h.UncompressedSize64 = e.declared
		}
		w, err := z.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.content))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestUnzipStaysInItsFolder: the server unpacks as root; a package that
// tries to place anything outside its folder is refused, and nothing
// lands outside.
func TestUnzipStaysInItsFolder(t *testing.T) {
	outside := t.TempDir()
	for _, tc := range []struct {
		name    string
		entries []entry
	}{
		{"a link through a link to a folder outside", []entry{
			{name: "out", mode: fs.ModeSymlink | 0o777, content: outside},
			{name: "out/planted", mode: fs.ModeSymlink | 0o777, content: "/etc/hostname"}}},
		{"a link through a relative link that climbs out", []entry{
			{name: "up", mode: fs.ModeSymlink | 0o777, content: "../../../../../../../../../../" + strings.TrimPrefix(outside, "/")},
			{name: "up/planted", mode: fs.ModeSymlink | 0o777, content: "x"}}},
		{"a name that climbs out", []entry{{name: "../planted", mode: 0o644, content: "x"}}},
		{"an absolute name", []entry{{name: filepath.Join(outside, "planted"), mode: 0o644, content: "x"}}},
		{"a name with a NUL", []entry{{name: "a\x00b", mode: 0o644, content: "x"}}},
		{"a file and a link of one name", []entry{
			{name: "bootstrap", mode: 0o755, content: "#!/bin/sh\n"},
			{name: "bootstrap", mode: fs.ModeSymlink | 0o777, content: "/bin/sh"}}},
		{"no ZIP at all", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			code := craft(t, tc.entries...)
			if tc.entries == nil {
				code = []byte("not a zip")
			}
			err := unzip(code, dir)
			if err == nil {
				t.Errorf("unzip accepted the package")
			}
			// The package's fault, answered InvalidZipFileException, not the
			// server's.
			var pkg *PackageError
			if err != nil && !errors.As(err, &pkg) {
				t.Errorf("unzip = %v, want a *PackageError", err)
			}
			if _, err := os.Lstat(filepath.Join(outside, "planted")); err == nil {
				os.Remove(filepath.Join(outside, "planted"))
				t.Fatalf("the package placed %s outside its folder", filepath.Join(outside, "planted"))
			}
		})
	}
}

// TestUnzipKeepsWhatLambdaRuns: links inside the package work, also
// through a link to a folder of the package; modes keep only the
// owner's bits.
func TestUnzipKeepsWhatLambdaRuns(t *testing.T) {
	dir := t.TempDir()
	err := unzip(craft(t,
		entry{name: "bin/fn", mode: 0o755 | fs.ModeSetuid | fs.ModeSetgid, content: "#!/bin/sh\n"},
		entry{name: "lib/data", mode: 0o644 | fs.ModeSticky, content: "data"},
		entry{name: "dev", mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, content: ""},
		entry{name: "bootstrap", mode: fs.ModeSymlink | 0o777, content: "bin/fn"},
		entry{name: "alias", mode: fs.ModeSymlink | 0o777, content: "lib"},
		entry{name: "alias/more", mode: fs.ModeSymlink | 0o777, content: "data"},
	), dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{"bin/fn": 0o700, "lib/data": 0o600, "dev": 0o600} {
		st, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, st.Mode(), want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "bootstrap")); err != nil || string(b) != "#!/bin/sh\n" {
		t.Errorf("bootstrap through its link: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "lib", "more")); err != nil || string(b) != "data" {
		t.Errorf("lib/more, made through the link alias: %q, %v", b, err)
	}
}

// TestUnzipBoundsWhatItWrites: a ZIP may declare sizes that sum to little
// (they wrap around 2^64) while an entry holds far more; unzip counts
// what it writes.
func TestUnzipBoundsWhatItWrites(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("A", 2<<20)
	err := unzipLimited(craft(t,
		entry{name: "big", mode: 0o644, content: big, declared: 1<<64 - 1},
		entry{name: "small", mode: 0o644, content: "ab", declared: 2},
	), dir, 1<<20)
	if !errors.Is(err, errTooLarge) {
		t.Fatalf("unzip = %v, want %v", err, errTooLarge)
	}
	if st, err := os.Stat(filepath.Join(dir, "big")); err == nil && st.Size() > 1<<20+1 {
		t.Errorf("unzip wrote %d bytes of big", st.Size())
	}
	if err := unzipLimited(craft(t, entry{name: "fits", mode: 0o644, content: big}), t.TempDir(), 2<<20); err != nil {
		t.Errorf("a package of exactly the limit: %v", err)
	}
}
