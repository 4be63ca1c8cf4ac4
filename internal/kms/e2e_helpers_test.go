package kms_test

import (
	"context"
	"errors"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

var ctx = context.Background()

// wantAPIError fails unless err is the AWS error code with HTTP status.
func wantAPIError(t *testing.T, call string, err error, code string, status int) *smithy.GenericAPIError {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: err = nil, want %s", call, code)
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("%s: err = %v, want an API error %s", call, err, code)
	}
	if api.ErrorCode() != code {
		t.Fatalf("%s: error code = %s (%s), want %s", call, api.ErrorCode(), api.ErrorMessage(), code)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Fatalf("%s: HTTP status = %d, want %d", call, re.HTTPStatusCode(), status)
	}
	return &smithy.GenericAPIError{Code: api.ErrorCode(), Message: api.ErrorMessage()}
}

func must[T any](t *testing.T, call string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", call, err)
		}
		return v
	}
}

func createKey(t *testing.T, c *kms.Client, desc string) *types.KeyMetadata {
	t.Helper()
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: &desc})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return out.KeyMetadata
}
