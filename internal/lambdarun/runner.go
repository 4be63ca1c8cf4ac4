// Package lambdarun runs functions' code the way Lambda runs it, with AWS's
// Lambda Runtime Interface Emulator (aws-lambda-rie): one emulator process
// per execution environment, on loopback ports, its code unpacked in a
// folder of its own, serving one invocation at a time. Environments are
// kept warm for the next invocation of the same function configuration,
// stopped when idle, and dropped when what they were started from changes.
//
// What the environment holds (the decrypted variables, the role's
// credentials) is the caller's to compute, at INIT only (Spec.Init); the
// runner never sees a key or a policy.
//
// When the server runs as root, an environment is started through
// lambdaext, in a mount namespace of its own: /opt/extensions holds its
// function's extensions (Spec.Extensions: the Parameters and Secrets
// extension is sealbox's agent), so that the emulator starts them at INIT
// as Lambda does; /tmp, /var/tmp and /dev/shm are tmpfs of its own, of
// the function's ephemeral storage; /proc shows its PID namespace alone.
// Otherwise (a server not root, or a kernel that refuses the namespace)
// an environment without extensions is the emulator started directly,
// which needs nothing of the server's user, and shares the host's /tmp
// and /proc; one with extensions cannot start.
//
// An environment is stopped as Lambda stops one: SIGTERM to the emulator,
// which sends SHUTDOWN to the extensions and SIGTERM to the runtime; what
// is still there after StopWait (the emulator, or a process its runtime
// or extensions left behind, each in a process group of its own) is
// killed.
//
// The runtime reaches the emulator's Runtime API through the server
// (runtimeAPI), which gives each event the ARN its invocation was invoked
// as, and notes the errors the runtime posts: the emulator names every
// function in one made-up account and answers an error as a result.
//
// Each environment is a PID namespace of its own (contain; lambdaext's
// helper is its own namespace's first process), whose first process dies
// with the server: nothing of an environment outlives a
// killed server. Where the kernel refuses the namespace, the next
// runner's start kills what a killed one left (sweep).
//
// The emulator serves both its ports without credentials. When the server
// runs as root, a port guard (portguard: netfilter rules matched on the
// socket's user) lets only the server and the environment's own user
// connect to them, and only that user answer on them (Config.PortGuard).
//
// This is a developer's and single-tenant runner, as `sam local` is: the
// code runs as an unprivileged user of the host (Config.User), not in a
// virtual machine. It does not isolate functions from each other.
package lambdarun

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sealbox/sealbox/internal/lambdaext"
	"github.com/sealbox/sealbox/internal/lambdainit"
	"github.com/sealbox/sealbox/internal/portguard"
)

// Errors of Invoke. ErrNoEmulator and ErrThrottled are the caller's to word
// as Lambda does; others are failures to start an environment.
var (
	// ErrNoEmulator: aws-lambda-rie is neither configured nor on PATH.
	ErrNoEmulator = errors.New("lambdarun: aws-lambda-rie not found")
	// ErrNeedsLinux: functions run only on a Linux server.
	ErrNeedsLinux = errors.New("lambdarun: functions run only on Linux")
	// ErrClosed: the runner has been closed.
	ErrClosed = errors.New("lambdarun: closed")
	// ErrPortsTaken: another local process held one of the loopback
	// ports chosen for an execution environment, at each of portTries
	// choices.
	ErrPortsTaken = errors.New("lambdarun: another local process held the loopback ports chosen for an execution environment")
	// ErrExtensionsNeedRoot: a function has extensions and the server
	// does not run as root, so an environment cannot get the mount
	// namespace where /opt/extensions holds them.
	ErrExtensionsNeedRoot = errors.New("lambdarun: a function's extensions run in a mount namespace of the execution environment's own, where /opt/extensions holds them, which only a server running as root can make")
	// ErrNoHelper: a function has extensions and Config.Helper is unset.
	ErrNoHelper = errors.New("lambdarun: no sealbox executable configured to start an environment with extensions")
)

// dirPrefix names the runners' own folders in the system's temporary
// folder, which a later runner sweeps (sweep).
const dirPrefix = "sealbox-lambda-"

// AgentPort is the port the Parameters and Secrets extension serves on by
// default: the first environment with an extension gets it when free.
const AgentPort = 2773

// agentPortVar tells the extension (and the function) its port.
const agentPortVar = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"

// DefaultEphemeralMB is the size of an environment's /tmp, in MB, when
// its function says none: Lambda's default.
const DefaultEphemeralMB = 512

// InstallHint says how to install the emulator.
const InstallHint = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// ThrottledError is Invoke's answer when no environment may be started:
// Reason is Lambda's ThrottleReason.
type ThrottledError struct{ Reason string }

func (e *ThrottledError) Error() string { return "lambdarun: throttled: " + e.Reason }

// Throttle reasons, as Lambda's TooManyRequestsException names them.
const (
	ReasonConcurrent = "ConcurrentInvocationLimitExceeded"
	ReasonReserved   = "ReservedFunctionConcurrentInvocationLimitExceeded"
)

// Credential is the user and group the code runs as.
type Credential struct{ UID, GID uint32 }

// Config configures a Runner. The zero value runs with aws-lambda-rie from
// PATH, each environment as a user of its own when the server is root, at
// most 32 environments.
type Config struct {
	// Emulator is the path of aws-lambda-rie; "" looks for it on PATH.
	Emulator string
	// Dir holds the environments' folders; "" makes one in the system's
	// temporary folder, removed by Close.
	Dir string
	// User runs every environment's code; nil: when the server runs as
	// root, each environment runs as a user of its own (users.go), else
	// as the server's own user (which cannot be changed).
	User *Credential
	// MaxEnvironments bounds the environments running at once, the
	// server's concurrency: 0 is 32.
	MaxEnvironments int
	// Idle stops an environment unused this long; 0 is 5 minutes.
	Idle time.Duration
	// Logger logs environments' starts and stops; nil logs nothing.
	Logger *slog.Logger
	// Helper is sealbox's own executable, which starts an environment
	// with extensions in its mount namespace (lambdaext.HelperCommand);
	// "" refuses functions with extensions.
	Helper string
	// StopWait bounds how long an environment may take to stop after
	// SIGTERM before what is left of it is killed; 0 is 5 s.
	StopWait time.Duration
	// PortGuard says whether the environments' emulator ports are
	// guarded (portguard): "" is PortGuardAuto.
	PortGuard PortGuardMode
}

