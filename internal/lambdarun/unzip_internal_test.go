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
	return craftZip(t, entries...)
}

// craftZip is craft; with t nil, an entry the ZIP writer refuses is left
// out (the fuzzer's specs name anything).
func craftZip(t *testing.T, entries ...entry) []byte {
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
		if err != nil && t == nil {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.content))
	}
	if err := z.Close(); err != nil && t != nil {
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

// FuzzUnzip unpacks arbitrary packages: raw bytes as the ZIP, or a ZIP
// built from a spec, one entry a line: a kind (f file, x executable, d
// folder, l link, F a file declaring 2^64-1 bytes), a space, the name, a
// tab and the content or link target; $OUT in a name or target is a
// folder beside the package's. Whatever it is given, unzip never panics,
// fails only with a *PackageError, writes nothing outside the package's
// folder (a walk of their parent finds only the two folders, the other
// one empty), writes at most its limit (one byte more on the entry that
// crosses it), and leaves no file with more than its owner's bits.
func FuzzUnzip(f *testing.F) {
	for _, seed := range []string{
		"f a\thello\nx bootstrap\t#!/bin/sh\nd lib/\nf lib/x\tdata",
		"l out\t$OUT\nf out/planted\tx",
		"l out\t$OUT\nl out/planted\t/etc/hostname",
		"l up\t../outside\nf up/planted\tx",
		"l up\t../../../../../../../..$OUT\nl up/planted\tx",
		"f ../outside/planted\tx", "f $OUT/planted\tx", "f a\x00b\tx",
		"x bootstrap\t#!/bin/sh\nl bootstrap\t/bin/sh",
		"l alias\tlib\nd lib/\nl alias/more\tdata\nf lib/data\tdata",
		"F big\t" + strings.Repeat("A", 5000) + "\nf small\tab",
		"f a\t" + strings.Repeat("B", 4096),
		"d a/\nf a\tx", "f a\tx\nf a/b\ty", "f a\tx\nf a\ty", "l a\tb\nl b\ta\nf a/c\tx",
	} {
		f.Add(seed, false)
	}
	f.Add("not a zip", true)
	f.Add("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", true)
	f.Add(string(craftZip(nil, entry{name: "a", mode: 0o644, content: "x"}, entry{name: "l", mode: fs.ModeSymlink | 0o777, content: "/etc"})), true)
	const limit = 4096
	f.Fuzz(func(t *testing.T, spec string, raw bool) {
		parent := t.TempDir()
		pkg, outside := filepath.Join(parent, "pkg"), filepath.Join(parent, "outside")
		for _, d := range []string{pkg, outside} {
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		code := []byte(spec)
		if !raw {
			code = craftZip(nil, specEntries(spec, outside)...)
		}
		err := unzipWithin(code, pkg, limit)
		var perr *PackageError
		if err != nil && !errors.As(err, &perr) {
			t.Fatalf("unzip = %v, want nil or a *PackageError", err)
		}
		var written int64
		walkErr := filepath.WalkDir(parent, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path == parent || path == pkg || path == outside {
				return nil
			}
			if !strings.HasPrefix(path, pkg+string(filepath.Separator)) {
				t.Errorf("unzip(%.300q) made %s, outside its folder", spec, path)
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if info.Mode().IsRegular() {
				written += info.Size()
				if info.Mode()&^0o700 != 0 {
					t.Errorf("unzip(%.300q) made %s with mode %v: more than its owner's bits", spec, path, info.Mode())
				}
			}
			return nil
		})
		if walkErr != nil {
			t.Fatal(walkErr)
		}
		if max := int64(limit); written > max+1 || err == nil && written > max {
			t.Errorf("unzip(%.300q) wrote %d bytes, over its limit %d (err %v)", spec, written, max, err)
		}
	})
}

// specEntries reads FuzzUnzip's spec.
func specEntries(spec, outside string) []entry {
	var es []entry
	for _, line := range strings.Split(spec, "\n") {
		kind, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		name, content, _ := strings.Cut(rest, "\t")
		name = strings.ReplaceAll(name, "$OUT", outside)
		e := entry{name: name, content: content, mode: 0o644}
		switch kind {
		case "x":
			e.mode = 0o755 | fs.ModeSetuid
		case "d":
			e.mode = fs.ModeDir | 0o755
		case "l":
			e.mode, e.content = fs.ModeSymlink|0o777, strings.ReplaceAll(content, "$OUT", outside)
		case "F":
			e.declared = 1<<64 - 1
		}
		es = append(es, e)
	}
	return es
}
