package loadgen

import (
	"os"
	"runtime"
	"strconv"
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

func TestParseSchedstat(t *testing.T) {
	got, err := parseSchedstat([]byte("1234567890 55 7\n"))
	if err != nil || got != 1234567890*time.Nanosecond {
		t.Fatalf("parseSchedstat = %v, %v", got, err)
	}
	for _, bad := range []string{"", "12 3", "x 1 2", "-5 1 2"} {
		if _, err := parseSchedstat([]byte(bad)); err == nil {
			t.Errorf("parseSchedstat(%q) accepted a malformed line", bad)
		}
	}
}

// TestThreadsCPUAgreesWithStat: the threads' schedstat sum and stat's
// utime+stime measure the same thing, to stat's 10 ms ticks.
func TestThreadsCPUAgreesWithStat(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	dir := "/proc/" + strconv.Itoa(os.Getpid())
	spin(200 * time.Millisecond)
	fine, err := threadsCPU(dir)
	if err != nil {
		t.Skipf("no schedstat here: %v", err)
	}
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	coarse, err := parseProcStat(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := fine - coarse; diff < -50*time.Millisecond || diff > 50*time.Millisecond || fine < 150*time.Millisecond {
		t.Fatalf("schedstat %v, stat %v: not the same measure", fine, coarse)
	}
}

func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
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
