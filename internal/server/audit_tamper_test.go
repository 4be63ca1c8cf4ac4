package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/sealtest"
)

func generateRandom(t *testing.T, s *sealtest.Server) {
	t.Helper()
	sealtest.Must[*kms.GenerateRandomOutput](t, "GenerateRandom")(s.KMS().GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)}))
}

func dayFile(t *testing.T, s *sealtest.Server) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.Dir, "audit", "*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("audit files: %v; want one", files)
	}
	return files[0]
}

// TestForgedEventIsNotSignedAtStart is issue 14's second attack, through a
// real server: an event forged into the file while the server is stopped
// (a DeleteParameter by another user). On main the next start signed it
// into the trail. Now the server checks the file's lines after its last
// digest against the store at start: the forgery is logged, recorded as an
// AuditTrailTamperingDetected event naming the file and line, and placed
// by an unverified digest, so verify names it however many digests follow.
func TestForgedEventIsNotSignedAtStart(t *testing.T) {
	s := sealtest.Start(t)
	generateRandom(t, s)
	s.Stop()
	path := dayFile(t, s)
	lines := strings.Split(strings.TrimSuffix(string(must(os.ReadFile(path))), "\n"), "\n")
	forged := strings.Replace(lines[len(lines)-1], `"eventName":"GenerateRandom"`, `"eventName":"DeleteParameter"`, 1)
	forged = strings.Replace(forged, `"eventSource":"kms.amazonaws.com"`, `"eventSource":"ssm.amazonaws.com"`, 1)
	forged = strings.Replace(forged, `:root"`, `:user/mallory"`, 1)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(forged + "\n")
	f.Close()
	forgedLine := len(lines) + 1

	s.Restart()
	generateRandom(t, s)
	s.Stop()

	if logs := s.Logs.String(); !strings.Contains(logs, "audit trail tampering detected") || !strings.Contains(logs, "not in the store") {
		t.Fatalf("the server did not log the forged line:\n%s", logs)
	}
	var found map[string]any
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["eventName"] == "AuditTrailTamperingDetected" {
			found = e
		}
	}
	if found == nil {
		t.Fatal("no AuditTrailTamperingDetected event in the trail")
	}
	add := found["additionalEventData"].(map[string]any)
	if add["file"] != filepath.Base(path) || add["firstLine"] != float64(forgedLine) || add["lastLine"] != float64(forgedLine) {
		t.Fatalf("AuditTrailTamperingDetected names %v; want %s line %d", add, filepath.Base(path), forgedLine)
	}
	keys, _ := audit.ReadPublicKeys(filepath.Join(s.Dir, "audit", audit.PublicKeyFile))
	rep, err := audit.VerifyFiles(filepath.Join(s.Dir, "audit"), keys, audit.VerifyOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, p := range rep.Problems {
		got.WriteString(p.String() + "\n")
	}
	if rep.OK() || !strings.Contains(got.String(), "unverified") || rep.Unsigned != 0 {
		t.Fatalf("VerifyFiles after the restart: %d unsigned, problems:\n%s; want the forged line unverified, nothing unsigned", rep.Unsigned, got.String())
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
