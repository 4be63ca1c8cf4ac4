package sealtest

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TrustAccount is a role trust policy that lets the account's IAM
// principals assume the role.
const TrustAccount = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

// Role is an IAM role a test made, and a session of it.
type Role struct {
	ARN     string          // the role's
	Session string          // the session's assumed-role ARN
	Creds   aws.Credentials // the session's
}

// Config is an aws.Config (us-east-1) acting as the session.
func (r Role) Config(s *Server) aws.Config { return s.AWSConfigAs("us-east-1", r.Creds) }

// NewRole makes the role name with the trust policy (TrustAccount when
// empty) and the inline policy (none when empty), an IAM user u-<name>
// allowed sts:AssumeRole (the account's root may not assume roles, as in
// AWS), and a session of the role named session.
func (s *Server) NewRole(t testing.TB, name, trust, policy, session string) Role {
	t.Helper()
	ctx := context.Background()
	if trust == "" {
		trust = TrustAccount
	}
	ic := s.IAM()
	role := Must[*iam.CreateRoleOutput](t, "CreateRole "+name)(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}))
	if policy != "" {
		Must[*iam.PutRolePolicyOutput](t, "PutRolePolicy "+name)(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name),
			PolicyName: aws.String("inline"), PolicyDocument: aws.String(policy)}))
	}
	user := "u-" + name
	Must[*iam.CreateUserOutput](t, "CreateUser "+user)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))
	Must[*iam.PutUserPolicyOutput](t, "PutUserPolicy "+user)(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}))
	key := Must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey "+user)(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)}))
	as := aws.Credentials{AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey}
	sess := Must[*sts.AssumeRoleOutput](t, "AssumeRole "+name)(sts.NewFromConfig(s.AWSConfigAs("us-east-1", as)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: role.Role.Arn, RoleSessionName: aws.String(session)}))
	return Role{ARN: *role.Role.Arn, Session: *sess.AssumedRoleUser.Arn, Creds: aws.Credentials{AccessKeyID: *sess.Credentials.AccessKeyId,
		SecretAccessKey: *sess.Credentials.SecretAccessKey, SessionToken: *sess.Credentials.SessionToken}}
}

// Principals makes the IAM users and roles a policy is about to name
// (AWS refuses a policy naming a user or role that does not exist): each
// of names is "user/<name>" or "role/<name>"; a role trusts the account.
func (s *Server) Principals(t testing.TB, names ...string) {
	t.Helper()
	ctx := context.Background()
	ic := s.IAM()
	for _, n := range names {
		switch kind, name, _ := strings.Cut(n, "/"); kind {
		case "user":
			Must[*iam.CreateUserOutput](t, "CreateUser "+name)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		case "role":
			Must[*iam.CreateRoleOutput](t, "CreateRole "+name)(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(TrustAccount)}))
		default:
			t.Fatalf("Principals(%q): want user/<name> or role/<name>", n)
		}
	}
}
