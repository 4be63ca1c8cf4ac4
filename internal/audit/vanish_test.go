//go:build !fuzzbinary

package audit_test

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// vanishSinks opens a chained file sink over dir, logging to logs, with
// the store keeping its heads, and optionally a store sink after it.
func vanishSinks(t *testing.T, dir string, logs *sealtest.Buffer, withStore bool) (*audit.Logger, *audit.FileSink) {
	t.Helper()
	st := memstore.New()
	log := slog.New(slog.NewTextHandler(logs, nil))
	if err := testSigner().ExportPublicKey(dir); err != nil { // as the server does, before the sink
		t.Fatal(err)
	}
	fs, err := audit.OpenFileSink(dir, audit.FileOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day), State: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sinks := []audit.Sink{fs}
	if withStore {
		sinks = append(sinks, audit.NewStoreSink(st, audit.StoreOptions{Clock: clock.NewFake(day)}))
	}
	return audit.NewLogger(log, sinks...), fs
}

// TestDeletedFolderIsMadeAgain is issue 14's third attack: the audit folder
// deleted while the server runs. On main the events went on into the
// deleted, still open file, and the calls were answered. Now the sink
// sees its file unlinked after the write, makes the folder, the file (a
// new segment, with a digest that says why) and the public key again, and
// writes the batch there: the event is kept, and the break is logged,
// found, and named by verify.
func TestDeletedFolderIsMadeAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	var logs sealtest.Buffer
	l, fs := vanishSinks(t, dir, &logs, false)
	logN(t, l, 1, 3)
	fs.Seal()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := l.Log(ctx, numbered(4)); err != nil {
		t.Fatalf("Log after the folder was deleted = %v; want the folder made again", err)
	}
	found := fs.Findings()
	logN(t, l, 5, 5)
	l.Close()

	lines := readLines(t, filepath.Join(dir, "2026-11-23.jsonl"))
	if len(lines) != 2 || !strings.Contains(lines[0], "000000000004") {
		t.Fatalf("the file made again holds %d lines; want events 4 and 5", len(lines))
	}
	if _, err := os.Stat(filepath.Join(dir, audit.PublicKeyFile)); err != nil {
		t.Fatalf("the public key was not exported again: %v", err)
	}
	// Both are named: the digests went with the folder, and the file.
	if len(found) != 2 || !strings.Contains(found[0].Reason, "its digests (the last, digest 1) were deleted") ||
		!strings.Contains(found[1].Reason, "its file was deleted") || found[1].Last != 3 {
		t.Fatalf("findings after the folder was deleted = %v; want the digests and the file's lines 1 to 3 named", found)
	}
	if got := logs.String(); !strings.Contains(got, "audit sink is failing") || !strings.Contains(got, "audit sink recovered") {
		t.Fatalf("the sink did not log its failure and recovery:\n%s", got)
	}
	rep := verifyFilesAt(t, dir, verifyNow)
	wantProblem(t, "VerifyFiles after the folder was deleted", rep, "digests 1 to 1 are missing")
	if rep.Events != 2 {
		t.Fatalf("VerifyFiles after the folder was deleted = %d events; want the new segment's 2", rep.Events)
	}
}

// TestReplacedFileIsSetAside: a file renamed over the sink's (nlink 0 of
// the open one) and a folder moved away (the path check) are each seen,
// and the sink starts a new segment; what was put at the path is set
// aside, never appended to.
func TestReplacedFileIsSetAside(t *testing.T) {
	defer audit.SetPathEvery(0)()
	for _, how := range []string{"renamed over", "folder moved, another made"} {
		t.Run(how, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "audit")
			var logs sealtest.Buffer
			l, fs := vanishSinks(t, dir, &logs, false)
			logN(t, l, 1, 3)
			path := filepath.Join(dir, "2026-11-23.jsonl")
			forged := strings.Replace(numberedLine(t, 2), "Decrypt", "DeleteParameter", 1) + "\n"
			switch how {
			case "renamed over":
				os.WriteFile(path+".new", []byte(forged), 0o600)
				os.Rename(path+".new", path)
			default:
				os.Rename(dir, dir+".old")
				os.Mkdir(dir, 0o700)
				os.WriteFile(path, []byte(forged), 0o600)
			}
			logN(t, l, 4, 4)
			found := fs.Findings()
			l.Close()
			lines := readLines(t, path)
			if len(lines) != 1 || !strings.Contains(lines[0], "000000000004") {
				t.Fatalf("after the file was %s it holds %v; want event 4 alone", how, lines)
			}
			aside, _ := filepath.Glob(path + ".set-aside-*")
			if len(aside) != 1 {
				t.Fatalf("after the file was %s, set aside: %v; want the forged file", how, aside)
			}
			if len(found) != 1 {
				t.Fatalf("findings after the file was %s = %v; want one", how, found)
			}
		})
	}
}

