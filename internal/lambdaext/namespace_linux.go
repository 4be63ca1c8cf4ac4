package lambdaext

import "syscall"

// ownMountNamespace starts a process in a mount namespace of its own,
// with / private (Go remounts it MS_REC|MS_PRIVATE after unsharing), so
// no mount made in it reaches the host.
func ownMountNamespace() (*syscall.SysProcAttr, error) {
	return &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}, nil
}
