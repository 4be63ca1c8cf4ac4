package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// awsOptions are the flags of the commands that call sealbox as an AWS
// client: where, in which region, and as whom.
type awsOptions struct {
	endpoint, region, profile string
	roleARN, sessionName      string
}

func addAWSFlags(fs *flag.FlagSet, assume bool) *awsOptions {
	o := &awsOptions{}
	fs.StringVar(&o.endpoint, "endpoint", "", "the sealbox `URL` (default $AWS_ENDPOINT_URL_<SERVICE>, $AWS_ENDPOINT_URL, "+defaultEndpoint+")")
	fs.StringVar(&o.region, "region", "", "the `region` (default as the AWS tools find it, else us-east-1)")
	fs.StringVar(&o.profile, "profile", "", "the shared config `profile` (default $AWS_PROFILE)")
	if assume {
		fs.StringVar(&o.roleARN, "role-arn", "", "assume this role `ARN` first (sts:AssumeRole) and act as it")
		fs.StringVar(&o.sessionName, "role-session-name", "sealbox-exec", "the session `name` when assuming --role-arn")
	}
	return o
}

// load finds the credentials and region the way the AWS SDKs do, then
// assumes --role-arn if given.
func (o *awsOptions) load(ctx context.Context, env Env) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if o.roleARN != "" {
		client := sts.NewFromConfig(cfg, func(so *sts.Options) { so.BaseEndpoint = aws.String(o.endpointFor("STS", env)) })
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(client, o.roleARN, func(p *stscreds.AssumeRoleOptions) {
			p.RoleSessionName = o.sessionName
		}))
	}
	return cfg, nil
}

// endpointFor is the endpoint of service ("LAMBDA", "KMS", "STS"): the
// flag, the SDKs' AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL, else a
// local sealbox.
func (o *awsOptions) endpointFor(service string, env Env) string {
	if o.endpoint != "" {
		return o.endpoint
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_" + service, "AWS_ENDPOINT_URL"} {
		if v := env.Getenv(k); v != "" {
			return v
		}
	}
	return defaultEndpoint
}
