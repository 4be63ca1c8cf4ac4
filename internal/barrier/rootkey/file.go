package rootkey

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sealbox/sealbox/internal/atomicfile"
	"github.com/sealbox/sealbox/internal/primitive"
)

// fileAAD binds a blob wrapped by the file provider to that purpose and
// format version, so it cannot pass for any other ciphertext under the same
// key.
var fileAAD = []byte("sealbox rootkey/file v1: barrier key")

// fileWrapVersion is the first byte of every blob the file provider wraps.
const fileWrapVersion = 1

// File is the default provider: a random 32-byte root key kept in a file
// (base64 on one line, mode 0600), which should live apart from the data
// folder. Create it with NewFile. Safe for concurrent use.
type File struct {
	path string
}

var _ Provider = (*File)(nil)

// NewFile returns the provider whose root key is in the file at path. Wrap
// creates the file if it does not exist yet (first start); Unwrap requires
// it.
func NewFile(path string) *File { return &File{path: path} }

// Name returns "file".
func (*File) Name() string { return "file" }

// Path returns the root key file's path.
func (f *File) Path() string { return f.path }

// Wrap encrypts key under the root key, creating the root key file first if
// it is missing. The file is durable on disk before Wrap returns, so no data
// folder is ever initialised under a key that a crash could lose.
func (f *File) Wrap(ctx context.Context, key []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := f.read()
	if errors.Is(err, fs.ErrNotExist) {
		root, err = f.create()
	}
	if err != nil {
		return nil, err
	}
	aead, err := primitive.NewAEAD(root)
	clear(root)
	if err != nil {
		return nil, fmt.Errorf("failed to use the root key: %w", err)
	}
	aad := append([]byte{fileWrapVersion}, fileAAD...)
	return aead.Seal([]byte{fileWrapVersion}, key, aad), nil
}

// Unwrap decrypts wrapped with the root key in the file. A missing file
// wraps ErrRootKeyMissing, a key that does not fit wraps ErrWrongRootKey.
func (f *File) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := f.read()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &explained{
			msg:  fmt.Sprintf("root key file %s is missing: without it the data folder cannot be opened", f.path),
			errs: []error{ErrRootKeyMissing, err},
		}
	}
	if err != nil {
		return nil, err
	}
	defer clear(root)
	wrong := &explained{
		msg:  fmt.Sprintf("wrong root key: root key file %s does not unlock this data folder", f.path),
		errs: []error{ErrWrongRootKey},
	}
	if len(wrapped) == 0 || wrapped[0] != fileWrapVersion {
		return nil, wrong
	}
	aad := append([]byte{fileWrapVersion}, fileAAD...)
	key, err := primitive.Open(root, wrapped[1:], aad)
	if err != nil {
		return nil, wrong
	}
	return key, nil
}

// read returns the root key in the file; an error matching fs.ErrNotExist
// means there is no file.
func (f *File) read() ([]byte, error) {
	b, err := os.ReadFile(f.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("failed to read the root key file: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	clear(b)
	if err != nil || len(key) != primitive.KeySize {
		return nil, fmt.Errorf("root key file %s is malformed: want the base64 of %d bytes on one line (restore it from your copy: without it the store cannot be unsealed)", f.path, primitive.KeySize)
	}
	return key, nil
}

// create writes a new random root key to the file, atomically: a temp file
// in the same folder is written, fsync'd and then hard-linked into place.
// A link, unlike a rename, never replaces an existing file, so two first
// starts racing cannot leave a data folder wrapped under a key that was
// then overwritten: the loser reads the winner's key instead.
func (f *File) create() ([]byte, error) {
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the root key folder: %w", err)
	}
	key := primitive.Random(primitive.KeySize)
	line := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	err := atomicfile.Create(f.path, line, 0o600)
	clear(line)
	if errors.Is(err, fs.ErrExist) {
		return f.read() // created meanwhile by another start: use it
	}
	if err != nil {
		return nil, fmt.Errorf("failed to create the root key file: %w", err)
	}
	return key, nil
}
