package audit_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
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

// BenchmarkEncodeEvent is the JSON encoding of one Decrypt event, the part
// of Log that is not the write.
func BenchmarkEncodeEvent(b *testing.B) {
	e := decryptEvent()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLog is one event through the logger to a file sink.
func BenchmarkLog(b *testing.B) {
	file, _ := audit.NewFileSink(b.TempDir(), false)
	l := audit.NewLogger(nil, file)
	e := decryptEvent()
	b.ReportAllocs()
	for b.Loop() {
		l.Log(context.Background(), e)
	}
	l.Close()
}
