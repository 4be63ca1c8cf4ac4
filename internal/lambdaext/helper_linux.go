package lambdaext

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/sealbox/sealbox/internal/lambdainit"
)

// HelperMain is the helper Command starts, with the arguments after
// HelperCommand: in its own mount namespace (Go unshared it and made /
// private before this runs), it mounts the extensions and OptDir (and
// the temporary folders and /proc, if asked), drops privileges, and
// executes rie. As its PID namespace's first process it stays instead,
// as lambdainit does, and runs rie as its child, as Credential's user,
// returning rie's exit status. It returns on failure too, with the exit
// status; what failed is written to stderr.
func HelperMain(args []string, stderr io.Writer) int {
	code, err := helper(args)
	if err != nil {
		fmt.Fprintf(stderr, "sealbox %s: %v\n", HelperCommand, err)
	}
	return code
}

type extensionsFlag []Extension

func (e *extensionsFlag) String() string { return fmt.Sprint(*e) }
func (e *extensionsFlag) Set(v string) error {
	name, path, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("want NAME=PATH")
	}
	*e = append(*e, Extension{Name: name, Path: path})
	return nil
}

func helper(args []string) (int, error) {
	// The parent-death signal is a thread's: dropTo sets it again on the
	// thread it runs on, which must be the one that executes rie (the
	// others end at the exec).
	runtime.LockOSThread()
	fs := flag.NewFlagSet(HelperCommand, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opt := fs.String("opt", "", "")
	var exts extensionsFlag
	fs.Var(&exts, "extension", "")
	uid := fs.Int("uid", -1, "")
	gid := fs.Int("gid", -1, "")
	groups := fs.String("groups", "", "")
	tmpSize := fs.Int64("tmp-size", 0, "")
	ownProc := fs.Bool("proc", false, "")
	if err := fs.Parse(args); err != nil {
		return 1, err
	}
	argv := fs.Args()
	if *opt == "" || len(argv) == 0 {
		return 1, errors.New("want --opt DIR [--extension NAME=PATH]... [--uid N --gid N --groups G,...] -- PROGRAM [ARG]")
	}

	// rie is opened now, as root and before /opt changes, and executed
	// through its descriptor: the function's user need not be able to
	// reach its folder (say $(go env GOPATH)/bin under /root).
	program, err := os.Open(argv[0])
	if err != nil {
		return 1, fmt.Errorf("failed to open %s: %w", argv[0], err)
	}

	// Each executable on its file in OptDir/extensions first, while its
	// path (which may be under /opt) still means the host's; then OptDir,
	// with those mounts (MS_REC), on /opt. Read-only: the function may not
	// change its extensions or its layers, as in Lambda.
	for _, e := range exts {
		if err := bindReadOnly(e.Path, filepath.Join(*opt, "extensions", e.Name), 0); err != nil {
			return 1, err
		}
	}
	if err := os.MkdirAll("/opt", 0o755); err != nil {
		return 1, err
	}
	if err := bindReadOnly(*opt, "/opt", unix.MS_REC); err != nil {
		return 1, err
	}
	if *tmpSize > 0 {
		if err := ownTempDirs(*tmpSize, *uid, *gid); err != nil {
			return 1, err
		}
	}
	// Last, once no host path is needed through the host's /proc: a
	// procfs of the helper's PID namespace, whose processes alone it
	// shows (the namespace's init is its 1).
	if *ownProc {
		if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return 1, fmt.Errorf("failed to mount the environment's /proc: %w", err)
		}
	}

	encoded, ok := os.LookupEnv(environmentVar)
	if !ok {
		return 1, fmt.Errorf("started without $%s (start the helper with Command)", environmentVar)
	}
	env, err := decodeEnvironment(encoded)
	if err != nil {
		return 1, fmt.Errorf("$%s: %w", environmentVar, err)
	}
	fd := "/proc/self/fd/" + strconv.Itoa(int(program.Fd()))
	if os.Getpid() == 1 {
		// The namespace's first process, which must reap its orphans
		// (rie does not): it stays, as root, and rie is its child. One
		// program less to start than lambdainit in front of the helper.
		var cred *syscall.Credential
		if *uid >= 0 {
			gs, err := parseGroups(*groups)
			if err != nil {
				return 1, err
			}
			cred = &syscall.Credential{Uid: uint32(*uid), Gid: uint32(*gid), Groups: gs}
		}
		return lambdainit.Supervise(fd, argv, env, cred)
	}
	if *uid >= 0 {
		if err := dropTo(*uid, *gid, *groups); err != nil {
			return 1, err
		}
	}
	if err := syscall.Exec(fd, argv, env); err != nil {
		return 1, fmt.Errorf("failed to execute %s: %w", argv[0], err)
	}
	return 0, nil
}

