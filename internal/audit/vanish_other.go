//go:build !unix

package audit

import "os"

// unlinked cannot tell on this system; the path check (FileSink.vanished)
// still sees a file deleted or replaced.
func unlinked(f *os.File) (bool, error) {
	_, err := f.Stat()
	return false, err
}
