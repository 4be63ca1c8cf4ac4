package parameters_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

var ctx = context.Background()

// wantAPIError fails unless err is the AWS error code with HTTP status 400,
// and returns its message.
func wantAPIError(t *testing.T, call string, err error, code string) string {
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
	if errors.As(err, &re) && re.HTTPStatusCode() != 400 {
		t.Fatalf("%s: HTTP status = %d, want 400", call, re.HTTPStatusCode())
	}
	return api.ErrorMessage()
}

// wantMessage is wantAPIError that also checks the message holds want.
func wantMessage(t *testing.T, call string, err error, code, want string) {
	t.Helper()
	if msg := wantAPIError(t, call, err, code); !strings.Contains(msg, want) {
		t.Fatalf("%s: message = %q, want it to contain %q", call, msg, want)
	}
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