// ownTempDirs mounts a fresh tmpfs of size bytes, owned by uid and gid
// (root's if uid is -1), on each of tempDirs the host has. The working
// folder (TaskDir), if one of them hid it, is mounted again at its path
// in the new one, and entered again: the bootstrap and LAMBDA_TASK_ROOT
// name it by that path.
func ownTempDirs(size int64, uid, gid int) error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	fd, err := unix.Open(cwd, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", cwd, err)
	}
	defer unix.Close(fd)
	var was unix.Stat_t
	if err := unix.Fstat(fd, &was); err != nil {
		return err
	}
	opts := "mode=1777,size=" + strconv.FormatInt(size, 10)
	if uid >= 0 {
		opts += ",uid=" + strconv.Itoa(uid) + ",gid=" + strconv.Itoa(gid)
	}
	for _, dir := range tempDirs {
		if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
			if dir == "/tmp" {
				return fmt.Errorf("no /tmp to mount the environment's own on: %v", err)
			}
			continue
		}
		if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
			return fmt.Errorf("failed to mount the environment's own %s: %w", dir, err)
		}
	}
	var now unix.Stat_t
	if err := unix.Stat(cwd, &now); err == nil && now.Dev == was.Dev && now.Ino == was.Ino {
		return nil // not under a temporary folder
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return fmt.Errorf("failed to make %s in the environment's own temporary folder: %w", cwd, err)
	}
	if err := unix.Mount("/proc/self/fd/"+strconv.Itoa(fd), cwd, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("failed to mount %s again: %w", cwd, err)
	}
	return os.Chdir(cwd)
}

// parseGroups reads --groups: ids separated by commas.
func parseGroups(groups string) ([]uint32, error) {
	gs := []uint32{}
	for _, g := range strings.Split(groups, ",") {
		if g == "" {
			continue
		}
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", g, err)
		}
		gs = append(gs, uint32(n))
	}
	return gs, nil
}

// bindReadOnly mounts src on dst, read-only (a bind mount takes its flags
// only from a second, remounting call).
func bindReadOnly(src, dst string, rec uintptr) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND|rec, ""); err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("failed to mount %s on %s: %w (the helper must start as root: set Options.Credential, not the command's SysProcAttr.Credential)", src, dst, err)
		}
		return fmt.Errorf("failed to mount %s on %s: %w", src, dst, err)
	}
	if err := unix.Mount("", dst, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|rec, ""); err != nil {
		return fmt.Errorf("failed to make %s read-only: %w", dst, err)
	}
	return nil
}

// parentDeathSignal is the parent-death signal the helper was started
// with. It is read as the program starts, on its main thread: the setting
// is a thread's, and only that thread, which the parent forked, has it
// (threads do not inherit it), while the helper's goroutine may run on
// another.
var parentDeathSignal = func() int32 {
	var sig int32 // the kernel writes a C int
	unix.Prctl(unix.PR_GET_PDEATHSIG, uintptr(unsafe.Pointer(&sig)), 0, 0, 0)
	return sig
}()

// dropTo switches every thread to uid, gid and groups. The kernel clears
// the parent-death signal on a change of credentials: it is set again.
func dropTo(uid, gid int, groups string) error {
	ids, err := parseGroups(groups)
	if err != nil {
		return err
	}
	gs := make([]int, len(ids))
	for i, g := range ids {
		gs[i] = int(g)
	}
	sig := parentDeathSignal
	if err := syscall.Setgroups(gs); err != nil {
		return fmt.Errorf("failed to set the groups: %w", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("failed to set the group id: %w", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("failed to set the user id: %w", err)
	}
	if sig != 0 {
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(sig), 0, 0, 0); err != nil {
			return fmt.Errorf("failed to set the parent-death signal again: %w", err)
		}
	}
	return nil
}
