package lambdarun

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// unzip unpacks a function's ZIP into dir, which it must not leave: a name
// that is absolute or climbs out with ".." is refused. Symbolic links are
// made last, so that no file is written through one.
func unzip(code []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(code), int64(len(code)))
	if err != nil {
		return err
	}
	type link struct{ at, to string }
	var links []link
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		if filepath.IsAbs(name) || !filepath.IsLocal(name) {
			return fmt.Errorf("the entry %q leaves the package", f.Name)
		}
		at := filepath.Join(dir, name)
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(at, 0o700); err != nil {
				return err
			}
			continue
		case mode&os.ModeSymlink != 0:
			rc, err := f.Open()
			if err != nil {
				return err
			}
			to, err := io.ReadAll(io.LimitReader(rc, 4096))
			rc.Close()
			if err != nil {
				return err
			}
			links = append(links, link{at, string(to)})
			continue
		}
		if err := os.MkdirAll(filepath.Dir(at), 0o700); err != nil {
			return err
		}
		// The owner's bits of the entry (executable or not), for the
		// code's user alone.
		perm := os.FileMode(0o600)
		if mode&0o111 != 0 || strings.TrimSuffix(name, string(filepath.Separator)) == "bootstrap" {
			perm = 0o700
		}
		if err := writeEntry(f, at, perm); err != nil {
			return err
		}
	}
	for _, l := range links {
		if err := os.Symlink(l.to, l.at); err != nil {
			return err
		}
	}
	return nil
}

func writeEntry(f *zip.File, at string, perm os.FileMode) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	out, err := os.OpenFile(at, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, rc); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