// PortGuardMode says whether a runner guards its environments' ports.
type PortGuardMode string

const (
	// PortGuardAuto guards them when the server runs as root and the
	// kernel allows; else the runner warns once, at its first cold
	// start, and goes without.
	PortGuardAuto PortGuardMode = "auto"
	// PortGuardRequire refuses to make a runner that cannot guard them.
	PortGuardRequire PortGuardMode = "require"
	// PortGuardOff never guards them.
	PortGuardOff PortGuardMode = "off"
)

// Spec is what an invocation runs: the function's code and settings, and
// how to compute its environment at INIT.
type Spec struct {
	// Key names the configuration: an environment serves only
	// invocations of the same Key (the function's ARN, version and the
	// change of its configuration it was started from).
	Key string
	// Group is the function's unqualified ARN: Reserved counts the
	// environments of the group, and Drop stops them.
	Group string
	// Name and Version are the function's name and version ($LATEST or
	// a number), as the emulator reports them.
	Name, Version string
	// Handler is the function's handler (_HANDLER).
	Handler string
	// Timeout is the function's timeout, in whole seconds as Lambda's.
	Timeout time.Duration
	// MemoryMB is the function's memory size: the bootstrap's data limit.
	MemoryMB int
	// EphemeralMB is the function's ephemeral storage (Lambda's
	// EphemeralStorage.Size): the size of the environment's own /tmp;
	// 0 is Lambda's default, DefaultEphemeralMB.
	EphemeralMB int
	// Reserved is the function's reserved concurrency (0: no invocation
	// runs); nil: none.
	Reserved *int
	// Watch are the store keys whose change makes the environment stale:
	// Stale(key) drops the environments watching key.
	Watch []string
	// Code reads the function's ZIP, at a cold start only, and only
	// the first time with a CodeDigest (the package, hex): the runner
	// keeps it unpacked by digest.
	Code       func(ctx context.Context) ([]byte, error)
	CodeDigest string
	// Init computes the environment's variables, at a cold start only: the
	// function's own and those Lambda sets, and more store keys to Watch
	// (what the variables were read from). An error is answered as it
	// is, and the code is not started. Init may set Extensions.
	Init func(ctx context.Context, rt Runtime) (vars map[string]string, watch []string, err error)
	// Extensions are the environment's external extensions, which the
	// emulator starts from /opt/extensions at INIT with the function's
	// variables (the Parameters and Secrets extension). With one, the
	// environment's variables also say PARAMETERS_SECRETS_EXTENSION_HTTP_PORT.
	Extensions []Extension
}

// Runtime is what Init may need to know of the environment it prepares.
type Runtime struct {
	// API is the Runtime API's address (host:port), which the emulator
	// gives the runtime and the extensions as AWS_LAMBDA_RUNTIME_API.
	API string
	// TempDir is the environment's own temporary folder.
	TempDir string
}

// Extension is an external extension: the executable at Path runs as
// /opt/extensions/Name, with no arguments, and registers under Name.
type Extension = lambdaext.Extension

// Invocation is one call of a function.
type Invocation struct {
	RequestID string
	// FunctionARN is the ARN the function was invoked as (qualified as
	// the caller named it): the context's InvokedFunctionArn.
	FunctionARN   string
	Payload       []byte
	ClientContext string // base64, as X-Amz-Client-Context carries it
	// Tail asks for the invocation's log.
	Tail bool
}

// Result is the function's answer.
type Result struct {
	Payload []byte
	// FunctionError is "Unhandled" when the function failed, timed out
	// or crashed; Payload then holds the error object.
	FunctionError string
	// Log is the invocation's log (with Tail): what the function and the
	// emulator wrote, from START to REPORT.
	Log []byte
	// Cold reports that the environment was started for this invocation;
	// Timings then says where the time went.
	Cold    bool
	Timings Timings
}

// Timings split a cold start: Init (the caller's INIT: decrypting the
// environment, resolving references), Unpack (reading and unzipping the
// code), Start (the emulator up and its port answering); Invoke is the
// emulator's answer, the bootstrap's own start included on a cold start.
type Timings struct {
	Init, Unpack, Start, Invoke time.Duration
}

// Runner runs invocations. Make one with New; safe for concurrent use.
type Runner struct {
	cfg      Config
	ownDir   bool
	user     *Credential // every environment's, if one for all
	users    *userPool   // the environments' own, if not
	emulator string      // the copy the code's user may execute
	prlimit  string      // prlimit(1), to bound the bootstrap's memory; "" without
	// envCmd is env(1), which gives the runtime runtimeAPI's address.
	envCmd string
	// helper is Config.Helper opened, which starts each environment as
	// the first process of its PID namespace (lambdainit); nil without.
	helper *os.File
	// noPIDNamespace is set when the kernel refused an environment a
	// PID namespace: the later ones start without (see contain).
	noPIDNamespace atomic.Bool
	// noMountNamespace is set when the kernel refused an environment
	// without extensions a mount namespace: the later ones share the
	// host's /tmp and /proc (warned of once: sharedWarned).
	noMountNamespace atomic.Bool
	sharedWarned     atomic.Bool
	// guard keeps others off the environments' ports; nil without
	// (noGuard says why, warned of once: guardWarned).
	guard       *portguard.Guard
	noGuard     error
	guardWarned atomic.Bool
	// owner is the lock on the runner's folder, held while it runs.
	owner  *os.File
	client *http.Client
	// codeMu serializes unpacking the packages kept by digest.
	codeMu sync.Mutex

	mu     sync.Mutex
	envs   map[*environment]bool
	closed bool
	// finished is set once finish has let the runner's resources go.
	finished bool
	// stopping counts the environments removed but not yet stopped.
	stopping int
	// agentPortUser is the environment whose extension has AgentPort.
	agentPortUser *environment
	// colds and coldTime count the cold starts and add up their timings.
	colds    int
	coldTime Timings
	stop     chan struct{}
	wg       sync.WaitGroup
}

