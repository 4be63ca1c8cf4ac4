package portguard_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"

	"github.com/sealbox/sealbox/internal/portguard"
	"github.com/sealbox/sealbox/internal/sealtest/asuser"
)

// The test binary is its own helper, run as another user: "listen ADDR"
// listens until its stdin closes; "dial ADDR" exits 0 when it connects,
// 2 when refused, 3 when it times out; "guard PORT" makes a Guard of its
// own, guards PORT for uid 0 and waits to be killed.
func TestMain(m *testing.M) {
	if args := os.Getenv("PORTGUARD_HELPER"); args != "" {
		os.Exit(helper(args))
	}
	os.Exit(m.Run())
}

func helper(args string) int {
	var cmd, arg string
	fmt.Sscan(args, &cmd, &arg)
	switch cmd {
	case "listen":
		l, err := net.Listen("tcp", arg)
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "dial":
		c, err := net.DialTimeout("tcp", arg, time.Second)
		switch {
		case err == nil:
			c.Close()
			return 0
		case errors.Is(err, syscall.ECONNREFUSED):
			return 2
		default:
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
	case "guard":
		g, err := portguard.New()
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		p, _ := strconv.Atoi(arg)
		if err := g.Guard(0, uint16(p)); err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println(g.Table())
		select {}
	}
	return 1
}

// needRoot skips without root, unless SEALBOX_LAMBDA_TESTS=1 (CI, root)
// asks for the guard's tests to run.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("SEALBOX_LAMBDA_TESTS") == "1" {
			t.Fatal("SEALBOX_LAMBDA_TESTS=1: the port guard's tests need root (CAP_NET_ADMIN)")
		}
		t.Skip("the port guard needs root")
	}
}

// helperBinary is a copy of the test binary other users may execute.
func helperBinary(t *testing.T) string { return asuser.Executable(t) }

func run(bin string, uid uint32, args string) *exec.Cmd {
	return asuser.Command(bin, uid, "PORTGUARD_HELPER="+args)
}

// listenAs starts a listener on addr run as uid, stopped at the test's end.
func listenAs(t *testing.T, bin string, uid uint32, addr string) {
	t.Helper()
	c := run(bin, uid, "listen "+addr)
	in, _ := c.StdinPipe()
	out, _ := c.StdoutPipe()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); c.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("listener as uid %d on %s: %q", uid, addr, line)
	}
}

// dialAs is what a connection to addr by uid comes to: "connected",
// "refused" or "timed out".
func dialAs(t *testing.T, bin string, uid uint32, addr string) string {
	t.Helper()
	err := run(bin, uid, "dial "+addr).Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "connected"
	case errors.As(err, &ee) && ee.ExitCode() == 2:
		return "refused"
	case errors.As(err, &ee) && ee.ExitCode() == 3:
		return "timed out"
	}
	t.Fatalf("dial %s as uid %d: %v", addr, uid, err)
	return ""
}

func freePort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

func newGuard(t *testing.T) *portguard.Guard {
	t.Helper()
	g, err := portguard.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

func tables(t *testing.T) []string {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range ts {
		out = append(out, tb.Name)
	}
	return out
}

const (
	owner    = 23456 // the port's owner (an environment's user)
	stranger = 12345 // any other local user
)

// TestGuardRefusesOthers: a guarded port's owner and root connect; any
// other user is refused at once (a reset), through IPv4 or an IPv4-mapped
// IPv6 address; released, the port refuses no one.
func TestGuardRefusesOthers(t *testing.T) {
	needRoot(t)
	bin := helperBinary(t)
	g := newGuard(t)
	p := freePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p)))
	if err := g.Guard(owner, p); err != nil {
		t.Fatal(err)
	}
	if err := g.Guard(stranger, p); !errors.Is(err, portguard.ErrHeld) {
		t.Errorf("a guarded port guarded again for another user: %v, want ErrHeld", err)
	}
	listenAs(t, bin, owner, addr)
	for _, c := range []struct {
		uid  uint32
		addr string
		want string
	}{
		{0, addr, "connected"},
		{owner, addr, "connected"},
		{stranger, addr, "refused"},
		{stranger, "[::ffff:127.0.0.1]:" + strconv.Itoa(int(p)), "refused"},
		{owner + 1, addr, "refused"},
	} {
		t0 := time.Now()
		if got := dialAs(t, bin, c.uid, c.addr); got != c.want {
			t.Errorf("uid %d dialing %s: %s, want %s", c.uid, c.addr, got, c.want)
		}
		if d := time.Since(t0); c.want == "refused" && d > 500*time.Millisecond {
			t.Errorf("uid %d was refused after %v, want a reset at once", c.uid, d)
		}
	}
	if err := g.Release(p); err != nil {
		t.Fatal(err)
	}
	if g.Held(p) {
		t.Error("a released port is still held")
	}
	if got := dialAs(t, bin, stranger, addr); got != "connected" {
		t.Errorf("uid %d dialing a released port: %s, want connected", stranger, got)
	}
}

