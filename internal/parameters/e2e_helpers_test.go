package parameters_test

import (
	"context"
	"github.com/sealbox/sealbox/internal/sealtest"
	"testing"
)

var ctx = context.Background()

// wantAPIError fails unless err is the AWS error code with HTTP status 400,
// and returns its message.
func wantAPIError(t *testing.T, call string, err error, code string) string {
	t.Helper()
	return sealtest.APIError(t, call, err, code, 400)
}

// wantMessage is wantAPIError that also checks the message holds want.
func wantMessage(t *testing.T, call string, err error, code, want string) {
	t.Helper()
	sealtest.APIErrorContaining(t, call, err, code, 400, want)
}

func must[T any](t *testing.T, call string) func(T, error) T { return sealtest.Must[T](t, call) }
