package iamapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// wantAPIError fails unless err is the AWS error code with HTTP status.
func wantAPIError(t *testing.T, call string, err error, code string, status int) string {
	t.Helper()
	return sealtest.APIError(t, call, err, code, status)
}

// TestSDK drives IAM and STS on a real server with aws-sdk-go-v2 clients,
// over HTTP, SigV4, the Query codec and the real authorizer.
func TestSDK(t *testing.T) {
	srv := sealtest.Start(t)
	iamAs := func(id, secret, token string) *iam.Client {
		return iam.NewFromConfig(srv.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token}))
	}
	stsAs := func(id, secret, token string) *sts.Client {
		return sts.NewFromConfig(srv.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token}))
	}
	ctx := context.Background()
	admin := srv.IAM()

	u, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/dev/")})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if aws.ToString(u.User.Arn) != "arn:aws:iam::123456789012:user/dev/alice" || u.User.CreateDate == nil {
		t.Errorf("CreateUser = %+v", u.User)
	}
	_, err = admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Alice")})
	if msg := wantAPIError(t, "CreateUser(Alice)", err, "EntityAlreadyExists", 409); msg != "User with name Alice already exists." {
		t.Errorf("CreateUser(Alice) message = %q", msg)
	}
	_, err = admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantAPIError(t, "GetUser(nobody)", err, "NoSuchEntity", 404)

	k, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	// Alice may read herself; the role's trust policy names her.
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:user/dev/alice"}]}`)}); err != nil {
		t.Fatalf("PutUserPolicy: %v", err)
	}
	alice := iamAs(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	me, err := alice.GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(me.User.UserName) != "alice" {
		t.Fatalf("GetUser() as alice = %+v, %v", me, err)
	}

	trust := trustFor("arn:aws:iam::123456789012:user/dev/alice")
	r, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(r.Role.AssumeRolePolicyDocument)); doc != trust || aws.ToInt32(r.Role.MaxSessionDuration) != 7200 {
		t.Errorf("CreateRole = %+v", r.Role)
	}
	pol, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Use"), PolicyDocument: aws.String(allow("kms:Decrypt"))})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	if _, err := admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatalf("AttachRolePolicy: %v", err)
	}
	att, err := admin.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app")})
	if err != nil || len(att.AttachedPolicies) != 1 || att.IsTruncated {
		t.Fatalf("ListAttachedRolePolicies = %+v, %v", att, err)
	}
	v, err := admin.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: pol.Policy.Arn, VersionId: aws.String("v1")})
	if err != nil {
		t.Fatalf("GetPolicyVersion: %v", err)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document)); doc != allow("kms:Decrypt") || !v.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion = %+v", v.PolicyVersion)
	}
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	wantAPIError(t, "DeleteRole(attached)", err, "DeleteConflict", 409)

	// STS: who am I, then a role session.
	aliceSTS := stsAs(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), "")
	who, err := aliceSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::123456789012:user/dev/alice" || aws.ToString(who.Account) != account {
		t.Fatalf("GetCallerIdentity as alice = %+v, %v", who, err)
	}
	ar, err := aliceSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("ci-1"), DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if aws.ToString(ar.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/app/ci-1" || ar.Credentials.Expiration == nil ||
		time.Until(*ar.Credentials.Expiration) < 119*time.Minute {
		t.Errorf("AssumeRole = %+v %+v", ar.AssumedRoleUser, ar.Credentials)
	}
	c := ar.Credentials
	roleSTS := stsAs(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	who, err = roleSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::123456789012:assumed-role/app/ci-1" || !strings.HasSuffix(aws.ToString(who.UserId), ":ci-1") {
		t.Fatalf("GetCallerIdentity as the role = %+v, %v", who, err)
	}
	_, err = stsAs(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), "wrong").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, "GetCallerIdentity with a wrong token", err, "InvalidClientTokenId", 403)

	_, err = aliceSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("ci-2"), DurationSeconds: aws.Int32(7201)})
	wantAPIError(t, "AssumeRole(7201)", err, "ValidationError", 400)
	_, err = sts.NewFromConfig(srv.RootConfig("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("root")})
	if msg := wantAPIError(t, "AssumeRole as root", err, "AccessDenied", 403); msg != "Roles may not be assumed by root accounts." {
		t.Errorf("AssumeRole as root message = %q", msg)
	}

	// Deleting the role ends its session at once.
	if _, err := admin.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatalf("DetachRolePolicy: %v", err)
	}
	if _, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")}); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	_, err = roleSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, "GetCallerIdentity after DeleteRole", err, "InvalidClientTokenId", 403)

	// An Inactive key stops at once.
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKey.AccessKeyId, Status: "Inactive"}); err != nil {
		t.Fatalf("UpdateAccessKey: %v", err)
	}
	_, err = alice.GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, "GetUser with an Inactive key", err, "InvalidClientTokenId", 403)
	keys, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
	if err != nil || len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].Status != "Inactive" {
		t.Fatalf("ListAccessKeys = %+v, %v", keys, err)
	}
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	if msg := wantAPIError(t, "DeleteUser(alice)", err, "DeleteConflict", 409); msg != "Cannot delete entity, must delete access keys first." {
		t.Errorf("DeleteUser message = %q", msg)
	}
}
