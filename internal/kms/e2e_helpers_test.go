package kms_test

import (
	"context"
	"github.com/sealbox/sealbox/internal/sealtest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

var ctx = context.Background()

// wantAPIError fails unless err is the AWS error code with HTTP status.
func wantAPIError(t *testing.T, call string, err error, code string, status int) *smithy.GenericAPIError {
	t.Helper()
	return &smithy.GenericAPIError{Code: code, Message: sealtest.APIError(t, call, err, code, status)}
}

func must[T any](t *testing.T, call string) func(T, error) T { return sealtest.Must[T](t, call) }

func createKey(t *testing.T, c *kms.Client, desc string) *types.KeyMetadata {
	t.Helper()
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: &desc})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata
}