// TestGuardDropsSquatter: another user that binds a guarded port before
// its owner can answers no one, root included: the server never hands an
// invocation to it.
func TestGuardDropsSquatter(t *testing.T) {
	needRoot(t)
	bin := helperBinary(t)
	g := newGuard(t)
	p := freePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(p)))
	if err := g.Guard(owner, p); err != nil {
		t.Fatal(err)
	}
	listenAs(t, bin, stranger, addr)
	for _, uid := range []uint32{0, owner, stranger} {
		if got := dialAs(t, bin, uid, addr); got == "connected" {
			t.Errorf("uid %d reached uid %d's listener on a port guarded for uid %d", uid, stranger, owner)
		}
	}
	// Unguarded, the same listener answers: it was the guard.
	g.Release(p)
	if got := dialAs(t, bin, 0, addr); got != "connected" {
		t.Errorf("root dialing the released port: %s", got)
	}
}

// TestSweepRemovesKilledOnly: a killed process's table is removed by the
// next Sweep, a live one's (another process's, and this one's) kept, and
// so is one of another PID namespace; Close removes the table.
func TestSweepRemovesKilledOnly(t *testing.T) {
	needRoot(t)
	bin := helperBinary(t)
	start := func() (*exec.Cmd, string) {
		c := run(bin, 0, "guard "+strconv.Itoa(int(freePort(t))))
		c.SysProcAttr = nil
		out, _ := c.StdoutPipe()
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Process.Kill(); c.Wait() })
		line, _ := bufio.NewReader(out).ReadString('\n')
		if len(line) < len(portguard.TablePrefix) || line[:len(portguard.TablePrefix)] != portguard.TablePrefix {
			t.Fatalf("guard helper: %q", line)
		}
		return c, line[:len(line)-1]
	}
	killed, dead := start()
	_, live := start()
	own := newGuard(t)
	// A table of a server in another PID namespace (a container sharing
	// the host's network), whose PID means nothing here.
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/pid", &st); err != nil {
		t.Fatal(err)
	}
	foreign := portguard.TablePrefix + "999999_1_" + strconv.FormatUint(st.Ino+1, 10)
	conn, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	ft := conn.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: foreign})
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.DelTable(ft); conn.Flush() })
	// Checked while its process lives: once it is killed, any other
	// process's Sweep (another package's tests, a server starting) may
	// remove it first, which is what Sweep is for.
	if !slices.Contains(tables(t), dead) {
		t.Fatalf("the process's table %s is not there: %v", dead, tables(t))
	}
	killed.Process.Kill()
	killed.Wait()
	if _, err := portguard.Sweep(); err != nil {
		t.Fatal(err)
	}
	got := tables(t)
	if slices.Contains(got, dead) {
		t.Errorf("Sweep left the killed process's table %s", dead)
	}
	for _, name := range []string{live, own.Table(), foreign} {
		if !slices.Contains(got, name) {
			t.Errorf("Sweep removed the live table %s", name)
		}
	}
	if err := own.Close(); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(tables(t), own.Table()) {
		t.Errorf("Close left the table %s", own.Table())
	}
}

// BenchmarkGuard and BenchmarkRelease are what the guard adds to an
// environment's life: its two ports guarded at the cold start (in its
// path), released after its stop (in the background).
func BenchmarkGuard(b *testing.B)   { benchmarkGuard(b, false) }
func BenchmarkRelease(b *testing.B) { benchmarkGuard(b, true) }

func benchmarkGuard(b *testing.B, release bool) {
	if os.Geteuid() != 0 {
		b.Skip("the port guard needs root")
	}
	g, err := portguard.New()
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	for i := 0; i < b.N; i++ {
		p := uint16(40000 + 2*(i%10000))
		if release {
			b.StopTimer()
		}
		if err := g.Guard(owner, p, p+1); err != nil {
			b.Fatal(err)
		}
		if release {
			b.StartTimer()
		} else {
			b.StopTimer()
		}
		if err := g.Release(p, p+1); err != nil {
			b.Fatal(err)
		}
		if !release {
			b.StartTimer()
		}
	}
}
