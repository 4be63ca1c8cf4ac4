package loadgen

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	// A command name with spaces and a ')' of its own; utime 701, stime 325.
	line := "31255 (sealbox (x) y) S 1 31255 31255 0 -1 4194560 9114 0 0 0 701 325 0 0 20 0 7 0 123 456\n"
	got, err := parseProcStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := 10260 * time.Millisecond; got != want {
		t.Fatalf("CPU = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "1 (x S 1", "1 (x) S 1 2 3", "1 (x) S 1 1 1 0 -1 4 9 0 0 0 -5 3 0"} {
		if _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q) accepted a malformed line", bad)
		}
	}
}

func TestProcessCPUGrowsWithWork(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	before, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged us at least two ticks.
	deadline := time.Now().Add(5 * time.Second)
	for x := 0; time.Now().Before(deadline); x++ {
		if x%1_000_000 == 0 {
			if now, _ := ProcessCPU(os.Getpid()); now-before >= 20*time.Millisecond {
				return
			}
		}
	}
	t.Fatal("ProcessCPU did not grow after 5 s of spinning")
}
