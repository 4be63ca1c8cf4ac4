// Package lambdaext starts AWS's Lambda Runtime Interface Emulator
// (aws-lambda-rie) for one execution environment in a mount namespace of
// its own, so that it runs the given executables as the environment's
// external extensions and, if asked (Options.TmpSize, Options.OwnProc),
// has /tmp, /var/tmp and /dev/shm of its own and a /proc of its PID
// namespace.
//
// # What rie does (read from its source, checked by this package's tests)
//
// rie (github.com/aws/aws-lambda-runtime-interface-emulator, classic mode:
// AWS_LAMBDA_MAX_CONCURRENCY unset) runs INIT at the first invocation,
// not at start. INIT lists the regular files in the literal directory
// /opt/extensions (no flag or variable moves it) and starts each one with
// no arguments, the function's environment (rie's own environment, the
// credentials, AWS_LAMBDA_RUNTIME_API; none of the variables that start
// with "_") and rie's user; it waits until each has registered under its
// file name (Lambda-Extension-Name), then starts the bootstrap, then waits
// until the runtime and every extension have called next. An extension
// rie did not start is taken for an internal one: it may register (before
// the runtime's first next) but not for SHUTDOWN, and INIT does not wait
// for it. So the extensions must be in /opt/extensions, and since that
// path is the host's, Command gives rie a mount namespace of its own in
// which a private folder is mounted on /opt.
//
// rie handles SIGTERM and SIGINT by sending SHUTDOWN to the extensions
// (SIGTERM to the runtime), waiting up to 2 s for them to exit, and
// exiting 0. It starts the runtime and the extensions in process groups
// of their own, so a SIGKILL to rie leaves them running: stop rie with
// SIGTERM (exec.Cmd.Cancel is set so), and give it WaitDelay to exit.
//
// # How
//
// Command runs a helper (sealbox itself: HelperCommand), which Go starts
// in a new mount namespace with / made private (SysProcAttr.Unshareflags
// CLONE_NEWNS); still root, the helper bind-mounts each extension's
// executable, read-only, on a file of the same name in OptDir/extensions,
// then OptDir with its mounts on /opt; with Options.TmpSize, a tmpfs of
// that size, owned by Options.Credential's user, on /tmp, /var/tmp and
// /dev/shm (the working folder, TaskDir, mounted again at its path if
// they hid it); with Options.OwnProc, a procfs on /proc, which shows the
// helper's PID namespace; then drops to Options.Credential if set,
// and executes rie through a descriptor it opened as root, with
// Options.Env, which the helper itself gets encoded in one variable: the
// function's variables (LD_PRELOAD among them, if its configuration says
// so) never are a root process's environment. The host's mount table is
// never changed; the mounts vanish with the namespace's last process. This
// needs root (or CAP_SYS_ADMIN) and Linux.
package lambdaext
