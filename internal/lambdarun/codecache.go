package lambdarun

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// maxTemplates is how many unpacked packages the runner keeps.
const maxTemplates = 16

// unpack puts spec's code in task. Each package is unzipped once, by
// digest, into a folder only the server may enter (<dir>/code/<digest>):
// a later start copies that (in the kernel, copy_file_range) rather than
// reading the store and inflating the ZIP again. A package without a
// digest is unzipped each time.
func (r *Runner) unpack(ctx context.Context, spec *Spec, task string) error {
	if spec.CodeDigest == "" {
		code, err := spec.Code(ctx)
		if err != nil {
			return err
		}
		return unzip(code, task)
	}
	tmpl, err := r.template(ctx, spec)
	if err != nil {
		return err
	}
	return copyTree(tmpl, task)
}

// template returns the folder spec's package is unpacked in, unpacking it
// first if need be.
func (r *Runner) template(ctx context.Context, spec *Spec) (string, error) {
	r.codeMu.Lock()
	defer r.codeMu.Unlock()
	root := filepath.Join(r.cfg.Dir, "code")
	dir := filepath.Join(root, spec.CodeDigest)
	if _, err := os.Stat(dir); err == nil {
		now := timeNow()
		os.Chtimes(dir, now, now) // most recently used
		return dir, nil
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", err
	}
	code, err := spec.Code(ctx)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, ".unpacking-")
	if err != nil {
		return "", err
	}
	if err := unzip(code, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("failed to unpack the code: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	evictTemplates(root, dir)
	return dir, nil
}

// evictTemplates removes the least recently used packages beyond
// maxTemplates, never keep.
func evictTemplates(root, keep string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	type tmpl struct {
		path string
		used int64
	}
	var all []tmpl
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.IsDir() || e.Name()[0] == '.' {
			continue
		}
		all = append(all, tmpl{filepath.Join(root, e.Name()), info.ModTime().UnixNano()})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used > all[j].used })
	for i := maxTemplates; i < len(all); i++ {
		if all[i].path != keep {
			os.RemoveAll(all[i].path)
		}
	}
}

// copyTree copies the folder src into dst (which exists): folders, files
// with their permission bits, symbolic links as they are.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		at := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(at, 0o700)
		case info.Mode()&fs.ModeSymlink != 0:
			to, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(to, at)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(at, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
