package audit_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

func verifyFilesAt(t *testing.T, dir string, now time.Time) *audit.Report {
	t.Helper()
	rep, err := audit.VerifyFiles(dir, keysOf(testSigner()), audit.VerifyOptions{Now: now})
	if err != nil {
		t.Fatalf("VerifyFiles: %v", err)
	}
	return rep
}

func wantProblem(t *testing.T, what string, rep *audit.Report, want ...string) {
	t.Helper()
	got := problems(rep)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Fatalf("%s =\n%swant a problem with %q", what, got, w)
		}
	}
}

// TestDigestsFolderRemovedIsCaught is the first attack of issue 14: an
// edited line, and the digests folder deleted so that nothing contradicts
// it. Verify must prove completeness, not only consistency: the missing
// folder is named at once, and the lines no digest covers once they are
// older than the digest interval plus its grace.
func TestDigestsFolderRemovedIsCaught(t *testing.T) {
	dir := t.TempDir()
	chainedFiles(t, dir, 30, 10)
	path := filepath.Join(dir, "2026-11-23.jsonl")
	lines := readLines(t, path)
	lines[4] = strings.Replace(lines[4], `"sourceIPAddress":"127.0.0.1"`, `"sourceIPAddress":"10.9.8.7"`, 1)
	writeLines(t, path, lines)
	if err := os.RemoveAll(filepath.Join(dir, audit.DigestsDir)); err != nil {
		t.Fatal(err)
	}
	rep := verifyFilesAt(t, dir, verifyNow)
	if rep.OK() {
		t.Fatalf("VerifyFiles without the digests folder = OK (%d events, %d unsigned); want it caught", rep.Events, rep.Unsigned)
	}
	wantProblem(t, "VerifyFiles without the digests folder", rep, "digests: digest: the digests folder", "is missing")
	rep = verifyFilesAt(t, dir, day.Add(time.Hour))
	wantProblem(t, "VerifyFiles an hour later without the digests folder", rep,
		"2026-11-23.jsonl line 1: unsigned: lines 1 to 30 (30 events, the oldest at 2026-11-23T10:00:01Z)")
}

