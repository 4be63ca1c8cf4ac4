package audit_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// flaky is a sink that fails while fail is set.
type flaky struct{ fail atomic.Bool }

func (f *flaky) Name() string { return "syslog:10.0.0.1:514" }
func (f *flaky) Write(context.Context, *audit.Event, []byte) error {
	if f.fail.Load() {
		return errors.New("connection refused")
	}
	return nil
}
func (f *flaky) Close() error { return nil }

// TestSinkStates: the Logger says which sink is up and why one is not,
// named by kind, and forgets the error once the sink writes again.
func TestSinkStates(t *testing.T) {
	bad := &flaky{}
	bad.fail.Store(true)
	l := audit.NewLogger(nil, bad, &capture{})
	defer l.Close()
	if st := l.SinkStates(); len(st) != 2 || !st[0].Up || !st[1].Up {
		t.Fatalf("before any write: %+v", st)
	}
	if err := l.Log(ctx, numbered(1)); err != nil {
		t.Fatal(err)
	}
	st := l.SinkStates()
	if st[0].Kind != "syslog" || st[0].Up || st[0].Err == nil || st[0].Err.Error() != "connection refused" || !st[1].Up || st[1].Kind != "capture" {
		t.Fatalf("with the first sink failing: %+v", st)
	}
	bad.fail.Store(false)
	if err := l.Log(ctx, numbered(2)); err != nil {
		t.Fatal(err)
	}
	if st := l.SinkStates(); !st[0].Up || st[0].Err != nil {
		t.Fatalf("once it wrote again: %+v", st[0])
	}
}

// TestSinkTimes: the file and store sinks tell the newest event they
// wrote and their newest digest (the file sink's also after a restart,
// from its digests), and the file sink its latest finding, which Findings
// does not take away.
func TestSinkTimes(t *testing.T) {
	dir, st := t.TempDir(), memstore.New()
	l, fs, ss := serverSinks(t, dir, st)
	if !fs.LastWrite().IsZero() || !ss.LastWrite().IsZero() || !fs.DigestState().Last.IsZero() {
		t.Fatal("times before any write")
	}
	if d, err := ss.DigestState(ctx); err != nil || !d.Last.IsZero() || d.Err != nil {
		t.Fatalf("store digests before any: %+v, %v", d, err)
	}
	if _, _, ok := fs.LatestFinding(); ok {
		t.Fatal("a finding in a new folder")
	}
	logN(t, l, 1, 5)
	l.Flush()
	want := numbered(5).EventTime
	if !fs.LastWrite().Equal(want) || !ss.LastWrite().Equal(want) {
		t.Fatalf("LastWrite = %v (file), %v (store), want %v", fs.LastWrite(), ss.LastWrite(), want)
	}
	if err := fs.Seal(); err != nil {
		t.Fatal(err)
	}
	if err := ss.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	if d := fs.DigestState(); !d.Last.Equal(day) || d.Err != nil {
		t.Fatalf("file digests: %+v, want one at %v", d, day)
	}
	if d, err := ss.DigestState(ctx); err != nil || !d.Last.Equal(day) || d.Err != nil {
		t.Fatalf("store digests: %+v, %v, want one at %v", d, err, day)
	}

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	logN(t, l, 6, 6)
	f, at, ok := fs.LatestFinding()
	if !ok || f.File != "2026-11-23.jsonl" || !at.Equal(day) {
		t.Fatalf("LatestFinding after the folder was deleted = %+v at %v, %v", f, at, ok)
	}
	if len(fs.Findings()) == 0 {
		t.Fatal("Findings lost the finding")
	}
	if _, _, ok := fs.LatestFinding(); !ok {
		t.Fatal("Findings took the latest finding away")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	_, fs, _ = serverSinks(t, dir, st)
	defer fs.Close()
	if d := fs.DigestState(); !d.Last.Equal(day) {
		t.Fatalf("file digests after a restart: %+v, want the last at %v", d, day)
	}
}
