package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestBenchServerCPUAsTSV: --server-pid adds the server's CPU per request
// to every cell; --format tsv prints one line a cell for scripts.
func TestBenchServerCPUAsTSV(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	s := sealtest.Start(t) // in this process: its pid is ours
	vars := map[string]string{"AWS_ACCESS_KEY_ID": sealtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY": sealtest.SecretAccessKey}
	code, out, errOut := runMain(t, vars, "bench", "--endpoint", s.URL, "--ops", "ceiling,decrypt",
		"--concurrency", "2", "--duration", "300ms", "--warmup", "20ms", "--format", "tsv", "--server-pid", strconv.Itoa(os.Getpid()))
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "op\tconcurrency\tops_per_sec\tp50_us\tp99_us\tserver_cpu_us\terrors" {
		t.Fatalf("tsv output:\n%s", out)
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		cpu, err := strconv.ParseFloat(f[5], 64)
		if len(f) != 7 || f[1] != "2" || f[6] != "0" || err != nil || cpu <= 0 || cpu > 100_000 {
			t.Errorf("tsv row %q: want 7 fields, concurrency 2, no errors, a server CPU per op in (0, 100 ms]", l)
		}
	}

	// Text and markdown grow a column.
	_, out, _ = runMain(t, vars, "bench", "--endpoint", s.URL, "--ops", "ceiling", "--concurrency", "1",
		"--duration", "100ms", "--warmup", "0s", "--format", "markdown", "--server-pid", strconv.Itoa(os.Getpid()))
	if !strings.Contains(out, "| server CPU per op |") || !strings.Contains(out, "µs |") {
		t.Errorf("markdown without the server CPU column:\n%s", out)
	}
	if code, _, errOut := runMain(t, vars, "bench", "--endpoint", s.URL, "--ops", "ceiling", "--server-pid", "1073741824"); code != 2 || !strings.Contains(errOut, "server process 1073741824") {
		t.Errorf("a missing server process: exit %d, stderr %q; want 2 naming it", code, errOut)
	}
}

// TestServeFloor: the floor answers 200 "ok" on every path until its
// context ends, and bench's ceiling runs against it.
func TestServeFloor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var errb sealtest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"bench", "--serve-floor", addr}, Env{Stdout: io.Discard, Stderr: &errb, Getenv: envOf(nil)})
	}()
	url := "http://" + addr
	var resp *http.Response
	for i := 0; i < 100; i++ {
		if resp, err = http.Get(url + "/any/path"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the floor never answered: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("floor answered %d %q, want 200 ok", resp.StatusCode, body)
	}
	code, out, errOut := runMain(t, nil, "bench", "--endpoint", url, "--ops", "ceiling", "--concurrency", "1", "--duration", "100ms", "--warmup", "0s")
	if code != 0 || !strings.Contains(out, "ceiling") {
		t.Errorf("bench --ops ceiling against the floor: exit %d\n%s\n%s", code, out, errOut)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("the floor exited %d on interrupt, want 0; stderr:\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the floor did not stop when interrupted")
	}
	if !strings.Contains(errb.String(), "serving the floor") {
		t.Errorf("stderr does not say what it serves: %q", errb.String())
	}
}
