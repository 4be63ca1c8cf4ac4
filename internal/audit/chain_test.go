package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clock"
)

var day = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// verifyNow is when the tests verify: a minute after the first event, so
// that every test event is young enough to wait for its digest.
var verifyNow = day.Add(time.Minute)

// testSigner is a fixed audit key.
func testSigner() *audit.Signer {
	return audit.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
}

func keysOf(s *audit.Signer) []ed25519.PublicKey { return []ed25519.PublicKey{s.PublicKey()} }

// numbered is the i-th event of a test: its own id, a second apart.
func numbered(i int) *audit.Event {
	e := decryptEvent()
	e.EventID = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	e.EventTime = day.Add(time.Duration(i) * time.Second)
	return e
}

// chainedFiles writes n events through a chained file sink, signing a
// digest every perDigest events, and closes it.
func chainedFiles(t *testing.T, dir string, n, perDigest int) {
	t.Helper()
	file, err := audit.OpenFileSink(dir, audit.FileOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLogger(nil, file)
	for i := 1; i <= n; i++ {
		if err := l.Log(context.Background(), numbered(i)); err != nil {
			t.Fatal(err)
		}
		if i%perDigest == 0 {
			if err := file.Seal(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func verifyFiles(t *testing.T, dir string) *audit.Report {
	t.Helper()
	rep, err := audit.VerifyFiles(dir, keysOf(testSigner()), audit.VerifyOptions{Now: verifyNow})
	if err != nil {
		t.Fatalf("VerifyFiles: %v", err)
	}
	return rep
}

func problems(rep *audit.Report) string {
	var b strings.Builder
	for _, p := range rep.Problems {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

func TestUntamperedFilesVerify(t *testing.T) {
	dir := t.TempDir()
	chainedFiles(t, dir, 25, 10)
	rep := verifyFiles(t, dir)
	if !rep.OK() || rep.Events != 25 || rep.Digests != 3 || rep.Unsigned != 0 {
		t.Fatalf("VerifyFiles of an untampered trail = %d events, %d digests, %d unsigned, problems:\n%s; want 25, 3, 0, none",
			rep.Events, rep.Digests, rep.Unsigned, problems(rep))
	}
	// The events file holds CloudTrail records and nothing else.
	for _, line := range readLines(t, filepath.Join(dir, "2026-11-23.jsonl")) {
		if strings.Contains(line, "chain") || strings.Contains(line, "digest") || !strings.HasPrefix(line, `{"eventVersion":"1.08"`) {
			t.Fatalf("an events line carries more than the CloudTrail record: %s", line)
		}
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTamperedFilesAreCaught tampers with a signed trail in each of the four
// ways and wants each found, by kind and line.
func TestTamperedFilesAreCaught(t *testing.T) {
	forged := strings.Replace(numberedLine(t, 99), "Decrypt", "Encrypt", 1)
	cases := []struct {
		name   string
		tamper func([]string) []string
		want   []string // Problem.String() prefixes, in order
	}{
		{"removed", func(l []string) []string { return append(l[:6:6], l[7:]...) },
			[]string{"2026-11-23.jsonl line 7: removed"}},
		{"altered", func(l []string) []string {
			l[11] = strings.Replace(l[11], `"sourceIPAddress":"127.0.0.1"`, `"sourceIPAddress":"10.9.8.7"`, 1)
			return l
		}, []string{"2026-11-23.jsonl line 12: altered: does not match the event signed at line 12"}},
		{"inserted", func(l []string) []string { return append(l[:4:4], append([]string{forged}, l[4:]...)...) },
			[]string{"2026-11-23.jsonl line 5: inserted"}},
		{"reordered", func(l []string) []string { l[2], l[3] = l[3], l[2]; return l },
			[]string{"2026-11-23.jsonl line 3: reordered: signed at line 4"}},
		{"a whole digest's lines removed", func(l []string) []string { return append(l[:10:10], l[20:]...) },
			[]string{"2026-11-23.jsonl line 11: removed"}},
		{"truncated", func(l []string) []string { return l[:17] },
			[]string{"2026-11-23.jsonl line 18: removed", "2026-11-23.jsonl line 25: removed"}},
		{"truncated inside a line", func(l []string) []string { l[16] = l[16][:40]; return l[:17] },
			[]string{"2026-11-23.jsonl line 17: altered", "2026-11-23.jsonl line 18: removed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			chainedFiles(t, dir, 25, 10)
			path := filepath.Join(dir, "2026-11-23.jsonl")
			writeLines(t, path, tc.tamper(readLines(t, path)))
			rep := verifyFiles(t, dir)
			got := problems(rep)
			if rep.OK() {
				t.Fatalf("VerifyFiles after the trail was %s found nothing", tc.name)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Fatalf("VerifyFiles after the trail was %s =\n%swant a problem %q", tc.name, got, w)
				}
			}
		})
	}
}

func numberedLine(t *testing.T, i int) string {
	t.Helper()
	dir := t.TempDir()
	file, _ := audit.NewFileSink(dir, false)
	l := audit.NewLogger(nil, file)
	l.Log(context.Background(), numbered(i))
	l.Close()
	return readLines(t, filepath.Join(dir, "2026-11-23.jsonl"))[0]
}

func TestTamperedDigestsAreCaught(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(dir string)
		want   string
	}{
		{"a digest removed", func(dir string) {
			p := filepath.Join(dir, "digests", "2026-11-23.jsonl")
			l := readLines(t, p)
			writeLines(t, p, append(l[:1:1], l[2:]...))
		}, "line 11 to line 20 are in no digest"},
		{"a digest forged", func(dir string) {
			p := filepath.Join(dir, "digests", "2026-11-23.jsonl")
			l := readLines(t, p)
			l[1] = strings.Replace(l[1], `"count":10`, `"count":10 `, 1)
			writeLines(t, p, l)
		}, "digest signature does not verify"},
		{"a day's last digest and its lines removed", func(dir string) {
			// The next day's digest, signed after, names the one removed.
			writeNextDay(t, dir)
			p := filepath.Join(dir, "digests", "2026-11-23.jsonl")
			l := readLines(t, p)
			writeLines(t, p, l[:2])
			e := filepath.Join(dir, "2026-11-23.jsonl")
			writeLines(t, e, readLines(t, e)[:20])
		}, "digests 3 to 3 are missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			chainedFiles(t, dir, 25, 10)
			tc.tamper(dir)
			rep := verifyFiles(t, dir)
			if got := problems(rep); !strings.Contains(got, tc.want) {
				t.Fatalf("VerifyFiles after %s =\n%swant a problem with %q", tc.name, got, tc.want)
			}
		})
	}
}

// writeNextDay adds one event of the next day through a sink over dir.
func writeNextDay(t *testing.T, dir string) {
	t.Helper()
	file, err := audit.OpenFileSink(dir, audit.FileOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	if err != nil {
		t.Fatal(err)
	}
	e := numbered(1)
	e.EventTime = day.Add(24 * time.Hour)
	audit.NewLogger(nil, file).Log(context.Background(), e)
	file.Close()
}

// TestFileChainResumes: a sink that stopped without its last digest (a
// crash), and left a torn line, is taken up by the next one, which signs
// what was left; the trail verifies, the torn line included as written.
func TestFileChainResumes(t *testing.T) {
	dir := t.TempDir()
	chainedFiles(t, dir, 5, 5)
	// Lines written after the last digest, then a torn one.
	path := filepath.Join(dir, "2026-11-23.jsonl")
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(numberedLine(t, 6) + "\n" + numberedLine(t, 7)[:40])
	f.Close()

	file, err := audit.OpenFileSink(dir, audit.FileOptions{Signer: testSigner(), DigestInterval: time.Hour, Clock: clock.NewFake(day)})
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLogger(nil, file)
	l.Log(context.Background(), numbered(8))
	l.Close()

	lines := readLines(t, path)
	if len(lines) != 8 || len(lines[6]) != 40 || !strings.Contains(lines[7], "000000000008") {
		t.Fatalf("after the restart the file has %d lines (want 8: the torn 7th ended, the 8th on its own)", len(lines))
	}
	// With no store to check them against, the lines left after the
	// last digest are placed, not vouched for, and verify says so; the
	// trail is otherwise whole.
	rep := verifyFiles(t, dir)
	if got := problems(rep); rep.Events != 8 || rep.Unsigned != 0 || len(rep.Problems) != 1 ||
		!strings.Contains(got, "2026-11-23.jsonl line 6: unverified: line 6 to line 7 are not vouched for") {
		t.Fatalf("VerifyFiles after a restart = %d events, %d unsigned, problems:\n%s; want 8, 0, lines 6 to 7 unverified", rep.Events, rep.Unsigned, got)
	}
}

// TestUnsignedTail: lines written after the last digest are counted, not
// reported.
func TestUnsignedTail(t *testing.T) {
	dir := t.TempDir()
	chainedFiles(t, dir, 5, 5)
	f, _ := os.OpenFile(filepath.Join(dir, "2026-11-23.jsonl"), os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(numberedLine(t, 6) + "\n" + numberedLine(t, 7) + "\n")
	f.Close()
	rep := verifyFiles(t, dir)
	if !rep.OK() || rep.Events != 5 || rep.Unsigned != 2 {
		t.Fatalf("VerifyFiles with 2 lines after the last digest = %d events, %d unsigned, problems:\n%s; want 5, 2, none", rep.Events, rep.Unsigned, problems(rep))
	}
}

func TestExportedPublicKeyVerifies(t *testing.T) {
	dir := t.TempDir()
	s := testSigner()
	if err := s.ExportPublicKey(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.ExportPublicKey(dir); err != nil { // idempotent
		t.Fatal(err)
	}
	keys, err := audit.ReadPublicKeys(filepath.Join(dir, audit.PublicKeyFile))
	if err != nil || len(keys) != 1 || !keys[0].Equal(s.PublicKey()) {
		t.Fatalf("ReadPublicKeys = %d keys, %v; want the signer's one", len(keys), err)
	}
}

// FuzzParseDigest: a digest line is untrusted input (verify reads files
// anyone may have edited). Parsing never panics, and a line it accepts as
// signed re-parses the same.
func FuzzParseDigest(f *testing.F) {
	dir := f.TempDir()
	file, _ := audit.OpenFileSink(dir, audit.FileOptions{Signer: testSigner(), DigestInterval: time.Hour})
	l := audit.NewLogger(nil, file)
	for i := 1; i <= 3; i++ {
		l.Log(context.Background(), numbered(i))
	}
	l.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "digests", "2026-11-23.jsonl"))
	f.Add(bytes.TrimSpace(b))
	f.Add([]byte(`{"digest":{"version":1,"first":1,"count":0,"eventHashes":"","previousChainHash":"00","chainHash":"00"},"signature":""}`))
	f.Add([]byte(`{}`))
	keys := keysOf(testSigner())
	f.Fuzz(func(t *testing.T, line []byte) {
		p, err := audit.ParseDigest(line, keys)
		if err != nil {
			return
		}
		if len(p.EventHashes) != p.Count || p.First < 1 {
			t.Fatalf("ParseDigest accepted a digest of %d hashes for %d events at %d", len(p.EventHashes), p.Count, p.First)
		}
	})
}
