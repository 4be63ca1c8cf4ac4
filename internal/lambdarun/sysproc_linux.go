package lambdarun

import (
	"os"
	"syscall"
)

// osSupported: environments run here. Functions need Linux: the runtimes
// are Linux programs, and an environment's containment (parent-death
// signal, PID namespace) is Linux's.
const osSupported = true

// dieWithServer has the kernel kill the process when the server dies.
func dieWithServer(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }

// newPIDNamespace starts the process as the first of a PID namespace of
// its own; inUserNS (a server that is not root) makes that namespace
// inside a user namespace where the server's user keeps its id.
func newPIDNamespace(a *syscall.SysProcAttr, inUserNS bool) {
	a.Cloneflags |= syscall.CLONE_NEWPID
	if inUserNS {
		a.Cloneflags |= syscall.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: os.Geteuid(), HostID: os.Geteuid(), Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
		a.Credential = nil
	}
}

// inPIDNamespace says whether a starts its process in a new PID namespace.
func inPIDNamespace(a *syscall.SysProcAttr) bool { return a.Cloneflags&syscall.CLONE_NEWPID != 0 }
