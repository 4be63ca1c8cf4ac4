package sealtest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// NewUser makes an IAM user with an inline policy allowing actions on every
// resource (none: no policy) and returns its access key.
func (s *Server) NewUser(t testing.TB, name string, actions ...string) aws.Credentials {
	t.Helper()
	ctx := context.Background()
	c := s.IAM()
	Must[*iam.CreateUserOutput](t, "CreateUser "+name)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
	if len(actions) > 0 {
		Must[*iam.PutUserPolicyOutput](t, "PutUserPolicy "+name)(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
			PolicyName: aws.String("p"), PolicyDocument: aws.String(Allow(actions...))}))
	}
	k := Must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey "+name)(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
	return aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}
}
