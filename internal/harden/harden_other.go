//go:build unix && !linux

package harden

// Process limits core files to 0 bytes; the systems other than Linux have
// no PR_SET_DUMPABLE.
func Process() error { return noCore() }

// Dumpable reports true: only Linux can say otherwise.
func Dumpable() (bool, error) { return true, nil }