// New returns a Runner. The emulator is looked for at the first cold start,
// so that a server without it serves everything else.
func New(c Config) (*Runner, error) {
	if c.MaxEnvironments <= 0 {
		c.MaxEnvironments = 32
	}
	if c.Idle <= 0 {
		c.Idle = 5 * time.Minute
	}
	if c.StopWait <= 0 {
		c.StopWait = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: c, envs: map[*environment]bool{}, stop: make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 1}}}
	r.user = c.User
	if r.user == nil && os.Geteuid() == 0 {
		r.users = newUserPool()
	}
	// A server killed before its Close left its folder, and perhaps
	// processes working in it: removed now.
	if n := sweep(os.TempDir(), dirPrefix); n > 0 {
		c.Logger.Info("removed the folders of lambda runners that were killed", "folders", n)
	}
	if c.Dir == "" {
		d, err := os.MkdirTemp("", dirPrefix)
		if err != nil {
			return nil, err
		}
		c.Dir, r.ownDir = d, true
		r.cfg.Dir = d
	} else if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, err
	}
	owner, err := claim(c.Dir)
	if err != nil {
		if r.ownDir {
			os.RemoveAll(c.Dir)
		}
		return nil, err
	}
	r.owner = owner
	if !r.ownDir {
		sweepEnvironments(c.Dir)
	}
	// The code's user may pass through the folder to its environment's
	// own (whose name it is told) but not list the others.
	if err := os.Chmod(c.Dir, 0o711); err != nil {
		r.abandon()
		return nil, err
	}
	if c.Helper != "" {
		// Opened now, as the server's user: the environments' first
		// processes execute it through this descriptor, whatever their
		// user may reach.
		if f, err := os.Open(c.Helper); err == nil {
			r.helper = f
		} else {
			c.Logger.Warn("lambda environments start without a PID namespace of their own", "error", err)
		}
	}
	if p, err := exec.LookPath("prlimit"); err == nil {
		r.prlimit = p
	}
	if p, err := exec.LookPath("env"); err == nil {
		r.envCmd = p
	}
	if err := r.openGuard(); err != nil {
		if c.PortGuard == PortGuardRequire {
			if r.helper != nil {
				r.helper.Close()
			}
			r.abandon()
			return nil, fmt.Errorf("lambdarun: --lambda-port-guard=require: %w", err)
		}
		r.noGuard = err
	}
	r.wg.Add(1)
	go r.reap()
	return r, nil
}

// openGuard makes the runner's port guard, unless Config.PortGuard is off,
// first removing the tables of killed runners. It needs root: only then
// do the environments have users of their own (or Config.User's) that the
// rules can tell from others'.
func (r *Runner) openGuard() error {
	if r.cfg.PortGuard == PortGuardOff {
		return nil
	}
	if geteuid() != 0 {
		return errors.New("the server does not run as root")
	}
	if n, err := portguard.Sweep(); err == nil && n > 0 {
		r.cfg.Logger.Info("removed the port guards of lambda runners that were killed", "tables", n)
	}
	g, err := portguard.New()
	if err != nil {
		return err
	}
	r.guard = g
	return nil
}

