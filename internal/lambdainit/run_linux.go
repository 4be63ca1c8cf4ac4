package lambdainit

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// run starts program and waits for it (Supervise), with this process's
// environment.
func run(program string, argv []string) (int, error) {
	// Wrap's descriptor of the sealbox executable (fd 3), and any other
	// inherited one, is not the program's to keep.
	unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	return Supervise(program, argv, nil, nil)
}

// Supervise is what a PID namespace's first process does, for one that
// is (lambdaext's helper, which sets the namespace up before): it starts
// program with argv and env (nil: this process's), as cred's user if set,
// as its plain child, passes it the signals that stop an environment,
// reaps whatever else ends meanwhile (the namespace's orphans are this
// process's children), and returns program's exit status when it exits.
// Outside a PID namespace of its own (a test, or a misuse) it makes
// itself the subreaper of its descendants, so it still reaps them.
func Supervise(program string, argv, env []string, cred *syscall.Credential) (int, error) {
	if os.Getpid() != 1 {
		unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
	// Notified before the start, so a signal that comes between the two
	// is passed on rather than lost.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardable...)
	attr := &os.ProcAttr{Env: env, Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}}
	if cred != nil {
		attr.Sys = &syscall.SysProcAttr{Credential: cred}
	}
	p, err := os.StartProcess(program, argv, attr)
	if err != nil {
		return 127, fmt.Errorf("failed to start %s: %w", program, err)
	}
	pid := p.Pid
	go func() {
		for s := range sigs {
			syscall.Kill(pid, s.(syscall.Signal))
		}
	}()
	// os.Process.Wait is not used: the loop below may reap the program
	// first (wait4(-1) takes any child).
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			return 1, fmt.Errorf("wait: %w", err)
		case got == pid:
			return exitStatus(ws), nil
		}
	}
}
