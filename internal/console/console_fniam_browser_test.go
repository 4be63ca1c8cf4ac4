//go:build !fuzzbinary

package console_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestBrowserFunctionsIAM: a function's environment read in the browser by
// a user that may not reveal it and by one that may; IAM's users and a
// role's trust policy; the simulator's allowed and denied results.
func TestBrowserFunctionsIAM(t *testing.T) {
	s := sealtest.Start(t)
	ordersFunction(t, s)
	iamFixture(t, s)
	reader, revealer := fnReaders(t, s)
	runBrowser(t, s, "functions-iam.e2e.mjs", map[string]aws.Credentials{"admin": admin(), "reader": reader, "revealer": revealer})
}