// Emulator returns the path of aws-lambda-rie the runner uses, copying it
// where the code's user may execute it on first use; ErrNoEmulator if
// there is none, ErrNeedsLinux on another system.
func (r *Runner) emulatorPath() (string, error) {
	if !osSupported {
		return "", ErrNeedsLinux
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.emulator != "" {
		return r.emulator, nil
	}
	src := r.cfg.Emulator
	if src == "" {
		p, err := exec.LookPath("aws-lambda-rie")
		if err != nil {
			return "", ErrNoEmulator
		}
		src = p
	}
	if st, err := os.Stat(src); err != nil || st.IsDir() {
		return "", ErrNoEmulator
	}
	// A copy in the runner's folder: the configured path may sit in a
	// folder the code's user cannot enter (/root/go/bin).
	dst := filepath.Join(r.cfg.Dir, "aws-lambda-rie")
	if err := copyFile(src, dst, 0o755); err != nil {
		return "", fmt.Errorf("failed to copy aws-lambda-rie: %w", err)
	}
	r.emulator = dst
	return dst, nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// Invoke runs inv in a warm environment of spec.Key, or starts one.
func (r *Runner) Invoke(ctx context.Context, spec *Spec, inv *Invocation) (*Result, error) {
	env, err := r.acquire(spec)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if env.cmd == nil {
		res.Cold = true
		for try := 1; ; try++ {
			err := r.start(ctx, env, spec, &res.Timings)
			if err == nil {
				break
			}
			r.discard(env)
			var taken *portTakenError
			if !errors.As(err, &taken) {
				return nil, err
			}
			// Another local process holds a port chosen for env (it
			// took it between freePorts and the bind, or squats on it
			// on purpose): other ports, in a new environment.
			if try == portTries {
				r.cfg.Logger.Error("lambda execution environment not started: another local process held one of its loopback ports at every try", "tries", try, "ports", taken.addrs)
				return nil, ErrPortsTaken
			}
			r.cfg.Logger.Warn("another local process holds a loopback port chosen for a lambda execution environment: trying other ports", "ports", taken.addrs)
			if env, err = r.acquire(spec); err != nil {
				return nil, err
			}
			if env.cmd != nil {
				// Another invocation's environment, warm meanwhile.
				res = &Result{}
				break
			}
		}
	}
	t0 := time.Now()
	keep, err := env.invoke(ctx, r.client, spec, inv, res)
	res.Timings.Invoke = time.Since(t0)
	if res.Cold {
		r.mu.Lock()
		r.colds++
		r.coldTime.Init += res.Timings.Init
		r.coldTime.Unpack += res.Timings.Unpack
		r.coldTime.Start += res.Timings.Start
		r.coldTime.Invoke += res.Timings.Invoke
		r.mu.Unlock()
	}
	if err != nil || !keep {
		r.discard(env)
	} else {
		r.release(env)
	}
	return res, err
}

// acquire takes an idle environment of spec.Key, or reserves the place of
// a new one within the limits.
func (r *Runner) acquire(spec *Spec) (*environment, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	var idleOther *environment
	group := 0
	for e := range r.envs {
		if e.spec.Group == spec.Group && !e.stale {
			group++
		}
		if e.busy {
			continue
		}
		if e.spec.Key == spec.Key && !e.stale {
			e.busy = true
			return e, nil
		}
		if idleOther == nil || e.used.Before(idleOther.used) {
			idleOther = e
		}
	}
	if spec.Reserved != nil && *spec.Reserved == 0 {
		return nil, &ThrottledError{Reason: ReasonReserved}
	}
	if spec.Reserved != nil && group >= *spec.Reserved {
		// The group's idle environments of another configuration make
		// way; busy ones are the reservation in use.
		var stop *environment
		for e := range r.envs {
			if e.spec.Group == spec.Group && !e.busy {
				stop = e
				break
			}
		}
		if stop == nil {
			return nil, &ThrottledError{Reason: ReasonReserved}
		}
		r.removeLocked(stop)
	}
	if len(r.envs) >= r.cfg.MaxEnvironments {
		if idleOther == nil || !r.envs[idleOther] {
			return nil, &ThrottledError{Reason: ReasonConcurrent}
		}
		r.removeLocked(idleOther)
	}
	e := &environment{spec: spec, busy: true, used: time.Now(), done: make(chan struct{})}
	r.envs[e] = true
	return e, nil
}

// release returns env to the pool, or stops it if it went stale meanwhile.
func (r *Runner) release(env *environment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	env.busy, env.used = false, time.Now()
	if env.stale || r.closed {
		r.removeLocked(env)
	}
}

func (r *Runner) discard(env *environment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeLocked(env)
}

// removeLocked forgets env and stops its processes; r.mu is held.
func (r *Runner) removeLocked(env *environment) {
	if !r.envs[env] {
		return
	}
	delete(r.envs, env)
	r.stopping++
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		env.shutdown(r.cfg.StopWait)
		gone := true
		if r.users != nil {
			gone = r.users.give(env.user) // its processes are gone
		}
		// Unguarded only once nothing of its user is left that might
		// still listen on its ports.
		if r.guard != nil && len(env.guarded) > 0 && gone {
			if err := r.guard.Release(env.guarded...); err != nil {
				r.cfg.Logger.Warn("failed to release a lambda environment's ports", "error", err)
			}
		}
		r.mu.Lock()
		if r.agentPortUser == env {
			r.agentPortUser = nil
		}
		r.stopping--
		r.mu.Unlock()
		if err := r.finish(); err != nil {
			r.cfg.Logger.Warn("failed to remove the lambda runner's folder", "error", err)
		}
		r.cfg.Logger.Debug("lambda environment stopped", "function", env.spec.Group, "version", env.spec.Version)
	}()
}

// Stale drops the environments that watch key: idle ones now, busy ones
// when their invocation ends. It is quick: a store's change feed may call
// it as it commits.
func (r *Runner) Stale(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for e := range r.envs {
		for _, w := range append(e.spec.Watch[:len(e.spec.Watch):len(e.spec.Watch)], e.watch...) {
			if w == key {
				e.stale = true
				if !e.busy {
					r.removeLocked(e)
				}
				break
			}
		}
	}
}

// Drop drops every environment of the function group.
func (r *Runner) Drop(group string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for e := range r.envs {
		if e.spec.Group == group {
			e.stale = true
			if !e.busy {
				r.removeLocked(e)
			}
		}
	}
}

// ColdStarts is how many environments were started and their timings
// added up, for benchmarks and metrics.
func (r *Runner) ColdStarts() (int, Timings) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.colds, r.coldTime
}

// Environments is how many environments are running or starting.
func (r *Runner) Environments() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.envs)
}

// reap stops the environments idle for longer than cfg.Idle.
func (r *Runner) reap() {
	defer r.wg.Done()
	t := time.NewTicker(max(r.cfg.Idle/4, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case now := <-t.C:
			r.mu.Lock()
			for e := range r.envs {
				if !e.busy && now.Sub(e.used) > r.cfg.Idle {
					r.removeLocked(e)
				}
			}
			r.mu.Unlock()
		}
	}
}

// Close stops every environment and removes the runner's folder if it
// made it.
func (r *Runner) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	close(r.stop)
	for e := range r.envs {
		if !e.busy {
			r.removeLocked(e)
		}
	}
	r.mu.Unlock()
	r.wg.Wait()
	return r.finish()
}

// finish lets the runner's last resources go once it is closed and its
// last environment has stopped (a busy one at Close stops when its
// invocation ends): the helper, the port guard, then its folder and the
// lock on it. Until then a busy environment keeps its folder, and no
// other runner's sweep may take it. It runs its work once.
func (r *Runner) finish() error {
	r.mu.Lock()
	done := r.closed && len(r.envs) == 0 && r.stopping == 0 && !r.finished
	r.finished = r.finished || done
	r.mu.Unlock()
	if !done {
		return nil
	}
	if r.helper != nil {
		r.helper.Close()
	}
	if r.guard != nil {
		if err := r.guard.Close(); err != nil {
			r.cfg.Logger.Warn("failed to remove the lambda environments' port guard", "table", r.guard.Table(), "error", err)
		}
	}
	return r.abandon()
}

// abandon removes the runner's folder if it made it, then lets it go
// (the lock on it): removed first, so no other runner's sweep races the
// removal.
func (r *Runner) abandon() error {
	var err error
	if r.ownDir {
		err = os.RemoveAll(r.cfg.Dir)
	}
	if r.owner != nil {
		r.owner.Close()
	}
	return err
}

// environment is one execution environment: an emulator process serving
// one function configuration, one invocation at a time.
type environment struct {
	spec *Spec
	dir  string
	user *Credential // what its processes run as; nil: the server's user
	// busy, used, stale and watch (Init's keys, beside spec.Watch) are
	// guarded by Runner.mu.
	busy  bool
	used  time.Time
	stale bool
	watch []string

	cmd    *exec.Cmd
	stop   context.CancelFunc // SIGTERM to the emulator (cmd's Cancel)
	invURL string
	done   chan struct{} // closed when the emulator exits
	logs   logBuffer
	// guarded are its ports the port guard holds for its user.
	guarded []uint16
	// rapi is the Runtime API its runtime is given (runtimeAPI).
	rapi *runtimeAPI
}

