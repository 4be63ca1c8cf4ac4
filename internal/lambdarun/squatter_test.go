package lambdarun_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/lambdarun"
	"github.com/sealbox/sealbox/internal/sealtest/asuser"
)

// The test binary is its own squatter, run as another user:
// LAMBDARUN_SQUAT=ADDR listens on ADDR until its stdin closes.
func TestMain(m *testing.M) {
	if addr := os.Getenv("LAMBDARUN_SQUAT"); addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		l.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// needRoot skips without root, unless SEALBOX_LAMBDA_TESTS=1 (CI, root)
// asks for these tests to run.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("SEALBOX_LAMBDA_TESTS") == "1" {
			t.Fatal("SEALBOX_LAMBDA_TESTS=1: the squatter tests need root, to listen as another user")
		}
		t.Skip("needs root, to run a listener as another user")
	}
}

// squatterUID is a local user other than the server and its environments.
const squatterUID = 12345

// squat has uid squatterUID listen on a free loopback port until the
// test ends, and answers its address.
func squat(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := asuser.Command(asuser.Executable(t), squatterUID, "LAMBDARUN_SQUAT="+addr)
	in, _ := c.StdinPipe()
	out, _ := c.StdoutPipe()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); c.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("the squatter on %s: %q", addr, line)
	}
	return addr
}

// TestRunnerAvoidsSquattedPorts: when another local user already listens
// on a port the runner chose for an environment (its emulator's Runtime
// API, its invoke port, or the server's Runtime API for it), the runner
// notices at once and starts the environment on other ports.
func TestRunnerAvoidsSquattedPorts(t *testing.T) {
	needRoot(t)
	for i, which := range []string{"the emulator's Runtime API", "the emulator's invoke port", "the server's Runtime API"} {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			taken := squat(t)
			var picks atomic.Int32
			defer lambdarun.PickPorts(func(free func(int) ([]string, error), n int) ([]string, error) {
				ports, err := free(n)
				if err == nil && n == 3 && picks.Add(1) == 1 {
					ports[i] = taken
				}
				return ports, err
			})()
			r := newRunner(t, lambdarun.Config{})
			inits := 0
			t0 := time.Now()
			_, a := invoke(t, r, spec(t, "k", &inits), `{"action":"env"}`)
			took := time.Since(t0)
			if picks.Load() < 2 {
				t.Fatalf("%s taken: the runner chose ports %d times, want a second choice", which, picks.Load())
			}
			_, p, _ := net.SplitHostPort(taken)
			port, _ := strconv.Atoi(p)
			if slices.Contains(listening(t, a.UID), port) {
				t.Errorf("%s taken: the environment listens on the squatted port %d", which, port)
			}
			if took > 5*time.Second {
				t.Errorf("%s taken: the cold start took %v, want the taken port noticed at once", which, took)
			}
			t.Logf("%s taken: cold start in %v", which, took)
		})
	}
}

// TestRunnerGivesUpOnSquattedPorts: when every choice of ports meets a
// port another user holds, the cold start fails at once with
// ErrPortsTaken, which names no port, and the server's log says why.
func TestRunnerGivesUpOnSquattedPorts(t *testing.T) {
	needRoot(t)
	// One squatted port a try: a port is guarded until its environment
	// has stopped, and a port another user listens on is never free.
	taken := []string{squat(t), squat(t), squat(t)}
	var picks atomic.Int32
	defer lambdarun.PickPorts(func(free func(int) ([]string, error), n int) ([]string, error) {
		ports, err := free(n)
		if err == nil && n == 3 {
			ports[1] = taken[min(picks.Add(1)-1, 2)]
		}
		return ports, err
	})()
	var logs syncBuffer
	r := newRunner(t, lambdarun.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	inits := 0
	t0 := time.Now()
	_, err := r.Invoke(context.Background(), spec(t, "k", &inits), &lambdarun.Invocation{RequestID: "req", Payload: []byte(`{"action":"env"}`)})
	if !errors.Is(err, lambdarun.ErrPortsTaken) || strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("every choice squatted: Invoke = %v, want ErrPortsTaken naming no address", err)
	}
	if took := time.Since(t0); took > 5*time.Second {
		t.Errorf("the cold start failed after %v, want at once", took)
	}
	if picks.Load() != 3 {
		t.Errorf("the runner chose ports %d times, want 3", picks.Load())
	}
	if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, taken[2]) {
		t.Errorf("the server's log does not say which port was held: %q", l)
	}
}
