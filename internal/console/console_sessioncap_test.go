//go:build !fuzzbinary

package console_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestRoleSessionNamesShareOneCap: whoever may assume a role cannot get
// past the per-principal cap of 32 sessions by naming each role session
// differently: the sessions count under the role, so the 33rd ends the
// role's longest idle one. Another role's and a user's sessions stay.
func TestRoleSessionNamesShareOneCap(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	role := s.NewRole(t, "operator", "", sealtest.Allow("kms:ListKeys", "kms:ListAliases"), "s0")
	other := s.NewRole(t, "auditor", "", sealtest.Allow("kms:ListKeys", "kms:ListAliases"), "a0")
	first, otherRole, user := newBrowser(t, s), newBrowser(t, s), newBrowser(t, s)
	first.signIn(role.Creds)
	otherRole.signIn(other.Creds)
	user.signIn(admin())
	s.Clock.Advance(time.Second) // the first sessions are now the longest idle

	// u-operator (made by NewRole) may assume the role: 32 more sessions,
	// each under its own name.
	k := sealtest.Must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(s.IAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u-operator")}))
	assumer := sts.NewFromConfig(s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}))
	var last *browser
	for i := 1; i <= 32; i++ {
		out := sealtest.Must[*sts.AssumeRoleOutput](t, "AssumeRole")(assumer.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(role.ARN), RoleSessionName: aws.String(fmt.Sprintf("s%d", i))}))
		last = newBrowser(t, s)
		last.signIn(aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey,
			SessionToken: *out.Credentials.SessionToken})
		s.Clock.Advance(time.Second)
	}

	if code, _ := first.get("/console/kms"); code != http.StatusSeeOther {
		t.Errorf("the role's first session after 32 more under other names: %d, want 303 to sign in (ended)", code)
	}
	for name, b := range map[string]*browser{"the role's last session": last, "another role's session": otherRole, "a user's session": user} {
		if code, _ := b.get("/console/kms"); code != http.StatusOK {
			t.Errorf("%s: %d, want 200", name, code)
		}
	}
}
