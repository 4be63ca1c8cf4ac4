package secrets_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestBlockPublicPolicyReadsTheCondition (LOW before the fix): a condition
// keeps a wildcard principal from being public only if it pins the caller:
// an equality, or a pattern fixed up to the account, on a restricting key.
// Before, any operator on such a key passed, so BlockPublicPolicy (which an
// administrator may require with the secretsmanager:BlockPublicPolicy
// condition key) let through a policy open to every principal: StringLike
// aws:PrincipalArn "*", a negation, Null, IfExists on a key a direct call
// lacks, ForAllValues, a policy variable equal to itself, 0.0.0.0/0.
func TestBlockPublicPolicyReadsTheCondition(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.SecretsManager()
	create(t, admin, "shared", "v")
	policy := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":` + cond + `}]}`
	}
	for _, c := range []struct {
		name, cond string
		public     bool
	}{
		{"StringLike *", `{"StringLike":{"aws:PrincipalArn":"*"}}`, true},
		{"ArnLike arn:aws:iam::*", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}`, true},
		{"StringNotEquals", `{"StringNotEquals":{"aws:PrincipalAccount":"000000000000"}}`, true},
		{"Null", `{"Null":{"aws:PrincipalArn":"false"}}`, true},
		{"IfExists", `{"StringEqualsIfExists":{"aws:SourceArn":"arn:aws:lambda:us-east-1:123456789012:function:f"}}`, true},
		{"ForAllValues", `{"ForAllValues:StringEquals":{"aws:SourceAccount":"123456789012"}}`, true},
		{"a variable equal to itself", `{"StringEquals":{"aws:PrincipalAccount":"${aws:PrincipalAccount}"}}`, true},
		{"every address", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, true},
		{"StringEquals account", `{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}`, false},
		{"ArnLike fixed to the account", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/app-*"}}`, false},
		{"ForAnyValue StringEquals", `{"ForAnyValue:StringEquals":{"aws:PrincipalOrgID":"o-abc"}}`, false},
		{"one address range", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, false},
	} {
		_, err := admin.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("shared"), ResourcePolicy: aws.String(policy(c.cond)), BlockPublicPolicy: aws.Bool(true)})
		v := must[*secretsmanager.ValidateResourcePolicyOutput](t, "ValidateResourcePolicy "+c.name)(admin.ValidateResourcePolicy(ctx, &secretsmanager.ValidateResourcePolicyInput{ResourcePolicy: aws.String(policy(c.cond))}))
		if c.public {
			wantMessage(t, "PutResourcePolicy "+c.name, err, "PublicPolicyException", "did not prevent broad access to the secret")
			if v.PolicyValidationPassed {
				t.Errorf("ValidateResourcePolicy %s passed", c.name)
			}
			continue
		}
		if err != nil || !v.PolicyValidationPassed {
			t.Errorf("%s: PutResourcePolicy %v; validation passed %v", c.name, err, v.PolicyValidationPassed)
		}
	}
}
