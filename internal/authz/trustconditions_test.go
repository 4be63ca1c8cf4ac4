package authz_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestTrustPolicyConditions (sound; no end-to-end test had them): a role
// trusting the account only with sts:ExternalId, an sts:RoleSessionName
// pattern and aws:PrincipalArn is assumed by the user it names with the
// external id and a matching session name, and by no one else: no, or
// another, external id; another session name; another user of the account
// allowed sts:AssumeRole on every role.
func TestTrustPolicyConditions(t *testing.T) {
	s := sealtest.Start(t)
	roleARN := *must[*iam.CreateRoleOutput](t, "CreateRole")(s.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("vendor"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole",
		"Condition":{"StringEquals":{"sts:ExternalId":"ext-7f3a"},"StringLike":{"sts:RoleSessionName":"ci-*"},"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/ci"}}}]}`)})).Role.Arn
	ci := sts.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "ci", "sts:AssumeRole")))
	other := sts.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "other", "sts:AssumeRole")))
	for _, c := range []struct {
		name     string
		client   *sts.Client
		session  string
		external *string
		allowed  bool
	}{
		{"no external id", ci, "ci-1", nil, false},
		{"another external id", ci, "ci-1", aws.String("ext-0000"), false},
		{"external id in another case", ci, "ci-1", aws.String("EXT-7F3A"), false},
		{"another session name", ci, "deploy-1", aws.String("ext-7f3a"), false},
		{"another user", other, "ci-1", aws.String("ext-7f3a"), false},
		{"all three", ci, "ci-1", aws.String("ext-7f3a"), true},
	} {
		_, err := c.client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(c.session), ExternalId: c.external})
		if c.allowed {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		sealtest.APIErrorContaining(t, c.name, err, "AccessDenied", 403, "is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	}
}
