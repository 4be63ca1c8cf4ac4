package lambdarun

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxUnzipped bounds what a package may unpack to: Lambda's 250 MB
// unzipped. The functions service checks the sizes a ZIP declares when it
// is uploaded; unzip counts the bytes really written, which a crafted ZIP
// can make far more than it declares in sum.
const MaxUnzipped = 262144000

// errTooLarge is a package that unpacks to more than its limit.
var errTooLarge = errors.New("the package unzips to more than Lambda's 250 MB")

// PackageError is a package that cannot be unpacked for what it holds
// (not a ZIP, an entry that would leave its folder, more than
// MaxUnzipped): the function's fault, not the server's. Why names entries
// by their names in the package, never a folder of the host.
type PackageError struct{ Why error }

func (e *PackageError) Error() string {
	return "the deployment package cannot be unpacked: " + e.Why.Error()
}
func (e *PackageError) Unwrap() error { return e.Why }

// unzip unpacks a function's ZIP into dir, which it must not leave. A
// failure is a *PackageError unless the host is at fault (its disk full,
// its I/O failing, out of memory or descriptors).
func unzip(code []byte, dir string) error { return unzipWithin(code, dir, MaxUnzipped) }

// unzipWithin is unzip with limit for MaxUnzipped (its fuzzer's is small).
func unzipWithin(code []byte, dir string, limit int64) error {
	err := unzipLimited(code, dir, limit)
	if err == nil {
		return nil
	}
	for _, host := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EIO, syscall.ENOMEM, syscall.EMFILE, syscall.ENFILE, syscall.EROFS} {
		if errors.Is(err, host) {
			return err
		}
	}
	return &PackageError{Why: err}
}

// unzipLimited unpacks code into dir, writing at most limit bytes. The
// server runs it as root on an uploaded ZIP, so nothing may land outside
// dir: a name that is absolute or climbs out with ".." is refused, and
// every file, folder and link is made through an os.Root on dir, which
// refuses a path that leaves it through a symbolic link (a link "out" to
// /etc, then a link "out/x", would otherwise make /etc/x). Links are made
// last, so that no file is written through one; their targets are kept
// as written, to be followed at run time by the code's own user. Files
// get only their owner's bits: no setuid, setgid or sticky bit, and a
// device or pipe entry is an ordinary file.
func unzipLimited(code []byte, dir string, limit int64) error {
	zr, err := zip.NewReader(bytes.NewReader(code), int64(len(code)))
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	type link struct{ at, to string }
	var links []link
	left := limit
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		if filepath.IsAbs(name) || !filepath.IsLocal(name) {
			return fmt.Errorf("the entry %q leaves the package", f.Name)
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := root.MkdirAll(name, 0o700); err != nil {
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
			links = append(links, link{name, string(to)})
			continue
		}
		if d := filepath.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o700); err != nil {
				return err
			}
		}
		// The owner's bits of the entry (executable or not), for the
		// code's user alone.
		perm := os.FileMode(0o600)
		if mode&0o111 != 0 || strings.TrimSuffix(name, string(filepath.Separator)) == "bootstrap" {
			perm = 0o700
		}
		n, err := writeEntry(root, f, name, perm, left)
		if err != nil {
			return err
		}
		left -= n
	}
	for _, l := range links {
		if err := root.Symlink(l.to, l.at); err != nil {
			return err
		}
	}
	return nil
}

// writeEntry writes f's content to the file name in root, at most left
// bytes, and says how many it wrote.
func writeEntry(root *os.Root, f *zip.File, name string, perm os.FileMode, left int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(rc, left+1))
	if err == nil && n > left {
		err = errTooLarge
	}
	if err != nil {
		out.Close()
		return n, err
	}
	return n, out.Close()
}
