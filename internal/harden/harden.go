// Package harden keeps the process's memory, which holds the barrier key
// and every secret it serves, out of core dumps and away from other
// processes of the same user: on Linux the process is made non-dumpable
// (which also refuses ptrace attaches and /proc/PID/mem reads by
// unprivileged processes of the same user), and everywhere core files are
// limited to 0 bytes.
package harden
