package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestAuditFailsClosedBeforeWrites: while no audit sink could keep an event
// (here: every sink's file system has less free space than
// --audit-min-free wants), a write call is refused with the service's
// internal error before it changes anything, and reads go on.
func TestAuditFailsClosedBeforeWrites(t *testing.T) {
	s := sealtest.Start(t, func(c *config.Config) { c.AuditMinFree = 1 << 60 })
	ctx := context.Background()
	once := func(o *kms.Options) { o.RetryMaxAttempts = 1 }
	before := sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, &kms.ListKeysInput{}))

	_, err := s.KMS().CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("never made")}, once)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "KMSInternalException" || api.ErrorMessage() != "The request could not be recorded in the audit log." {
		t.Fatalf("CreateKey with no sink ready = %v, want KMSInternalException", err)
	}
	_, err = s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/never"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString},
		func(o *ssm.Options) { o.RetryMaxAttempts = 1 })
	if !errors.As(err, &api) || api.ErrorCode() != "InternalServerError" {
		t.Fatalf("PutParameter with no sink ready = %v, want InternalServerError", err)
	}

	after := sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, &kms.ListKeysInput{}))
	if len(after.Keys) != len(before.Keys) {
		t.Fatalf("a refused CreateKey made a key: %d keys before, %d after", len(before.Keys), len(after.Keys))
	}
	if _, err := s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/never")}); !errors.As(err, &api) || api.ErrorCode() != "ParameterNotFound" {
		t.Fatalf("GetParameter of the refused PutParameter = %v, want ParameterNotFound", err)
	}
	if logs := s.Logs.String(); !strings.Contains(logs, "audit unavailable: refusing a write call") || !strings.Contains(logs, "--audit-min-free") {
		t.Fatalf("the refusal is not logged with its cause:\n%s", logs)
	}
}
