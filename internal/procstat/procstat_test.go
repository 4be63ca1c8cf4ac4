package procstat

import (
	"os"
	"testing"
)

func TestParse(t *testing.T) {
	// comm with spaces and a ')' of its own; fields 4, 5 and 22.
	line := "4242 (a (b) c) S 7 4242 4242 0 -1 4194560 0 0 0 0 1 2 0 0 20 0 1 0 987654 0 0\n"
	p, ok := parse(4242, line)
	if !ok || p != (Proc{PID: 4242, PPID: 7, PGID: 4242, Start: 987654}) {
		t.Errorf("parse = %+v, %v", p, ok)
	}
	for _, bad := range []string{
		"4242 (zombie) Z 7 4242 4242 0 -1 4194560 0 0 0 0 1 2 0 0 20 0 1 0 987654 0 0", // dead
		"4242 (short) S 7 4242", // too few fields
		"4242 no parenthesis S 7 4242 4242 0 -1 4194560 0 0 0 0 1 2 0 0 20 0 1 0 987654 0 0",
		"4242 (x) S 7 4242 4242 0 -1 4194560 0 0 0 0 1 2 0 0 20 0 1 0 notanumber 0 0",
	} {
		if p, ok := parse(4242, bad); ok {
			t.Errorf("parse(%q) = %+v, want not ok", bad, p)
		}
	}
}

func TestReadSelf(t *testing.T) {
	p, ok := Read(os.Getpid())
	if !ok || p.PID != os.Getpid() || p.PPID != os.Getppid() || p.Start == 0 {
		t.Errorf("Read(self) = %+v, %v", p, ok)
	}
	if _, ok := Read(1 << 30); ok {
		t.Error("Read of no process is ok")
	}
}
