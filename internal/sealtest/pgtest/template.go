package pgtest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// initdbArgs are the flags every test cluster is made with; what differs
// between clusters (port, connections, durability) is postgresql.conf's,
// appended to each copy.
var initdbArgs = []string{"-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
	"-E", "UTF8", "--locale=C", "--no-sync"}

// templates are the template folders this process has found or made, by
// key, so that parallel tests make one.
var templates struct {
	sync.Mutex
	dirs map[string]string
}

// template answers a data folder that initdb made with initdbArgs and the
// superuser password, made once per PostgreSQL build, flags and password
// (the key) and kept in the machine's temporary folder for later runs and
// other test processes: it is only ever read. Another process making the
// same template at once is harmless: the first folder renamed into place
// wins and the other is thrown away.
func template(t testing.TB, bin string, cred *syscall.Credential, password string) string {
	t.Helper()
	version, err := exec.Command(filepath.Join(bin, "initdb"), "--version").Output()
	if err != nil {
		t.Fatalf("initdb --version: %v", err)
	}
	key := fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(append([]string{bin, string(version), password}, initdbArgs...), "\x00"))))[:16]

	templates.Lock()
	defer templates.Unlock()
	if dir, ok := templates.dirs[key]; ok {
		return dir
	}
	root := filepath.Join(os.TempDir(), fmt.Sprintf("sealbox-pgtest-%d", os.Geteuid()))
	if err := os.Mkdir(root, 0o711); err != nil && !errors.Is(err, fs.ErrExist) {
		t.Fatal(err)
	}
	// The folder's name is known to every user of the machine: use it only
	// if it is ours and no one else may write in it.
	fi, err := os.Lstat(root)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.IsDir() || !ok || int(st.Uid) != os.Geteuid() || fi.Mode().Perm()&0o022 != 0 {
		t.Fatalf("%s is not a folder of this user's that only it may write in: remove it", root)
	}
	removeAbandoned(root, time.Now().Add(-abandonedAfter))
	dir := filepath.Join(root, key)
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		if err := makeTemplate(bin, cred, password, root, dir); err != nil {
			t.Fatalf("making the template cluster: %v", err)
		}
	}
	if templates.dirs == nil {
		templates.dirs = map[string]string{}
	}
	templates.dirs[key] = dir
	return dir
}

// abandonedAfter: a template's work folder older than this was left by a
// run killed during initdb (which takes seconds).
const abandonedAfter = 10 * time.Minute

// removeAbandoned removes the work folders under root last changed
// before cutoff.
func removeAbandoned(root string, cutoff time.Time) {
	works, _ := filepath.Glob(filepath.Join(root, "*.making-*"))
	for _, w := range works {
		if fi, err := os.Lstat(w); err == nil && fi.IsDir() && fi.ModTime().Before(cutoff) {
			os.RemoveAll(w)
		}
	}
}

// makeTemplate runs initdb (as cred, when set) in a folder of its own under
// root and renames its data folder to dir.
func makeTemplate(bin string, cred *syscall.Credential, password, root, dir string) error {
	work, err := os.MkdirTemp(root, filepath.Base(dir)+".making-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	pwfile := filepath.Join(work, "pwfile")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		// initdb runs as cred: it writes in work and reads the password.
		if err := os.Chmod(work, 0o711); err != nil {
			return err
		}
		for _, p := range []string{work, pwfile} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return err
			}
		}
	}
	data := filepath.Join(work, "data")
	cmd := exec.Command(filepath.Join(bin, "initdb"), append([]string{"-D", data, "--pwfile=" + pwfile}, initdbArgs...)...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if err := os.Rename(data, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "PG_VERSION")); statErr == nil {
			return nil // another process made it first
		}
		return err
	}
	return nil
}

// copyTree copies the folder src to dst (which must not exist), each file's
// bytes and permissions, owned by cred when set.
func copyTree(src, dst string, cred *syscall.Credential) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			if err := os.Mkdir(target, fi.Mode().Perm()); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			if err := copyFile(path, target, fi.Mode().Perm()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: neither a folder nor a regular file", path)
		}
		if cred != nil {
			return os.Chown(target, int(cred.Uid), int(cred.Gid))
		}
		return nil
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
