package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sealbox/sealbox/internal/lambdarun/testfn/fnio"
)

// loopbackListeners are the TCP ports uid listens on, as any local user
// finds them in /proc/net/tcp (or tcp6): the way the security review
// found a warm environment's emulator ports.
func loopbackListeners(t *testing.T, file string, uid int) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ports []int
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 8 || f[3] != "0A" || f[7] != strconv.Itoa(uid) { // 0A: LISTEN
			continue
		}
		_, hexPort, _ := strings.Cut(f[1], ":")
		p, _ := strconv.ParseUint(hexPort, 16, 16)
		ports = append(ports, int(p))
	}
	return ports
}

// connectAs is what a connection to 127.0.0.1:port by uid, from a process
// of its own (bash's /dev/tcp), comes to: "connected", "refused" or the
// error bash gave.
func connectAs(t *testing.T, uid uint32, port int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, "/bin/bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/"$0"`, strconv.Itoa(port))
	c.Dir = "/"
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}}
	var stderr bytes.Buffer
	c.Stderr = &stderr
	err := c.Run()
	switch {
	case err == nil:
		return "connected"
	case strings.Contains(stderr.String(), "Connection refused"):
		return "refused"
	}
	return strings.TrimSpace(stderr.String()) + " " + err.Error()
}

// TestEmulatorPortsRefuseOthers: a warm environment's two emulator ports
// (its invoke port and its Runtime API), and the server's Runtime API in
// front of the emulator's that its runtime is given, refuse every other
// local user (as
// the security review connected, with no credentials) and another
// function's; the server still invokes it, and the function still reaches
// the sealbox endpoint and other addresses on the host.
func TestEmulatorPortsRefuseOthers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a server not run as root runs every function as its own user, and guards no port")
	}
	s := startRunner(t)
	c := s.Lambda()
	exec := newRole(t, s, "fn-exec", "")
	deploy(t, c, "victim", exec.ARN, "", nil)
	deploy(t, c, "attacker", exec.ARN, "", nil)

	// A listener of the test's, an address on the host functions reach.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	outside := l.Addr().String()
	u, _ := url.Parse(s.URL)
	endpoint := u.Host

	_, v := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("victim"), Payload: payload("env")})
	ports := loopbackListeners(t, "/proc/net/tcp", v.UID)
	if len(ports) != 2 {
		t.Fatalf("the victim's user (%d) listens on %v, want its emulator's two ports", v.UID, ports)
	}
	if p6 := loopbackListeners(t, "/proc/net/tcp6", v.UID); len(p6) != 0 {
		t.Errorf("the victim's user listens on IPv6 ports %v, which the guard does not cover", p6)
	}

	// The Runtime API the runtime is given is the server's (a port of
	// root's), not one of the emulator's.
	_, rapiPort, _ := net.SplitHostPort(v.RuntimeAPI)
	rp, _ := strconv.Atoi(rapiPort)
	if rp == 0 || slices.Contains(ports, rp) || !slices.Contains(loopbackListeners(t, "/proc/net/tcp", 0), rp) {
		t.Fatalf("the runtime was given the Runtime API %q: want a port the server listens on (the emulator's are %v)", v.RuntimeAPI, ports)
	}
	ports = append(ports, rp)

	const stranger = 12345
	if got := connectAs(t, stranger, l.Addr().(*net.TCPAddr).Port); got != "connected" {
		t.Fatalf("uid %d could not connect to the test's listener (%s): the check below would prove nothing", stranger, got)
	}
	for _, p := range ports {
		if got := connectAs(t, stranger, p); got != "refused" {
			t.Errorf("uid %d connecting to the victim's emulator port %d: %s, want refused", stranger, p, got)
		}
	}

	// Another function (another environment's user) is refused too, and
	// reaches the rest.
	dial := func(name string, addrs ...string) fnio.Answer {
		ev, _ := json.Marshal(fnio.Event{Action: "dial", Dial: addrs})
		_, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: ev})
		return a
	}
	var victimAddrs []string
	for _, p := range ports {
		victimAddrs = append(victimAddrs, "127.0.0.1:"+strconv.Itoa(p))
	}
	a := dial("attacker", append([]string{outside, endpoint}, victimAddrs...)...)
	if a.UID == v.UID {
		t.Fatalf("both functions ran as uid %d", a.UID)
	}
	for _, addr := range victimAddrs {
		if got := a.Dialed[addr]; !strings.Contains(got, "connection refused") {
			t.Errorf("another function connecting to the victim's %s: %q, want connection refused", addr, got)
		}
	}
	for _, addr := range []string{outside, endpoint} {
		if got := a.Dialed[addr]; got != "connected" {
			t.Errorf("a function connecting to %s: %q, want connected", addr, got)
		}
	}

	// The victim itself, warm: the server's invocation still reaches it,
	// and it reaches the endpoint and the host.
	w := dial("victim", outside, endpoint)
	if w.Count != 2 || w.PID != v.PID {
		t.Errorf("the victim's second invocation: count %d in process %d, want 2 in %d (warm)", w.Count, w.PID, v.PID)
	}
	for _, addr := range []string{outside, endpoint} {
		if got := w.Dialed[addr]; got != "connected" {
			t.Errorf("the victim connecting to %s: %q, want connected", addr, got)
		}
	}
}
