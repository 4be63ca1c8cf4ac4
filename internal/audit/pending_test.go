package audit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// TestPendingWritesTheCallTogether: events logged in a call's pending
// context are not written until the call's own event is, then all in
// order, and both trails hold them exactly as if logged one by one.
func TestPendingWritesTheCallTogether(t *testing.T) {
	dir, st := t.TempDir(), memstore.New()
	ss := audit.NewStoreSink(st, audit.StoreOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	file, err := audit.OpenFileSink(dir, audit.FileOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLogger(nil, file, ss)
	logN(t, l, 1, 3) // before the call

	cctx, p := audit.WithPending(ctx)
	var wg sync.WaitGroup
	for i := 4; i <= 13; i++ { // a batch's reads, recorded concurrently
		wg.Go(func() {
			if err := l.Log(cctx, numbered(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	path := filepath.Join(dir, "2026-11-23.jsonl")
	if got := len(readLines(t, path)); got != 3 {
		t.Fatalf("%d lines in the file before the call's own event, want the 3 before the call", got)
	}
	if err := l.LogPending(cctx, p, numbered(14)); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, path)
	if len(lines) != 14 || !strings.Contains(lines[13], numbered(14).EventID) {
		t.Fatalf("after LogPending: %d lines, the last %q; want 14, the call's own last", len(lines), lines[len(lines)-1])
	}
	// The call is over: what its context logs now is written at once.
	if err := l.Log(cctx, numbered(15)); err != nil {
		t.Fatal(err)
	}
	if got := len(readLines(t, path)); got != 15 {
		t.Fatalf("%d lines after a Log past LogPending, want 15", got)
	}
	if err := file.Seal(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if rep := verifyFiles(t, dir); !rep.OK() || rep.Events != 15 {
		t.Fatalf("VerifyFiles: %d events, problems:\n%s; want 15, none", rep.Events, problems(rep))
	}
	rep, err := audit.CompareFilesStore(ctx, dir, st, audit.VerifyOptions{})
	if err != nil || !rep.OK() || rep.Events != 15 {
		t.Fatalf("CompareFilesStore = %v, %d events, problems:\n%s; want 15, none", err, rep.Events, problems(rep))
	}
}

// TestPendingAcrossMidnight: a group whose events fall on two days goes to
// both days' files, each trail whole.
func TestPendingAcrossMidnight(t *testing.T) {
	dir := t.TempDir()
	file, err := audit.OpenFileSink(dir, audit.FileOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLogger(nil, file)
	cctx, p := audit.WithPending(ctx)
	before, after := numbered(1), numbered(2)
	before.EventTime = time.Date(2026, 11, 23, 23, 59, 59, 0, time.UTC)
	after.EventTime = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	if err := l.Log(cctx, before); err != nil {
		t.Fatal(err)
	}
	if err := l.LogPending(cctx, p, after); err != nil {
		t.Fatal(err)
	}
	l.Close()
	for name, id := range map[string]string{"2026-11-23.jsonl": before.EventID, "2026-11-24.jsonl": after.EventID} {
		if lines := readLines(t, filepath.Join(dir, name)); len(lines) != 1 || !strings.Contains(lines[0], id) {
			t.Errorf("%s = %q, want the one event of its day", name, lines)
		}
	}
}

// TestPendingFailsClosed: a group no sink takes fails the call, though the
// events gathered before it were each "logged" without error.
func TestPendingFailsClosed(t *testing.T) {
	l := audit.NewLogger(nil, failing{})
	cctx, p := audit.WithPending(context.Background())
	if err := l.Log(cctx, event()); err != nil {
		t.Fatalf("Log in a pending context = %v, want nil (gathered)", err)
	}
	if err := l.LogPending(cctx, p, event()); !errors.Is(err, audit.ErrNoSink) {
		t.Fatalf("LogPending with no working sink = %v, want ErrNoSink", err)
	}
}

// TestPendingFallsToTheNextSink: when the first sink fails, the whole
// group goes to the next.
func TestPendingFallsToTheNextSink(t *testing.T) {
	dir := t.TempDir()
	file, err := audit.NewFileSink(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLogger(nil, failing{}, file)
	cctx, p := audit.WithPending(context.Background())
	for i := 1; i <= 3; i++ {
		l.Log(cctx, numbered(i))
	}
	if err := l.LogPending(cctx, p, numbered(4)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	data, _ := os.ReadFile(filepath.Join(dir, "2026-11-23.jsonl"))
	if n := strings.Count(string(data), "\n"); n != 4 {
		t.Fatalf("the second sink has %d lines, want the group's 4", n)
	}
}
