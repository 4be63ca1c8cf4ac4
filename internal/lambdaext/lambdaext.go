package lambdaext

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HelperCommand is the first argument that makes sealbox run HelperMain:
// Command starts Options.Helper with it.
const HelperCommand = "__lambda-environment"

// environmentVar is the helper's only environment variable: rie's
// environment (Options.Env), encoded. The helper runs as root, and
// Options.Env holds the function's variables, which whoever may configure
// the function chooses: set as they are, LD_PRELOAD or LD_LIBRARY_PATH
// would have the dynamic loader run their code as root, GODEBUG change
// the helper's runtime. Encoded, they reach only rie, after the drop.
const environmentVar = "SEALBOX_LAMBDA_ENVIRONMENT"

// encodeEnvironment encodes env as one variable's value (a variable
// holds no NUL byte, which separates them).
func encodeEnvironment(env []string) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Join(env, "\x00")))
}

func decodeEnvironment(v string) ([]string, error) {
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return nil, nil
	}
	return strings.Split(string(b), "\x00"), nil
}

// Extension is an external extension: the executable at Path runs as
// /opt/extensions/Name and registers under Name.
type Extension struct {
	Name string
	Path string
}

// Options describe one execution environment's rie.
type Options struct {
	// RIE is the aws-lambda-rie executable.
	RIE string
	// Helper is the executable that runs HelperMain when its first
	// argument is HelperCommand: sealbox's own (os.Executable()).
	Helper string
	// RIEArgs are rie's own flags beyond the two addresses (say
	// --log-level error).
	RIEArgs []string
	// Bootstrap is the function's bootstrap executable; TaskDir its
	// working directory (LAMBDA_TASK_ROOT's place; rie's own working
	// directory). Neither, nor RIE, may be under /opt, which OptDir hides.
	Bootstrap, TaskDir string
	// BootstrapArgs follow Bootstrap on rie's command line: rie runs
	// Bootstrap with them, and takes the last one, if any, for the
	// handler (_HANDLER). A wrapper such as prlimit is Bootstrap, the
	// function's executable one of its arguments.
	BootstrapArgs []string
	// OptDir is a private folder mounted on /opt (the function's layers
	// may be unpacked in it). Command makes OptDir/extensions and a file
	// there for each extension, on which the helper mounts its executable.
	OptDir string
	// Extensions are started by rie at INIT, in /opt/extensions.
	Extensions []Extension
	// Env is rie's environment, which rie hands on to the runtime and the
	// extensions (the helper, which runs as root, gets it encoded in one
	// variable, not as its own): the function's variables, Lambda's reserved ones, the
	// credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
	// AWS_SESSION_TOKEN: the agent's token), AWS_ENDPOINT_URL,
	// AWS_LAMBDA_FUNCTION_TIMEOUT, AWS_LAMBDA_FUNCTION_MEMORY_SIZE …
	Env []string
	// RuntimeAPIAddr is where rie serves the Runtime and Extensions APIs
	// (--runtime-api-address, host:port); EmulatorAddr where it takes
	// invocations (--runtime-interface-emulator-address):
	// POST http://EmulatorAddr/2015-03-31/functions/function/invocations.
	RuntimeAPIAddr, EmulatorAddr string
	// Credential, if set, is the user and groups rie and so the runtime
	// and the extensions run as; the helper drops to it after mounting.
	// Set it here, never in the command's SysProcAttr: the helper must
	// start as root to mount. That user must be able to reach and run
	// Bootstrap, enter TaskDir and OptDir, and run each extension's file
	// (its mode, not its folder's: it is reached through /opt); RIE is
	// opened before the drop, so its folder may be closed to the user.
	Credential *syscall.Credential
	// TmpSize, if set, gives the environment temporary folders of its
	// own, as Lambda gives each execution environment its /tmp: a fresh
	// tmpfs of TmpSize bytes on /tmp, and one each on /var/tmp and
	// /dev/shm where the host has them, owned by Credential's user (root
	// without one), gone with the namespace. The host's stay as they
	// are, out of the environment's sight. TaskDir, which may be under
	// one of them (the runner's folder is in the system's temporary
	// folder), stays where it is; Bootstrap must then be in TaskDir or
	// outside them.
	TmpSize int64
	// OwnProc mounts a fresh procfs on /proc, which shows the processes
	// of the helper's PID namespace: set it when the command is started
	// as a PID namespace of its own (the runner's lambdainit), so that
	// the environment sees its own processes only, not the host's.
	OwnProc bool
	// StopWait bounds how long rie may take to exit after SIGTERM (its
	// extensions get 2 s to handle SHUTDOWN) before it is killed
	// (default 5 s).
	StopWait time.Duration
}

