package sealtest

import (
	"errors"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// APIError fails the test unless err is the AWS error code with HTTP
// status, as aws-sdk-go-v2 sees it, and returns the error's message.
func APIError(t testing.TB, call string, err error, code string, status int) string {
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
	return api.ErrorMessage()
}

// APIErrorContaining is APIError that also checks the message holds want.
func APIErrorContaining(t testing.TB, call string, err error, code string, status int, want string) {
	t.Helper()
	if msg := APIError(t, call, err, code, status); !strings.Contains(msg, want) {
		t.Fatalf("%s: message = %q, want it to contain %q", call, msg, want)
	}
}

// Must returns a function that fails the test on a call's error and passes
// its value through: Must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(…)).
func Must[T any](t testing.TB, call string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", call, err)
		}
		return v
	}
}