// TestVanishedSinkThatCannotBeMadeAgainFails: when the folder cannot be
// made again (a file is in its place), the write fails: with the file as
// the only sink the call must fail, with a store after it the store takes
// the event, and the failure is logged.
func TestVanishedSinkThatCannotBeMadeAgainFails(t *testing.T) {
	for _, withStore := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "audit")
		var logs sealtest.Buffer
		l, _ := vanishSinks(t, dir, &logs, withStore)
		logN(t, l, 1, 2)
		os.RemoveAll(dir)
		os.WriteFile(dir, []byte("not a folder"), 0o600)
		err := l.Log(ctx, numbered(3))
		switch {
		case !withStore && !errors.Is(err, audit.ErrNoSink):
			t.Fatalf("Log with the file the only sink, its folder gone for good = %v; want ErrNoSink", err)
		case withStore && err != nil:
			t.Fatalf("Log with a store after the file, its folder gone for good = %v; want the store to take it", err)
		}
		if err := l.Ready(); !withStore && err == nil {
			t.Fatal("Ready with the file the only sink, its folder gone for good = nil; want writes refused")
		}
		l.Close()
		if got := logs.String(); !strings.Contains(got, "audit sink is failing") {
			t.Fatalf("the failure was not logged:\n%s", got)
		}
	}
}

// TestDigestsDeletedWhileRunning: the digests folder (and the public key)
// deleted while the sink runs are named at the next digest, which starts
// the digests file again; verify reports the digests missing.
func TestDigestsDeletedWhileRunning(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	var logs sealtest.Buffer
	l, fs := vanishSinks(t, dir, &logs, false)
	logN(t, l, 1, 3)
	fs.Seal()
	os.RemoveAll(filepath.Join(dir, audit.DigestsDir))
	os.Remove(filepath.Join(dir, audit.PublicKeyFile))
	logN(t, l, 4, 5)
	fs.Seal()
	found := fs.Findings()
	l.Close()
	if len(found) != 1 || !strings.Contains(found[0].Reason, "were deleted while the server ran") {
		t.Fatalf("findings after the digests were deleted = %v; want them named", found)
	}
	if _, err := os.Stat(filepath.Join(dir, audit.PublicKeyFile)); err != nil {
		t.Fatalf("the public key was not exported again: %v", err)
	}
	wantProblem(t, "VerifyFiles after the digests were deleted", verifyFilesAt(t, dir, verifyNow), "digests 1 to 1 are missing")
}

// TestDeletedFolderUnderLoad: writers log at once while the folder is
// deleted and digests are signed: every event logged after the deletion
// is in the file made again, and the trail's new segment verifies.
func TestDeletedFolderUnderLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "audit")
	var logs sealtest.Buffer
	l, fs := vanishSinks(t, dir, &logs, false)
	logN(t, l, 1, 50)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if err := l.Log(ctx, numbered(1000+w*100+i)); err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 {
					fs.Seal()
				}
			}
		}()
	}
	wg.Wait()
	l.Close()
	lines := readLines(t, filepath.Join(dir, "2026-11-23.jsonl"))
	if len(lines) != 200 {
		t.Fatalf("the file made again holds %d lines; want the 200 logged after the deletion", len(lines))
	}
	rep := verifyFilesAt(t, dir, day.Add(time.Hour))
	if rep.Events != 200 || rep.Unsigned != 0 {
		t.Fatalf("VerifyFiles of the new segment = %d events, %d unsigned, problems:\n%s; want 200, 0", rep.Events, rep.Unsigned, problems(rep))
	}
}
