package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/identity/stsapi"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestExpiredSessionAnswers: a request signed with expired session
// credentials, of AssumeRole or GetSessionToken, answers as AWS does —
// ExpiredTokenException (403) on the JSON services and Lambda, ExpiredToken
// (403) on IAM and STS — also after the sweeper has run; a day later the
// key is unknown.
func TestExpiredSessionAnswers(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	// Sessions made two hours ago (the services' clock) expired an hour
	// ago by the wall clock the signatures are checked against.
	s.Clock.Set(time.Now().Add(-2 * time.Hour))
	role := s.NewRole(t, "expiring", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, "s1")
	gst := sealtest.Must[*sts.GetSessionTokenOutput](t, "GetSessionToken")(s.STS().GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)}))
	sessions := map[string]aws.Credentials{
		"AssumeRole": role.Creds,
		"GetSessionToken": {AccessKeyID: *gst.Credentials.AccessKeyId, SecretAccessKey: *gst.Credentials.SecretAccessKey,
			SessionToken: *gst.Credentials.SessionToken},
	}
	// Back to the wall clock's time and a sweep interval on, so the
	// sweeper's ticker fires; then the sweep is over.
	s.Clock.Set(time.Now().Add(s.Config.SweepInterval))
	s.WaitSweep()

	calls := func(cfg aws.Config) map[string]error {
		out := map[string]error{}
		_, out["kms"] = kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{})
		_, out["ssm"] = ssm.NewFromConfig(cfg).DescribeParameters(ctx, &ssm.DescribeParametersInput{})
		_, out["secretsmanager"] = secretsmanager.NewFromConfig(cfg).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
		_, out["lambda"] = lambda.NewFromConfig(cfg).ListFunctions(ctx, &lambda.ListFunctionsInput{})
		_, out["sts"] = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		_, out["iam"] = iam.NewFromConfig(cfg).ListUsers(ctx, &iam.ListUsersInput{})
		return out
	}
	want := map[string]string{"kms": "ExpiredTokenException", "ssm": "ExpiredTokenException", "secretsmanager": "ExpiredTokenException",
		"lambda": "ExpiredTokenException", "sts": "ExpiredToken", "iam": "ExpiredToken"}
	for kind, creds := range sessions {
		for svc, err := range calls(s.AWSConfigAs("us-east-1", creds)) {
			msg := sealtest.APIError(t, kind+" session, "+svc, err, want[svc], 403)
			if msg != "The security token included in the request is expired" {
				t.Errorf("%s session, %s: message %q", kind, svc, msg)
			}
		}
	}

	s.Clock.Advance(stsapi.ExpiredSessionKept)
	s.WaitSweep()
	for kind, creds := range sessions {
		errs := calls(s.AWSConfigAs("us-east-1", creds))
		sealtest.APIError(t, kind+" session a day later, kms", errs["kms"], "UnrecognizedClientException", 400)
		sealtest.APIError(t, kind+" session a day later, sts", errs["sts"], "InvalidClientTokenId", 403)
	}
}
