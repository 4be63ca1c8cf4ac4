package lambdainit

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
)

// Command is the first argument that makes sealbox run Main.
const Command = "__lambda-init"

// Wrap returns the command that runs c's program under Main, through
// self, the sealbox executable opened by the caller: it is executed as
// /proc/self/fd/3, so the process may run as a user who could not reach
// its folder (say /root/go/bin). The same program, arguments, folder,
// environment and output as c, c's SysProcAttr (the caller adds the
// namespace flags; its Credential and mount namespace are Main's, which
// its child inherits) and WaitDelay, and Cancel sending SIGTERM (which
// Main passes on) when ctx is done. c's program is started by Main as its plain child.
func Wrap(ctx context.Context, c *exec.Cmd, self *os.File) *exec.Cmd {
	w := exec.CommandContext(ctx, "/proc/self/fd/3", append([]string{Command, "--", c.Path}, c.Args[1:]...)...)
	w.Args[0] = "sealbox"
	w.Dir, w.Env, w.Stdin, w.Stdout, w.Stderr = c.Dir, c.Env, c.Stdin, c.Stdout, c.Stderr
	w.ExtraFiles = []*os.File{self}
	w.SysProcAttr, w.WaitDelay = c.SysProcAttr, c.WaitDelay
	w.Cancel = func() error { return w.Process.Signal(syscall.SIGTERM) }
	return w
}

// Main runs the program args name (after "--") and returns its exit
// status; what failed, if it could not start it, is written to stderr.
func Main(args []string, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "--" {
		fmt.Fprintf(stderr, "sealbox %s: want -- PROGRAM [ARG]...\n", Command)
		return 2
	}
	code, err := run(args[1], args[1:])
	if err != nil {
		fmt.Fprintf(stderr, "sealbox %s: %v\n", Command, err)
	}
	return code
}

// exitStatus is a waited-for process's status as a shell reports it.
func exitStatus(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// forwardable are the signals that stop an environment: the runner's
// SIGTERM (rie's SHUTDOWN), and what a terminal would send.
var forwardable = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT}
