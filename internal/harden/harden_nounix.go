//go:build !unix

package harden

// Process does nothing where there are neither core limits nor
// PR_SET_DUMPABLE.
func Process() error { return nil }

// Dumpable reports true.
func Dumpable() (bool, error) { return true, nil }

// CoreLimit reports no limit known.
func CoreLimit() (soft, hard uint64, err error) { return 0, 0, nil }
