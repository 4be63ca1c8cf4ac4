// Package atomicfile writes files so that a crash, at any instant, leaves
// either the old file or the whole new one, never a torn one: the data goes
// to a temporary file in the same folder, is fsync'd, then renamed (or
// linked) into place, and the folder is fsync'd so that the new name
// survives power loss too. Every file the server writes goes through it:
// keys, certificates, credentials, the audit public key.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Write replaces the file at path with data, mode perm, atomically.
func Write(path string, data []byte, perm os.FileMode) error {
	tmp, err := temp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// Create writes data to a new file at path, mode perm, atomically, and
// fails with an error wrapping fs.ErrExist if a file is already there: of
// two racing to make a file, one wins and the other can read the winner's.
func Create(path string, data []byte, perm os.FileMode) error {
	tmp, err := temp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("failed to create %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// temp writes data to a new temporary file beside path and fsyncs it.
func temp(path string, data []byte, perm os.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("failed to write %s: %w", path, err)
	}
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("failed to write %s: %w", path, err)
	}
	return f.Name(), nil
}

// SyncDir makes the names in folder dir durable. Windows cannot fsync a
// folder (and needs not).
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("failed to sync folder %s: %w", dir, err)
	}
	return nil
}