// Command prepares OptDir and returns the command that starts rie for
// the environment o describes. Start it, and stop it by cancelling ctx
// (SIGTERM, then SIGKILL after StopWait) or with a SIGTERM of your own;
// after a cancel Wait returns ctx's error even when rie exited cleanly:
// its ProcessState says how it exited.
// The caller may set the command's Stdout, Stderr (rie's log, the
// runtime's and the extensions' output) and add to its SysProcAttr
// (Setpgid, Pdeathsig: kept across the drop to Credential; Cloneflags
// CLONE_NEWPID, which makes the helper its PID namespace's first
// process: it then stays, reaping, and runs rie as its child), but must
// keep its Unshareflags and not set its Credential.
func Command(ctx context.Context, o Options) (*exec.Cmd, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	attr, err := ownMountNamespace()
	if err != nil {
		return nil, err
	}
	extDir := filepath.Join(o.OptDir, "extensions")
	if err := os.MkdirAll(extDir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to make the extensions folder: %w", err)
	}
	args := []string{HelperCommand, "--opt", o.OptDir}
	for _, e := range o.Extensions {
		// The mount point: an empty file, unless the folder holds one.
		f, err := os.OpenFile(filepath.Join(extDir, e.Name), os.O_CREATE|os.O_RDONLY, 0o755)
		if err != nil {
			return nil, fmt.Errorf("failed to make extension %s's mount point: %w", e.Name, err)
		}
		f.Close()
		args = append(args, "--extension", e.Name+"="+e.Path)
	}
	if c := o.Credential; c != nil {
		groups := make([]string, len(c.Groups))
		for i, g := range c.Groups {
			groups[i] = strconv.FormatUint(uint64(g), 10)
		}
		args = append(args, "--uid", strconv.FormatUint(uint64(c.Uid), 10), "--gid", strconv.FormatUint(uint64(c.Gid), 10),
			"--groups", strings.Join(groups, ","))
	}
	if o.TmpSize > 0 {
		args = append(args, "--tmp-size", strconv.FormatInt(o.TmpSize, 10))
	}
	if o.OwnProc {
		args = append(args, "--proc")
	}
	args = append(args, "--", o.RIE)
	args = append(args, o.RIEArgs...)
	args = append(args, "--runtime-api-address", o.RuntimeAPIAddr, "--runtime-interface-emulator-address", o.EmulatorAddr, o.Bootstrap)
	args = append(args, o.BootstrapArgs...)

	cmd := exec.CommandContext(ctx, o.Helper, args...)
	cmd.Args[0] = "sealbox"
	cmd.Dir = o.TaskDir
	cmd.Env = []string{environmentVar + "=" + encodeEnvironment(o.Env)}
	cmd.SysProcAttr = attr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = o.StopWait
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 5 * time.Second
	}
	return cmd, nil
}

func (o *Options) validate() error {
	var errs []error
	for _, p := range []struct{ what, path string }{{"RIE", o.RIE}, {"Helper", o.Helper}, {"Bootstrap", o.Bootstrap}, {"TaskDir", o.TaskDir}, {"OptDir", o.OptDir}} {
		if !filepath.IsAbs(p.path) {
			errs = append(errs, fmt.Errorf("%s %q: want an absolute path", p.what, p.path))
		}
	}
	for _, p := range []string{o.RIE, o.Bootstrap, o.TaskDir} {
		if under(p, "/opt") {
			errs = append(errs, fmt.Errorf("%s is under /opt, which the environment's OptDir hides", p))
		}
	}
	if o.TmpSize > 0 {
		for _, dir := range tempDirs {
			// rie is opened before the mounts; the bootstrap is run after.
			if under(o.Bootstrap, dir) && !under(o.Bootstrap, o.TaskDir) {
				errs = append(errs, fmt.Errorf("bootstrap %s is under %s, which the environment's own hides: put it in TaskDir", o.Bootstrap, dir))
			}
		}
	}
	seen := map[string]bool{}
	for _, e := range o.Extensions {
		if e.Name == "" || e.Name == "." || e.Name == ".." || strings.ContainsAny(e.Name, "/=\x00") {
			errs = append(errs, fmt.Errorf("extension name %q: want a file name", e.Name))
		}
		if seen[e.Name] {
			errs = append(errs, fmt.Errorf("extension %q listed twice", e.Name))
		}
		seen[e.Name] = true
		if !filepath.IsAbs(e.Path) {
			errs = append(errs, fmt.Errorf("extension %s's path %q: want an absolute path", e.Name, e.Path))
		}
	}
	if o.RuntimeAPIAddr == "" || o.EmulatorAddr == "" {
		errs = append(errs, errors.New("RuntimeAPIAddr and EmulatorAddr are both needed"))
	}
	return errors.Join(errs...)
}

// tempDirs are the folders every user of a host may write in, which
// Options.TmpSize replaces with the environment's own.
var tempDirs = []string{"/tmp", "/var/tmp", "/dev/shm"}

// under reports whether path is dir or in it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}
