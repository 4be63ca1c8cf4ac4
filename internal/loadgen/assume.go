package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// benchRolePolicy is what the benchmark's role may do: exactly the KMS
// operations the load tool calls, on any key, so each request is decided
// through the key policy's delegation and this identity policy.
const benchRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
"kms:CreateKey","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey","kms:GenerateRandom","kms:DescribeKey",
"kms:Sign","kms:Verify","kms:GenerateMac","kms:ScheduleKeyDeletion"],"Resource":"*"}]}`

// AssumeRole prepares an assumed-role caller for a run, using c's
// credentials (the administrator's): an IAM user allowed sts:AssumeRole, a
// role the account trusts with benchRolePolicy inline, and a session of
// that role. It returns the session's credentials.
func AssumeRole(ctx context.Context, c Config) (aws.Credentials, string, error) {
	transport := &http.Transport{TLSClientConfig: c.TLS}
	cfg := aws.Config{
		Region:       c.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(c.Credentials.AccessKeyID, c.Credentials.SecretAccessKey, c.Credentials.SessionToken),
		BaseEndpoint: aws.String(c.Endpoint),
		HTTPClient:   &http.Client{Transport: transport, Timeout: 30 * time.Second},
	}
	name := "sealbox-bench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	admin := iam.NewFromConfig(cfg)
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return aws.Credentials{}, "", fmt.Errorf("failed to find the account: %w", err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + *who.Account + `:root"},"Action":"sts:AssumeRole"}]}`
	role, err := admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		return aws.Credentials{}, "", fmt.Errorf("failed to create the benchmark role: %w", err)
	}
	if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("kms"), PolicyDocument: aws.String(benchRolePolicy)}); err != nil {
		return aws.Credentials{}, "", fmt.Errorf("failed to give the benchmark role its policy: %w", err)
	}
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		return aws.Credentials{}, "", fmt.Errorf("failed to create the benchmark user: %w", err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + *role.Role.Arn + `"}]}`)}); err != nil {
		return aws.Credentials{}, "", fmt.Errorf("failed to give the benchmark user its policy: %w", err)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return aws.Credentials{}, "", fmt.Errorf("failed to create the benchmark user's key: %w", err)
	}
	userCfg := cfg
	userCfg.Credentials = credentials.NewStaticCredentialsProvider(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, "")
	out, err := sts.NewFromConfig(userCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("bench")})
	if err != nil {
		return aws.Credentials{}, "", fmt.Errorf("failed to assume the benchmark role: %w", err)
	}
	cr := out.Credentials
	return aws.Credentials{AccessKeyID: *cr.AccessKeyId, SecretAccessKey: *cr.SecretAccessKey, SessionToken: *cr.SessionToken, Source: "assumed role"},
		*out.AssumedRoleUser.Arn, nil
}
