// Package lambdainit is the first process of an execution environment's
// PID namespace: `sealbox __lambda-init -- PROGRAM [ARG]...`, started by
// the runner with CLONE_NEWPID and a parent-death signal, runs PROGRAM
// (aws-lambda-rie, or lambdaext's helper that executes it) as its child,
// passes it the signals that stop an environment, reaps every process
// left to it, and exits with PROGRAM's status when PROGRAM exits.
//
// Why: the kernel kills every process of a PID namespace when the
// namespace's first process exits. rie starts the runtime and the
// extensions in process groups of their own, which outlive rie; in a
// namespace of their own they cannot outlive this process, and this
// process cannot outlive the server (the parent-death signal, SIGKILL).
// So an environment's processes end with rie's exit, with this process's
// death, and with the server's, however the server ends (SIGKILL, OOM).
//
// It is a separate process, not rie itself as the namespace's first one,
// because the first process inherits every orphan of the namespace and
// must reap it, which rie does not. lambdaext's helper, which sets an
// environment's mount namespace up as root, does the same work itself
// (Supervise) when it is its namespace's first process, rather than
// starting one program more.
package lambdainit
