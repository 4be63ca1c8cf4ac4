package iamapi_test

import (
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// The identity harness of internal/sealtest, under the names these tests
// have always used.
const account = sealtest.IdentityAccount

var (
	t0         = sealtest.IdentityT0
	newEnv     = sealtest.NewIdentity
	newEnvOver = sealtest.NewIdentityOver
	trustFor   = sealtest.TrustFor
	allow      = sealtest.Allow
	wantErr    = sealtest.WantErr
	decode     = sealtest.Decode
	unknownKey = sealtest.UnknownKey
	hasPrefix  = strings.HasPrefix
)

// must returns v, or fails the test if err is set:
// must(svc.Op(ctx, in))(t, "Op").
func must[T any](v T, err error) func(t testing.TB, call string) T { return sealtest.OK(v, err) }
