//go:build !linux

package lambdaext

import (
	"errors"
	"fmt"
	"io"
	"syscall"
)

var errLinux = errors.New("running Lambda extensions under aws-lambda-rie needs Linux (a mount namespace per environment)")

func ownMountNamespace() (*syscall.SysProcAttr, error) { return nil, errLinux }

// HelperMain fails: see the Linux version.
func HelperMain(args []string, stderr io.Writer) int {
	fmt.Fprintf(stderr, "sealbox %s: %v\n", HelperCommand, errLinux)
	return 1
}
