package audit_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

func decryptEvent() *audit.Event {
	return &audit.Event{
		EventVersion: "1.08",
		UserIdentity: audit.UserIdentity{Type: "Root", PrincipalID: "123456789012", ARN: "arn:aws:iam::123456789012:root", AccountID: "123456789012", AccessKeyID: "AKIAIOSFODNN7EXAMPLE"},
		EventTime:    time.Now().UTC(), EventSource: "kms.amazonaws.com", EventName: "Decrypt", AWSRegion: "us-east-1",
		SourceIPAddress: "127.0.0.1", UserAgent: "aws-sdk-go-v2/1.0", RequestParameters: map[string]any{"encryptionContext": map[string]any{"app": "billing"}},
		RequestID: "5e2f5c1c-8a3a-4b39-9a0b-0f9f3a4c1b2d", EventID: "0b6a1e3c-2d4f-4e5a-8b7c-9d0e1f2a3b4c", ReadOnly: true,
		Resources: []audit.ResourceRef{{AccountID: "123456789012", Type: "AWS::KMS::Key", ARN: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}},
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: "123456789012", EventCategory: "Management",
	}
}

// roleDecryptEvent is a Decrypt event as the router makes it for an
// assumed role's call through Secrets Manager: CallEvent's identity with
// its session context, the parameters the request carried and the ones
// KMS added.
func roleDecryptEvent() *audit.Event {
	req := &sealbox.Request{ID: "5e2f5c1c-8a3a-4b39-9a0b-0f9f3a4c1b2d", Time: time.Now(), Region: "us-east-1", AccountID: "123456789012",
		Principal: sealbox.Principal{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/app/i-0abc", AccountID: "123456789012",
			PrincipalID: "AROAEXAMPLEID:i-0abc", AccessKeyID: "ASIAEXAMPLEKEY", RoleARN: "arn:aws:iam::123456789012:role/app", SessionName: "i-0abc", Temporary: true},
		SourceIP: "10.0.0.7", UserAgent: "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/kms#1.35.0", ViaService: "secretsmanager.us-east-1.amazonaws.com",
		Resources: []sealbox.Resource{{AccountID: "123456789012", Type: "AWS::KMS::Key", ARN: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}}
	e := audit.CallEvent(req, "kms.amazonaws.com", "Decrypt", true)
	e.RequestParameters = map[string]any{"encryptionContext": map[string]any{"SecretARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", "SecretVersionId": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"},
		"keyId": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
	return e
}

// BenchmarkEncodeEvent is the JSON encoding of one Decrypt event, the part
// of Log that is not the write: as Log encodes it, into a line of its own.
func BenchmarkEncodeEvent(b *testing.B) {
	for _, c := range []struct {
		name string
		e    *audit.Event
	}{{"root", decryptEvent()}, {"role", roleDecryptEvent()}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if _, err := audit.EncodeLine(c.e); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkEncodeEventJSON is json.Marshal of the same event, the encoder's
// reference.
func BenchmarkEncodeEventJSON(b *testing.B) {
	e := roleDecryptEvent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogCallEvent is the event of an assumed role's Decrypt made by
// CallEvent, its parameters set, then logged to the default sinks from one
// goroutine: the audit part of a call, end to end.
func BenchmarkLogCallEvent(b *testing.B) {
	signer := testSigner()
	file, err := audit.OpenFileSink(b.TempDir(), audit.FileOptions{Signer: signer, DigestInterval: time.Minute, Clock: clock.Real{}})
	if err != nil {
		b.Fatal(err)
	}
	l := audit.NewLogger(nil, file, audit.NewStoreSink(memstore.New(), audit.StoreOptions{Signer: signer, DigestInterval: time.Minute}))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		if err := l.Log(context.Background(), roleDecryptEvent()); err != nil {
			b.Fatal(err)
		}
	}
	l.Flush()
	reportCPU(b, start)
	b.StopTimer()
	l.Close()
}

// BenchmarkLog is one event through the logger to a file sink.
func BenchmarkLog(b *testing.B) {
	file, _ := audit.NewFileSink(b.TempDir(), false)
	l := audit.NewLogger(nil, file)
	e := decryptEvent()
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		l.Log(context.Background(), e)
	}
	reportCPU(b, start)
	l.Close()
}

// BenchmarkCallEvent is the making of an assumed role's Decrypt event.
func BenchmarkCallEvent(b *testing.B) {
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		roleDecryptEvent()
	}
	reportCPU(b, start)
}

// reportCPU reports the process's CPU time since start per op, cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