// start prepares env: its folders, the code unpacked, INIT's variables,
// the emulator started and answering (its INIT, and the extensions',
// happen at the first invocation).
func (r *Runner) start(ctx context.Context, env *environment, spec *Spec, t *Timings) error {
	emu, err := r.emulatorPath()
	if err != nil {
		return err
	}
	env.user = r.user
	if r.users != nil {
		if env.user = r.users.take(); env.user == nil {
			return errors.New("every environment user is in use")
		}
	}
	id := make([]byte, 12)
	rand.Read(id)
	env.dir = filepath.Join(r.cfg.Dir, hex.EncodeToString(id))
	task, tmp, opt := filepath.Join(env.dir, "task"), filepath.Join(env.dir, "tmp"), filepath.Join(env.dir, "opt")
	for _, d := range []string{env.dir, task, tmp, opt} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	ports, err := pickPorts(3, r.held)
	if err != nil {
		return err
	}
	api, emuAddr, runtimeAddr := ports[0], ports[1], ports[2]
	if err := r.guardPorts(env, ports[:2]); err != nil {
		return err
	}
	if err := r.serveRuntimeAPI(env, runtimeAddr, api); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return &portTakenError{addrs: []string{runtimeAddr}}
		}
		return err
	}

	// The environment's own /tmp, where it may have one; else its
	// folder's tmp, and the host's /tmp beside it.
	private, why := r.ownMounts()
	if !private {
		r.warnShared(why)
	}
	tmpDir := tmp
	if private {
		tmpDir = "/tmp"
	}

	t0 := time.Now()
	vars, watch, err := spec.Init(ctx, Runtime{API: api, TempDir: tmpDir})
	t.Init = time.Since(t0)
	if err != nil {
		return err
	}
	if len(spec.Extensions) > 0 {
		if err := r.canRunExtensions(); err != nil {
			return err
		}
	}
	r.mu.Lock()
	env.watch = watch
	r.mu.Unlock()
	t0 = time.Now()
	if err := r.unpack(ctx, spec, task); err != nil {
		return err
	}
	if err := r.chown(env.dir, env.user); err != nil {
		return err
	}
	t.Unpack = time.Since(t0)

	t0 = time.Now()
	vars["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(int(spec.Timeout / time.Second))
	vars["TMPDIR"], vars["HOME"] = tmpDir, tmpDir
	vars["LAMBDA_TASK_ROOT"] = task
	vars["PATH"] = "/usr/local/bin:/usr/bin:/bin"
	if spec.Handler != "" {
		vars["_HANDLER"] = spec.Handler
	}
	if len(spec.Extensions) > 0 {
		// The extension listens on the host's loopback, as every
		// environment's: the port is the environment's, and said to
		// the extension and the function alike.
		port, err := r.agentPort(env)
		if err != nil {
			return err
		}
		vars[agentPortVar] = port
	}
	envCtx, stop := context.WithCancel(context.Background())
	env.stop = stop
	cmd, err := r.command(envCtx, emu, api, emuAddr, runtimeAddr, task, opt, spec, vars, env.user, private)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = &env.logs, &env.logs
	err = startAndWait(cmd, env.done)
	if err != nil && inPIDNamespace(cmd.SysProcAttr) && refused(err) {
		// No PID namespace here (a container without CAP_SYS_ADMIN, user
		// namespaces disabled, a helper its user may not execute): this
		// environment and the later ones start without, as they did
		// before namespaces.
		if !r.noPIDNamespace.Swap(true) {
			r.cfg.Logger.Warn("lambda environments start without a PID namespace of their own: what they start may outlive a killed server until its next start", "error", err)
		}
		if cmd, err = r.command(envCtx, emu, api, emuAddr, runtimeAddr, task, opt, spec, vars, env.user, private); err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = &env.logs, &env.logs
		err = startAndWait(cmd, env.done)
	}
	if err != nil && private && len(spec.Extensions) == 0 && refused(err) {
		// No mount namespace either: the function does without one (one
		// with extensions cannot), in the host's /tmp and /proc.
		r.noMountNamespace.Store(true)
		r.warnShared("the kernel refused a mount namespace: " + err.Error())
		vars["TMPDIR"], vars["HOME"] = tmp, tmp
		if cmd, err = r.command(envCtx, emu, api, emuAddr, runtimeAddr, task, opt, spec, vars, env.user, false); err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = &env.logs, &env.logs
		err = startAndWait(cmd, env.done)
	}
	if err != nil {
		return fmt.Errorf("failed to start aws-lambda-rie: %w", err)
	}
	env.cmd = cmd
	env.invURL = "http://" + emuAddr + "/2015-03-31/functions/function/invocations"
	// Both its ports: the emulator panics when it cannot bind either
	// (another process took one after freePorts let it go), the Runtime
	// API's perhaps after the invoke port listens.
	for _, addr := range []string{emuAddr, api} {
		if err := waitListening(ctx, addr, env.done, 10*time.Second); err != nil {
			if env.logs.find(0, "address already in use", 0) != "" {
				return &portTakenError{addrs: []string{api, emuAddr}}
			}
			return err
		}
	}
	t.Start = time.Since(t0)
	r.cfg.Logger.Debug("lambda environment started", "function", spec.Group, "version", spec.Version)
	return nil
}

// held reports whether the port guard holds port (for an environment
// still stopping, perhaps): a new environment must not be given it.
func (r *Runner) held(port uint16) bool { return r.guard != nil && r.guard.Held(port) }

// guardPorts guards env's ports for its user, before its emulator binds
// them: from then on only its user and the server connect to them, and
// only its user's listener answers there (one of another user's that
// took a port first answers no one, and the start fails). Without a
// guard, the first cold start warns, once, that they are open.
func (r *Runner) guardPorts(env *environment, addrs []string) error {
	if r.guard == nil || env.user == nil {
		if r.noGuard != nil && !r.guardWarned.Swap(true) {
			r.cfg.Logger.Warn("lambda environments' emulator ports are open to every local user: whoever connects can invoke a warm function, unaudited, or take its next event (--lambda-port-guard)", "why", r.noGuard.Error())
		}
		return nil
	}
	ports := make([]uint16, 0, len(addrs))
	for _, a := range addrs {
		_, p, _ := net.SplitHostPort(a)
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return err
		}
		ports = append(ports, uint16(n))
	}
	if err := r.guard.Guard(env.user.UID, ports...); err != nil {
		return err
	}
	env.guarded = ports
	return nil
}

