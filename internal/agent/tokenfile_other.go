//go:build !unix

package agent

import "os"

// readTokenFile reads a token file; ownership and permission bits are
// checked on Unix only.
func readTokenFile(path string) ([]byte, error) { return os.ReadFile(path) }
