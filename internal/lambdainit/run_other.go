//go:build !linux

package lambdainit

import (
	"errors"
	"syscall"
)

var errLinux = errors.New("needs Linux (a PID namespace per execution environment)")

func run(string, []string) (int, error) { return 1, errLinux }

// Supervise fails: see the Linux version.
func Supervise(string, []string, []string, *syscall.Credential) (int, error) { return 1, errLinux }
