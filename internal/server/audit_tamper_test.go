package server_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/config"
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

// TestDeletedAuditFolderWhileRunning is issue 14's third attack through a
// real server: `rm -rf <data>/audit` while it runs. On main, with
// --audit-sinks file, reads went on answering 200 with their events in the
// deleted file. Now the sink makes its folder, file and public key again
// and the read's event is there; when the folder cannot be made again (a
// file in its place) every call fails, reads included, with the service's
// internal error; with the store after the file, the store keeps the
// events and the calls are answered. Each failure is logged.
func TestDeletedAuditFolderWhileRunning(t *testing.T) {
	ctx := context.Background()
	once := func(o *kms.Options) { o.RetryMaxAttempts = 1 }
	t.Run("file", func(t *testing.T) {
		s := sealtest.Start(t, func(c *config.Config) { c.AuditSinks = "file" })
		generateRandom(t, s)
		dir := filepath.Join(s.Dir, "audit")
		os.RemoveAll(dir)
		sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, &kms.ListKeysInput{}))
		var seen bool
		for _, e := range sealtest.AuditEvents(t, s.Dir) {
			seen = seen || e["eventName"] == "ListKeys"
		}
		if !seen {
			t.Fatal("the ListKeys answered after the folder was deleted has no event in the files")
		}
		if _, err := os.Stat(filepath.Join(dir, audit.PublicKeyFile)); err != nil {
			t.Fatalf("public-key.pem was not made again: %v", err)
		}
		if logs := s.Logs.String(); !strings.Contains(logs, "audit sink is failing") || !strings.Contains(logs, "audit sink recovered") {
			t.Fatalf("the server did not log the sink's failure and recovery:\n%s", logs)
		}

		// Now it cannot be made again: no answer without an event. The
		// server records what its sink found as an event of its own, on a
		// goroutine: wait for it, or it makes the folder again.
		s.Srv.WaitBackground()
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir, []byte("in the way"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := s.KMS().ListKeys(ctx, &kms.ListKeysInput{}, once)
		sealtest.APIError(t, "ListKeys with no sink able to keep its event", err, "KMSInternalException", 500)
		_, err = s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}, once)
		sealtest.APIError(t, "CreateKey with no sink able to keep its event", err, "KMSInternalException", 500)
		os.Remove(dir)
	})
	t.Run("file,store", func(t *testing.T) {
		s := sealtest.Start(t)
		generateRandom(t, s)
		dir := filepath.Join(s.Dir, "audit")
		os.RemoveAll(dir)
		os.WriteFile(dir, []byte("in the way"), 0o600)
		sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, &kms.ListKeysInput{}))
		if logs := s.Logs.String(); !strings.Contains(logs, "audit sink is failing") {
			t.Fatalf("the file sink's failure was not logged:\n%s", logs)
		}
		var seen bool
		s.Srv.AuditStore().Lookup(ctx, time.Time{}, time.Time{}, "", func(_ string, rec []byte) (bool, error) {
			seen = seen || strings.Contains(string(rec), `"eventName":"ListKeys"`)
			return true, nil
		})
		if !seen {
			t.Fatal("the ListKeys answered while the file sink failed has no event in the store")
		}
		os.Remove(dir)
	})
}

// TestTornPublicKeyIsRepaired: a kill -9 during a first start on main left
// public-key.pem holding "-----BEGIN " (1 in 64 trials) and the folder
// never started again. The key is derived from the store, so the server
// sets the torn file aside, writes it again, and starts. The first start
// hands out the key to keep (Server.AuditPublicKey); later ones do not.
func TestTornPublicKeyIsRepaired(t *testing.T) {
	s := sealtest.Start(t)
	if !strings.Contains(s.Srv.AuditPublicKey, "BEGIN PUBLIC KEY") {
		t.Fatalf("the first start's AuditPublicKey = %q; want the PEM to print", s.Srv.AuditPublicKey)
	}
	path := filepath.Join(s.Dir, "audit", audit.PublicKeyFile)
	want, err := audit.ReadPublicKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	os.WriteFile(path, []byte("-----BEGIN "), 0o644)
	s.Restart()
	generateRandom(t, s)
	if s.Srv.AuditPublicKey != "" {
		t.Fatal("a later start hands out the public key as if it were the first")
	}
	got, err := audit.ReadPublicKeys(path)
	if err != nil || len(got) != 1 || !got[0].Equal(want[0]) {
		t.Fatalf("public-key.pem after a start over a torn one: %v, %v; want the store's key", got, err)
	}
	if logs := s.Logs.String(); !strings.Contains(logs, "the audit public key file was torn") {
		t.Fatalf("the repair was not logged:\n%s", logs)
	}
	if aside, _ := filepath.Glob(path + ".torn-*"); len(aside) != 1 {
		t.Fatalf("the torn file was not kept aside: %v", aside)
	}
}

// TestSyslogSink: with --audit-sinks file,store,syslog every call's event
// also reaches a remote receiver, as an RFC 5424 message in RFC 6587
// framing, fed from the queue: a receiver that is down fails no call.
func TestSyslogSink(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 64)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			n, err := br.ReadString(' ')
			if err != nil {
				return
			}
			size, _ := strconv.Atoi(strings.TrimSpace(n))
			msg := make([]byte, size)
			if _, err := io.ReadFull(br, msg); err != nil {
				return
			}
			got <- string(msg)
		}
	}()
	s := sealtest.Start(t, func(c *config.Config) { c.AuditSinks = "file,store,syslog"; c.AuditSyslog = ln.Addr().String() })
	generateRandom(t, s)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-got:
			if strings.HasPrefix(m, "<109>1 ") && strings.Contains(m, " sealbox ") && strings.Contains(m, `"eventName":"GenerateRandom"`) {
				return
			}
		case <-deadline:
			t.Fatal("the GenerateRandom event never reached the syslog receiver")
		}
	}
}
