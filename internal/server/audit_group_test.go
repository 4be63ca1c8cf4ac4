package server_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestBatchEventsWrittenWithTheCall: the events a BatchGetSecretValue
// records beside its own (a GetSecretValue and a KMS Decrypt on its behalf
// per secret) are in the trail, under the call's request id, before its
// own event, which closes the group.
func TestBatchEventsWrittenWithTheCall(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	c := s.SecretsManager()
	names := []string{"group/a", "group/b", "group/c"}
	for _, n := range names {
		sealtest.Must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(n), SecretString: aws.String("v-" + n)}))
	}
	out := sealtest.Must[*secretsmanager.BatchGetSecretValueOutput](t, "BatchGetSecretValue")(c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: append(names, "group/missing")}))
	if len(out.SecretValues) != 3 || len(out.Errors) != 1 {
		t.Fatalf("BatchGetSecretValue = %d values, %d errors; want 3 and 1", len(out.SecretValues), len(out.Errors))
	}
	s.Stop()

	events := sealtest.AuditEvents(t, s.Dir)
	own := -1
	for i, e := range events {
		if e["eventName"] == "BatchGetSecretValue" {
			own = i
		}
	}
	if own < 0 {
		t.Fatal("no BatchGetSecretValue event")
	}
	id := events[own]["requestID"]
	var gets, decrypts int
	for i, e := range events {
		if e["requestID"] != id || i == own {
			continue
		}
		if i > own {
			t.Errorf("event %s of the call after the call's own event", e["eventName"])
		}
		switch {
		case e["eventSource"] == "secretsmanager.amazonaws.com" && e["eventName"] == "GetSecretValue":
			gets++
		case e["eventSource"] == "kms.amazonaws.com" && e["eventName"] == "Decrypt":
			decrypts++
		default:
			t.Errorf("unexpected event %s %s in the call", e["eventSource"], e["eventName"])
		}
	}
	// The missing secret's read is recorded too, as a failed GetSecretValue.
	if gets < 3 || decrypts != 3 {
		t.Errorf("the call recorded %d GetSecretValue and %d KMS Decrypt events beside its own, want at least 3 and 3", gets, decrypts)
	}
	if own != len(events)-1 {
		t.Errorf("the call's own event is at %d of %d, want last", own, len(events))
	}
}

// TestBatchFailsClosedWhenItsEventsCannotBeWritten: with the file the only
// sink and its folder gone for good, a BatchGetSecretValue (a read, so not
// refused up front) answers the internal error and no value.
func TestBatchFailsClosedWhenItsEventsCannotBeWritten(t *testing.T) {
	s := sealtest.Start(t, func(c *config.Config) { c.AuditSinks = "file" })
	ctx := context.Background()
	c := s.SecretsManager()
	sealtest.Must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("closed/a"), SecretString: aws.String("v")}))
	dir := filepath.Join(s.Dir, "audit")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"closed/a"}},
		func(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 })
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InternalServiceError" || out != nil {
		t.Fatalf("BatchGetSecretValue with no audit sink = %+v, %v; want InternalServiceError and nothing", out, err)
	}
}