// refused reports whether err is the kernel refusing what contain asks:
// a namespace, or the helper's execution by the code's user.
func refused(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EPERM, syscall.EINVAL, syscall.ENOSPC, syscall.EUSERS, syscall.EACCES} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// startAndWait starts cmd, and waits for it on a goroutine locked to its
// OS thread until then, closing done when it has exited. The thread is
// kept: the kernel sends the parent-death signal (SIGKILL) when the
// thread that started the process ends, not the server, and Go ends a
// thread whose goroutine exits locked to it, which some goroutine
// elsewhere in the server might do (golang/go#27505).
func startAndWait(cmd *exec.Cmd, done chan<- struct{}) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		close(done)
	}()
	return <-started
}

// ownMounts says whether an environment gets a mount namespace of its
// own with its own /tmp, /var/tmp, /dev/shm and /proc (lambdaext's
// helper makes them), and why not if not: that needs root, and the
// sealbox executable to start the helper with.
func (r *Runner) ownMounts() (bool, string) {
	switch {
	case geteuid() != 0:
		return false, "the server does not run as root"
	case r.helper == nil:
		return false, "no sealbox executable to start them with"
	case r.noMountNamespace.Load():
		return false, "the kernel refused a mount namespace"
	}
	return true, ""
}

// warnShared warns, once, that environments share the host's temporary
// folders and /proc.
func (r *Runner) warnShared(why string) {
	if !r.sharedWarned.Swap(true) {
		r.cfg.Logger.Warn("lambda environments share the host's /tmp, /var/tmp, /dev/shm and /proc: a function sees the host's processes, and what one leaves in those folders another may find", "why", why)
	}
}

// canRunExtensions says why an environment with extensions cannot start,
// if it cannot.
func (r *Runner) canRunExtensions() error {
	if geteuid() != 0 {
		return ErrExtensionsNeedRoot
	}
	if r.cfg.Helper == "" {
		return ErrNoHelper
	}
	return nil
}

// agentPort is the port of env's extension: AgentPort if no other
// environment has it and it is free on the host, else a free one.
func (r *Runner) agentPort(env *environment) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.agentPortUser == nil {
		if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(AgentPort))); err == nil {
			l.Close()
			r.agentPortUser = env
			return strconv.Itoa(AgentPort), nil
		}
	}
	ports, err := freePorts(1, r.held)
	if err != nil {
		return "", err
	}
	_, port, _ := net.SplitHostPort(ports[0])
	return port, nil
}

// serveRuntimeAPI starts env's runtimeAPI on addr, in front of the
// emulator's Runtime API at api: guarded, when the ports are, for env's
// user to connect to and the server to answer.
func (r *Runner) serveRuntimeAPI(env *environment, addr, api string) error {
	if r.envCmd == "" {
		return errors.New("env(1) not found: it gives the runtime its Runtime API")
	}
	if r.guard != nil && env.user != nil {
		_, p, _ := net.SplitHostPort(addr)
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return err
		}
		if err := r.guard.Serve(env.user.UID, uint16(n)); err != nil {
			return err
		}
		env.guarded = append(env.guarded, uint16(n))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	env.rapi = startRuntimeAPI(ln, api)
	return nil
}

// command is the emulator's command, the one place that says how an
// environment's processes are started: lambdaext's helper, which gives
// the emulator a mount namespace of its own where /opt/extensions holds
// the function's extensions, and, when private (ownMounts), /tmp,
// /var/tmp and /dev/shm are the environment's own tmpfs (of the
// function's EphemeralMB) and /proc shows its PID namespace alone; or,
// for a function without extensions where the helper cannot run (it
// needs root), the emulator itself, which needs nothing of the server's
// user. The bootstrap runs under prlimit with the
// function's memory as its data limit, when prlimit is there; the
// emulator takes its last argument, past the bootstrap, as the handler.
// Cancelling ctx stops the emulator with SIGTERM.
func (r *Runner) command(ctx context.Context, emu, api, emuAddr, runtimeAddr, task, opt string, spec *Spec, vars map[string]string, user *Credential, private bool) (*exec.Cmd, error) {
	rieArgs := []string{"--log-level", "error"}
	bootstrap := []string{filepath.Join(task, "bootstrap")}
	if r.prlimit != "" && spec.MemoryMB > 0 {
		bootstrap = append([]string{r.prlimit, "--data=" + strconv.Itoa(spec.MemoryMB<<20), "--"}, bootstrap...)
	}
	// The emulator sets AWS_LAMBDA_RUNTIME_API to its own address over
	// the function's variables: env(1) gives the runtime runtimeAPI's.
	bootstrap = append([]string{r.envCmd, "AWS_LAMBDA_RUNTIME_API=" + runtimeAddr}, bootstrap...)
	if spec.Handler != "" {
		bootstrap = append(bootstrap, spec.Handler)
	}
	if len(spec.Extensions) > 0 || private {
		o := lambdaext.Options{RIE: emu, RIEArgs: rieArgs, Helper: r.cfg.Helper, Bootstrap: bootstrap[0], BootstrapArgs: bootstrap[1:],
			TaskDir: task, OptDir: opt, Extensions: spec.Extensions, Env: environ(vars),
			RuntimeAPIAddr: api, EmulatorAddr: emuAddr, StopWait: r.cfg.StopWait}
		if user != nil {
			o.Credential = &syscall.Credential{Uid: user.UID, Gid: user.GID, Groups: []uint32{}}
		}
		// A PID namespace of its own, unless the kernel refused one.
		pidNS := !r.noPIDNamespace.Load()
		if private {
			o.TmpSize = int64(cmp.Or(spec.EphemeralMB, DefaultEphemeralMB)) << 20
			o.OwnProc = pidNS
		}
		c, err := lambdaext.Command(ctx, o)
		if err != nil {
			return nil, err
		}
		// The helper must start as root (it mounts, then drops to
		// Credential): only the process group, the parent-death signal
		// and the PID namespace are added. The helper is the
		// namespace's first process itself, which does lambdainit's
		// work (contain) without another program's start.
		c.SysProcAttr.Setpgid = true
		dieWithServer(c.SysProcAttr)
		if pidNS {
			newPIDNamespace(c.SysProcAttr, false)
		}
		return c, nil
	}
	args := append(append(rieArgs, "--runtime-api-address", api, "--runtime-interface-emulator-address", emuAddr), bootstrap...)
	c := exec.CommandContext(ctx, emu, args...)
	c.Dir = task
	c.Env = environ(vars)
	c.SysProcAttr = procAttr(user)
	c.Cancel = func() error { return c.Process.Signal(syscall.SIGTERM) }
	c.WaitDelay = r.cfg.StopWait
	return r.contain(ctx, c), nil
}