// TestOldUnsignedLinesAreCaught: lines after the last digest are the
// unsigned tail while they are young, and a problem once they are older
// than the interval plus grace (their digest removed, with the lines it
// covered left or forged).
func TestOldUnsignedLinesAreCaught(t *testing.T) {
	dir := t.TempDir()
	chainedFiles(t, dir, 5, 5)
	f, _ := os.OpenFile(filepath.Join(dir, "2026-11-23.jsonl"), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(numberedLine(t, 6) + "\n" + numberedLine(t, 7) + "\n")
	f.Close()
	if rep := verifyFilesAt(t, dir, verifyNow); !rep.OK() || rep.Unsigned != 2 {
		t.Fatalf("VerifyFiles of a young unsigned tail = %d unsigned, problems:\n%s; want 2, none", rep.Unsigned, problems(rep))
	}
	rep := verifyFilesAt(t, dir, day.Add(time.Hour))
	wantProblem(t, "VerifyFiles of an hour-old unsigned tail", rep, "2026-11-23.jsonl line 6: unsigned: lines 6 to 7 (2 events")

	// The last digest removed: its lines are as old.
	dir = t.TempDir()
	chainedFiles(t, dir, 20, 10)
	p := filepath.Join(dir, "digests", "2026-11-23.jsonl")
	writeLines(t, p, readLines(t, p)[:1])
	wantProblem(t, "VerifyFiles without the last digest", verifyFilesAt(t, dir, day.Add(time.Hour)), "line 11: unsigned: lines 11 to 20")
}

// TestStoreOldUnsignedIsCaught: the store's events after its last digest,
// older than the interval plus grace, are a problem.
func TestStoreOldUnsignedIsCaught(t *testing.T) {
	st := memstore.New()
	sink := audit.NewStoreSink(st, audit.StoreOptions{Clock: clock.NewFake(day)}) // no signer: never sealed
	l := audit.NewLogger(nil, sink)
	for i := 1; i <= 3; i++ {
		l.Log(ctx, numbered(i))
	}
	l.Close()
	rep, err := audit.VerifyStore(ctx, st, keysOf(testSigner()), audit.VerifyOptions{Now: day.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, "VerifyStore of unsigned hour-old events", rep, "store seq 1: unsigned: seq 1 to seq 3 (3 events")
}

// bothSinks writes n events through a file sink and a store sink, as the
// server does, and returns the store.
func bothSinks(t *testing.T, dir string, n int) store.Store {
	t.Helper()
	st := memstore.New()
	file, err := audit.OpenFileSink(dir, audit.FileOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLogger(nil, file, audit.NewStoreSink(st, audit.StoreOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)}))
	for i := 1; i <= n; i++ {
		if err := l.Log(ctx, numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestFilesAgainstStore: `verify --store` compares the files with the
// store event by event and reports every difference: a line forged into
// the files, one removed from them, two swapped, one edited.
func TestFilesAgainstStore(t *testing.T) {
	forged := strings.Replace(numberedLine(t, 99), "Decrypt", "DeleteParameter", 1)
	cases := []struct {
		name   string
		tamper func([]string) []string
		want   []string
	}{
		{"a line appended", func(l []string) []string { return append(l, forged) },
			[]string{"2026-11-23.jsonl line 11: differs: not in the store: DeleteParameter at 2026-11-23T10:01:39Z"}},
		{"a line removed", func(l []string) []string { return append(l[:2:2], l[3:]...) },
			[]string{"store seq 3: differs: not in the files: Decrypt at 2026-11-23T10:00:03Z"}},
		{"two lines swapped", func(l []string) []string { l[4], l[5] = l[5], l[4]; return l },
			[]string{"2026-11-23.jsonl line", "reordered: out of the store's order"}},
		{"a line edited", func(l []string) []string {
			l[7] = strings.Replace(l[7], `"sourceIPAddress":"127.0.0.1"`, `"sourceIPAddress":"10.9.8.7"`, 1)
			return l
		}, []string{"2026-11-23.jsonl line 8: differs: not in the store", "store seq 8: differs: not in the files"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			st := bothSinks(t, dir, 10)
			rep, err := audit.CompareFilesStore(ctx, dir, st, audit.VerifyOptions{})
			if err != nil || !rep.OK() || rep.Events != 10 {
				t.Fatalf("CompareFilesStore of untouched sinks = %v, %d events, problems:\n%s; want 10, none", err, rep.Events, problems(rep))
			}
			path := filepath.Join(dir, "2026-11-23.jsonl")
			writeLines(t, path, tc.tamper(readLines(t, path)))
			rep, err = audit.CompareFilesStore(ctx, dir, st, audit.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantProblem(t, "CompareFilesStore after "+tc.name, rep, tc.want...)
		})
	}
}

// serverSinks opens the file and store sinks over dir and st as the server
// does: the store keeps the files' heads and witnesses their lines.
func serverSinks(t *testing.T, dir string, st store.Store) (*audit.Logger, *audit.FileSink, *audit.StoreSink) {
	t.Helper()
	ss := audit.NewStoreSink(st, audit.StoreOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	fs, err := audit.OpenFileSink(dir, audit.FileOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day), State: st, Witness: ss})
	if err != nil {
		t.Fatal(err)
	}
	return audit.NewLogger(nil, fs, ss), fs, ss
}

func logN(t *testing.T, l *audit.Logger, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if err := l.Log(ctx, numbered(i)); err != nil {
			t.Fatal(err)
		}
	}
}

func appendLine(t *testing.T, path, line string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(line + "\n")
	f.Close()
}

// TestForgedLineIsNeverSigned is issue 14's second attack: an event forged
// into the file while the server is stopped. At start the sink checks the
// lines after each file's last digest against the store: the forged one
// is not there, so it is named in a finding and placed by an unverified
// digest, never signed in; the events after it are signed as usual.
func TestForgedLineIsNeverSigned(t *testing.T) {
	dir, st := t.TempDir(), memstore.New()
	l, _, _ := serverSinks(t, dir, st)
	logN(t, l, 1, 5)
	l.Close()
	path := filepath.Join(dir, "2026-11-23.jsonl")
	appendLine(t, path, strings.Replace(numberedLine(t, 6), "Decrypt", "DeleteParameter", 1))

	l, fs, _ := serverSinks(t, dir, st)
	found := fs.Findings()
	logN(t, l, 7, 8)
	l.Close()
	if len(found) != 1 || found[0].File != "2026-11-23.jsonl" || found[0].First != 6 || found[0].Last != 6 || !strings.Contains(found[0].Reason, "not in the store") {
		t.Fatalf("the sink's findings at start = %v; want line 6, not in the store", found)
	}
	rep := verifyFilesAt(t, dir, verifyNow)
	if len(rep.Problems) != 1 || rep.Events != 8 || rep.Unsigned != 0 {
		t.Fatalf("VerifyFiles after the restart = %d events, %d unsigned, problems:\n%s; want 8, 0, the forged line unverified", rep.Events, rep.Unsigned, problems(rep))
	}
	wantProblem(t, "VerifyFiles after the restart", rep, "2026-11-23.jsonl line 6: unverified: line 6 to line 6 are not vouched for", "not in the store")
}

// TestCrashTailInTheStoreIsSigned: lines an earlier run wrote and did not
// sign (it was killed) are signed at the next start when the store holds
// them: a crash is not tampering.
func TestCrashTailInTheStoreIsSigned(t *testing.T) {
	dir, st := t.TempDir(), memstore.New()
	l, fs, _ := serverSinks(t, dir, st)
	logN(t, l, 1, 5)
	fs.Seal()
	logN(t, l, 6, 8)
	l.Flush() // the store has them; the file's digest is not signed: a kill -9

	l2, fs2, _ := serverSinks(t, dir, st)
	found := fs2.Findings()
	logN(t, l2, 9, 9)
	l2.Close()
	if len(found) != 0 {
		t.Fatalf("the sink's findings after a crash = %v; want none", found)
	}
	if rep := verifyFilesAt(t, dir, verifyNow); !rep.OK() || rep.Events != 9 {
		t.Fatalf("VerifyFiles after a crash and a restart = %d events, problems:\n%s; want 9, none", rep.Events, problems(rep))
	}
	l.Close()
}

// TestDigestsRemovedWhileStopped: the store keeps each file's head, so a
// sink that finds the digests gone says so, and does not sign the lines
// they covered again as if new.
func TestDigestsRemovedWhileStopped(t *testing.T) {
	dir, st := t.TempDir(), memstore.New()
	l, _, _ := serverSinks(t, dir, st)
	logN(t, l, 1, 10)
	l.Close()
	os.RemoveAll(filepath.Join(dir, audit.DigestsDir))

	l, fs, _ := serverSinks(t, dir, st)
	found := fs.Findings()
	logN(t, l, 11, 11)
	l.Close()
	var got []string
	for _, f := range found {
		got = append(got, f.String())
	}
	joined := strings.Join(got, "\n")
	if !strings.Contains(joined, "digests: the digests end at digest 0, but the server signed up to digest 1") ||
		!strings.Contains(joined, "2026-11-23.jsonl lines 1 to 10: its digests were removed") {
		t.Fatalf("the sink's findings without its digests =\n%s\nwant both named", joined)
	}
	wantProblem(t, "VerifyFiles after the digests were removed", verifyFilesAt(t, dir, verifyNow), "digests 1 to 1 are missing", "line 1 to line 10 are in no digest")
}

// TestTruncatedFileIsSetAside: a file cut short while the server was
// stopped is set aside at start, and the file starts again as a new
// segment; verify names the lines the earlier segment lost.
func TestTruncatedFileIsSetAside(t *testing.T) {
	dir, st := t.TempDir(), memstore.New()
	l, _, _ := serverSinks(t, dir, st)
	logN(t, l, 1, 10)
	l.Close()
	path := filepath.Join(dir, "2026-11-23.jsonl")
	writeLines(t, path, readLines(t, path)[:6])

	l, fs, _ := serverSinks(t, dir, st)
	found := fs.Findings()
	logN(t, l, 11, 12)
	l.Close()
	if len(found) != 1 || !strings.Contains(found[0].Reason, "it was cut short") {
		t.Fatalf("the sink's findings after the file was cut = %v; want it named", found)
	}
	aside, _ := filepath.Glob(path + ".set-aside-*")
	if len(aside) != 1 || len(readLines(t, aside[0])) != 6 {
		t.Fatalf("set aside: %v; want the cut file kept beside", aside)
	}
	rep := verifyFilesAt(t, dir, verifyNow)
	wantProblem(t, "VerifyFiles after the file was cut", rep, "2026-11-23.jsonl: removed: lines 1 to 10 of an earlier version of the file (segment 0) are gone", "it was cut short")
	if rep.Events != 2 {
		t.Fatalf("VerifyFiles after the file was cut = %d events; want the 2 of the new segment", rep.Events)
	}
}
