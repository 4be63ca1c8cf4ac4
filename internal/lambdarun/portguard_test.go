package lambdarun_test

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"

	"github.com/sealbox/sealbox/internal/lambdarun"
	"github.com/sealbox/sealbox/internal/portguard"
)

// guardedPorts are the ports the kernel's table name guards (its "ports"
// set).
func guardedPorts(t *testing.T, table string) []int {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	set, err := c.GetSetByName(&nftables.Table{Name: table, Family: nftables.TableFamilyINet}, "ports")
	if err != nil {
		t.Fatal(err)
	}
	els, err := c.GetSetElements(set)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range els {
		out = append(out, int(binary.BigEndian.Uint16(e.Key)))
	}
	slices.Sort(out)
	return out
}

// listening are the TCP ports uid listens on (/proc/net/tcp).
func listening(t *testing.T, uid int) []int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 7 && f[3] == "0A" && f[7] == strconv.Itoa(uid) {
			_, hex, _ := strings.Cut(f[1], ":")
			p, _ := strconv.ParseUint(hex, 16, 16)
			out = append(out, int(p))
		}
	}
	slices.Sort(out)
	return out
}

// TestRunnerGuardsPorts: as root, an environment's two emulator ports, and
// the server's Runtime API its runtime is given, are guarded in the
// kernel while it runs, released once it has stopped, and
// the runner's table is gone after Close.
func TestRunnerGuardsPorts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the port guard needs a server run as root")
	}
	r := newRunner(t, lambdarun.Config{Idle: 300 * time.Millisecond})
	table := lambdarun.GuardTable(r)
	if table == "" {
		t.Fatal("a runner run as root has no port guard")
	}
	inits := 0
	_, a := invoke(t, r, spec(t, "k", &inits), `{"action":"env"}`)
	ports := listening(t, a.UID)
	if len(ports) != 2 {
		t.Fatalf("the environment's user %d listens on %v, want two ports", a.UID, ports)
	}
	_, rapi, _ := net.SplitHostPort(a.RuntimeAPI)
	rp, _ := strconv.Atoi(rapi)
	if rp == 0 || slices.Contains(ports, rp) {
		t.Fatalf("the runtime was given the Runtime API %q, want the server's (the emulator's ports are %v)", a.RuntimeAPI, ports)
	}
	want := append(slices.Clone(ports), rp)
	slices.Sort(want)
	if got := guardedPorts(t, table); !slices.Equal(got, want) {
		t.Errorf("guarded ports %v, want the environment's %v", got, want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Environments() > 0 || len(guardedPorts(t, table)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("10 s after its idle time, %d environments, guarded ports %v; want none", r.Environments(), guardedPorts(t, table))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	names, err := portguard.Tables()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(names, table) {
		t.Errorf("after Close, the runner's table %s is left", table)
	}
}

// TestRunnerPortGuardModes: "require" refuses a runner that cannot guard
// (a server not run as root); "auto" goes without, warning once, at the
// first cold start; "off" makes no table.
func TestRunnerPortGuardModes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to see that off makes no table where one could be made")
	}
	off := newRunner(t, lambdarun.Config{PortGuard: lambdarun.PortGuardOff})
	if tb := lambdarun.GuardTable(off); tb != "" {
		t.Errorf("--lambda-port-guard=off made table %s", tb)
	}
	off.Close()

	restore := lambdarun.PretendEUID(1000)
	defer restore()
	if _, err := lambdarun.New(lambdarun.Config{PortGuard: lambdarun.PortGuardRequire}); err == nil || !strings.Contains(err.Error(), "root") {
		t.Errorf("require, not root: New = %v, want an error saying why", err)
	}
	var logs bytes.Buffer
	r := newRunner(t, lambdarun.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if lambdarun.GuardTable(r) != "" || strings.Contains(logs.String(), "--lambda-port-guard") {
		t.Fatalf("auto, not root: a table, or a warning before any environment: %q", logs.String())
	}
	inits := 0
	for _, key := range []string{"k1", "k2"} {
		invoke(t, r, spec(t, key, &inits), `{"action":"env"}`)
	}
	if n := strings.Count(logs.String(), "--lambda-port-guard"); n != 1 {
		t.Errorf("auto, not root, two cold starts: %d warnings, want 1: %q", n, logs.String())
	}
}

// TestRunnerGuardOutlivesCloseWhileBusy: an environment busy at Close
// keeps its ports guarded until its invocation ends and it stops; then
// the table goes.
func TestRunnerGuardOutlivesCloseWhileBusy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the port guard needs a server run as root")
	}
	r := newRunner(t, lambdarun.Config{})
	table := lambdarun.GuardTable(r)
	inits := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		invoke(t, r, spec(t, "k", &inits), `{"action":"sleep","seconds":1.5}`)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for len(guardedPorts(t, table)) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the environment's ports were never guarded")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // its invocation under way
	r.Close()
	select {
	case <-done:
		t.Fatal("the invocation ended before Close returned: the check below would prove nothing")
	default:
	}
	if got := guardedPorts(t, table); len(got) != 3 {
		t.Errorf("after Close, a busy environment's guarded ports: %v, want its three", got)
	}
	<-done
	for {
		names, err := portguard.Tables()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(names, table) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the table %s is left after the last environment stopped", table)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