// contain puts the environment c starts (the emulator itself: lambdaext's
// helper, which command starts for the others, is its own namespace's
// first process and does lambdainit's work) in a PID namespace of its own,
// unless the kernel refused one before: the command becomes lambdainit
// (the sealbox executable, Config.Helper) as the namespace's first
// process, which runs c's program; without a helper, c's program (rie)
// is that first process itself, and orphans of its runtime stay zombies
// until it exits. When the first process exits, or dies with the server
// (its parent-death signal), the kernel kills every process of the
// namespace: nothing of the environment outlives it. A server that is
// not root gets the namespace inside a user namespace of its own, where
// its user keeps its id (the one mapped).
func (r *Runner) contain(ctx context.Context, c *exec.Cmd) *exec.Cmd {
	if r.noPIDNamespace.Load() {
		return c
	}
	attr := *c.SysProcAttr
	newPIDNamespace(&attr, os.Geteuid() != 0)
	if r.helper == nil {
		c.SysProcAttr = &attr
		return c
	}
	w := lambdainit.Wrap(ctx, c, r.helper)
	w.SysProcAttr = &attr
	return w
}

// procAttr runs a process as user, in a process group of its own,
// killed if the server dies.
func procAttr(user *Credential) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	dieWithServer(a)
	if user != nil && os.Geteuid() == 0 {
		a.Credential = &syscall.Credential{Uid: user.UID, Gid: user.GID, NoSetGroups: false, Groups: []uint32{}}
	}
	return a
}

// chown gives the environment's folder to its user: readable by it and
// no other (0700 folders).
func (r *Runner) chown(dir string, user *Credential) error {
	if user == nil || os.Geteuid() != 0 {
		return nil
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(user.UID), int(user.GID))
	})
}

func environ(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// shutdown stops the environment as Lambda does, then kills what is left
// of it, and removes its folder. The emulator gets SIGTERM (its
// extensions SHUTDOWN, its runtime SIGTERM) and Config.StopWait to exit.
// It starts the runtime and the extensions in process groups of their
// own, which outlive it: the environment's processes are listed before
// the SIGTERM (the emulator and its descendants, and whatever works in
// the environment's folder), and those still there after it, the
// emulator included if it did not exit, are killed, group and all, with
// whatever works in the folder by then.
func (e *environment) shutdown(stopWait time.Duration) {
	if e.cmd != nil && e.cmd.Process != nil {
		pid := e.cmd.Process.Pid
		before := environmentProcesses(pid, e.dir)
		e.stop()
		// Wait for the emulator's exit, not for cmd.Wait: that also waits
		// for its output to close, which a process it left behind may
		// hold open.
		for deadline := time.Now().Add(stopWait); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if p, ok := readProc(pid); !ok || p.start != before[pid].start {
				break
			}
		}
		killLeftovers(e.dir, before)
		<-e.done
	}
	if e.stop != nil {
		e.stop()
	}
	if e.rapi != nil {
		e.rapi.close()
	}
	if e.dir != "" {
		os.RemoveAll(e.dir)
	}
}

// invoke sends inv to the emulator and reads its answer into res. keep is
// false when the environment must not serve again: it timed out, its
// runtime crashed, or the emulator failed.
func (e *environment) invoke(ctx context.Context, client *http.Client, spec *Spec, inv *Invocation, res *Result) (keep bool, err error) {
	mark := e.logs.mark()
	// The emulator answers a timeout itself; this bounds a hung emulator.
	cctx, cancel := context.WithTimeout(ctx, spec.Timeout+5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, e.invURL, bytes.NewReader(inv.Payload))
	if err != nil {
		return false, err
	}
	req.Header.Set("X-Amzn-RequestId", inv.RequestID)
	if e.rapi != nil {
		e.rapi.begin(inv.RequestID, inv.FunctionARN)
	}
	if inv.ClientContext != "" {
		req.Header.Set("X-Amz-Client-Context", inv.ClientContext)
	}
	resp, err := client.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
	}
	timedOut := false
	switch {
	case err != nil && cctx.Err() != nil && ctx.Err() == nil:
		timedOut = true
	case err != nil:
		return false, fmt.Errorf("aws-lambda-rie did not answer: %w", err)
	case resp.StatusCode == http.StatusOK && bytes.HasPrefix(body, []byte("Task timed out after ")):
		timedOut = true
	}
	switch {
	case timedOut:
		res.FunctionError = "Unhandled"
		res.Payload = errorPayload("Sandbox.Timedout", fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.RequestID, spec.Timeout.Seconds()))
		keep = false
	case resp.StatusCode == http.StatusOK:
		// The emulator answers the runtime's error as a result: the
		// runtime's /error call tells them apart, not the shape (a
		// function may return an object shaped like an error).
		res.Payload = body
		if e.rapi != nil && e.rapi.runtimeFailed(inv.RequestID) {
			res.FunctionError = "Unhandled"
		}
		keep = true
	case resp.StatusCode == http.StatusBadGateway:
		// The runtime exited or failed its INIT: the emulator answers
		// Lambda's error object (Runtime.ExitError, ...).
		res.FunctionError = "Unhandled"
		res.Payload = body
		if !isErrorObject(body) {
			// A runtime that failed its INIT: the emulator answers
			// nothing and says why in its log, as Lambda says it.
			typ, why := "Runtime.Unknown", "the runtime failed"
			if line := e.logs.find(mark, "(rapid) Init failed ", time.Second); line != "" {
				why = initError(line)
				if strings.HasPrefix(why, "Runtime exited") {
					typ = "Runtime.ExitError"
				}
			}
			res.Payload = errorPayload(typ, fmt.Sprintf("RequestId: %s Error: %s", inv.RequestID, why))
		}
		keep = false
	default:
		return false, fmt.Errorf("aws-lambda-rie answered %d", resp.StatusCode)
	}
	if inv.Tail {
		res.Log = e.logs.since(mark, inv.RequestID, 200*time.Millisecond)
	}
	return keep, nil
}

var timeNow = time.Now

// initError is the error= field of the emulator's "Init failed" log line.
// Its fields come in either order ("error=... InvokeID=..." or
// "InvokeID=... error=..."): the error runs to the next field or the end.
func initError(line string) string {
	_, why, ok := strings.Cut(line, " error=")
	if !ok {
		return "the runtime failed"
	}
	why, _, _ = strings.Cut(why, " InvokeID=")
	return strings.TrimSpace(why)
}

// geteuid is the server's user; tests pretend to another.
var geteuid = osGeteuid

var osGeteuid = os.Geteuid

func errorPayload(typ, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{typ, msg})
	return b
}

// isErrorObject reports whether body, the emulator's 502, is Lambda's
// error object (an object with a string errorType or errorMessage and
// nothing but the error members), which it answers when the runtime
// exited; it answers nothing when the runtime failed its INIT.
func isErrorObject(body []byte) bool {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil || len(obj) == 0 {
		return false
	}
	known := 0
	for k, v := range obj {
		switch k {
		case "errorType", "errorMessage":
			var s string
			if json.Unmarshal(v, &s) != nil {
				return false
			}
			known++
		case "stackTrace", "requestId", "cause", "trace", "errorData":
		default:
			return false
		}
	}
	return known > 0
}

// portTries is how many choices of ports a cold start makes before it
// gives up on ports other processes hold.
const portTries = 3

// portTakenError: another process holds one of addrs, the ports chosen
// for an environment.
type portTakenError struct{ addrs []string }

func (e *portTakenError) Error() string {
	return "another process holds one of the loopback ports " + strings.Join(e.addrs, ", ")
}

// pickPorts chooses an environment's loopback ports (tests make it pick
// one another user holds).
var pickPorts = freePorts

// freePorts finds n free loopback ports, none that skip refuses.
// (Another process may take one before the emulator binds it; the start
// then fails.)
func freePorts(n int, skip func(uint16) bool) ([]string, error) {
	var out []string
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l) // kept open: the next Listen gets another
		if len(lns) > 64+n {
			return nil, errors.New("no free loopback port the port guard does not hold")
		}
		if !skip(uint16(l.Addr().(*net.TCPAddr).Port)) {
			out = append(out, l.Addr().String())
		}
	}
	return out, nil
}

// waitListening waits for addr to accept connections.
func waitListening(ctx context.Context, addr string, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	// A dial is cut short by the emulator's exit: one to another user's
	// listener on a guarded port is never answered (its SYN-ACK is
	// dropped), and the emulator, which could not bind, has exited.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-exited:
			cancel()
		case <-dctx.Done():
		}
	}()
	var d net.Dialer
	for delay := 500 * time.Microsecond; ; delay = min(delay*2, 20*time.Millisecond) {
		c, err := dialWithin(dctx, &d, addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("aws-lambda-rie exited as it started")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("aws-lambda-rie did not listen on %s within %v", addr, limit)
		}
	}
}

func dialWithin(ctx context.Context, d *net.Dialer, addr string, limit time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return d.DialContext(ctx, "tcp", addr)
}

// logBuffer keeps an environment's recent log lines, numbered, for Tail.
type logBuffer struct {
	mu    sync.Mutex
	cond  *sync.Cond
	lines []string
	first int // the number of lines[0]
	part  []byte
}

const keepLines = 2000

// Write takes the emulator's output (its log, the runtime's and the
// extensions').
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.part = append(b.part, p...)
	for {
		i := bytes.IndexByte(b.part, '\n')
		if i < 0 {
			break
		}
		b.addLocked(string(b.part[:i]))
		b.part = b.part[i+1:]
	}
	b.mu.Unlock()
	return len(p), nil
}

func (b *logBuffer) addLocked(line string) {
	if b.cond == nil {
		b.cond = sync.NewCond(&b.mu)
	}
	b.lines = append(b.lines, line)
	if len(b.lines) > keepLines {
		drop := len(b.lines) - keepLines
		b.lines = append([]string(nil), b.lines[drop:]...)
		b.first += drop
	}
	b.cond.Broadcast()
}

func (b *logBuffer) mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.first + len(b.lines)
}

// since returns the lines written from mark on, waiting up to wait for the
// REPORT line of requestID (the emulator writes it just before its answer
// and the pipe may lag).
func (b *logBuffer) since(mark int, requestID string, wait time.Duration) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cond == nil {
		b.cond = sync.NewCond(&b.mu)
	}
	report := "REPORT RequestId: " + requestID
	timer := time.AfterFunc(wait, func() { b.mu.Lock(); b.cond.Broadcast(); b.mu.Unlock() })
	defer timer.Stop()
	deadline := time.Now().Add(wait)
	for {
		from := max(mark-b.first, 0)
		for _, l := range b.lines[from:] {
			if strings.HasPrefix(l, report) {
				return join(b.lines[from:])
			}
		}
		if time.Now().After(deadline) {
			return join(b.lines[from:])
		}
		b.cond.Wait()
	}
}

// find returns the first line from mark on that holds substr, waiting up
// to wait for it.
func (b *logBuffer) find(mark int, substr string, wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		b.mu.Lock()
		for _, l := range b.lines[min(max(mark-b.first, 0), len(b.lines)):] {
			if strings.Contains(l, substr) {
				b.mu.Unlock()
				return l
			}
		}
		b.mu.Unlock()
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func join(lines []string) []byte {
	var out bytes.Buffer
	for _, l := range lines {
		out.WriteString(l)
		out.WriteByte('\n')
	}
	return out.Bytes()
}
