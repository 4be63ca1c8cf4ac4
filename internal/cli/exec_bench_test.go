package cli_test

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// BenchmarkExecStartup measures what `sealbox exec` adds to a program's
// start: `sealbox exec --function F -- /bin/true` against `/bin/true`
// alone, for an environment of ten variables (4 KB with the references'
// text) of which three are references (a String parameter, a SecureString
// and a secret's JSON key), run as the execution role's session as Lambda
// gives it (credentials in the environment). The two are run alternately
// and the metric is the difference of their medians (ms-added), the figure
// the README reports.
//
//	go test -run '^$' -bench ExecStartup -benchtime 200x ./internal/cli
func BenchmarkExecStartup(b *testing.B) {
	bin := sealboxBinary(b)
	s := sealtest.Start(b)
	ctx := context.Background()
	must := func(err error, what string) {
		b.Helper()
		if err != nil {
			b.Fatalf("%s: %v", what, err)
		}
	}

	key, err := s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})
	must(err, "CreateKey")
	keyARN := *key.KeyMetadata.Arn
	_, err = s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/bench/endpoint"), Type: ssmtypes.ParameterTypeString, Value: aws.String("db.internal.example")})
	must(err, "PutParameter String")
	_, err = s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/bench/password"), Type: ssmtypes.ParameterTypeSecureString, KeyId: aws.String(keyARN), Value: aws.String("pa55word")})
	must(err, "PutParameter SecureString")
	sec, err := s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bench/api"), KmsKeyId: aws.String(keyARN), SecretString: aws.String(`{"token":"t0k3n"}`)})
	must(err, "CreateSecret")

	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":%q},
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/bench/*"},
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":%q}]}`, keyARN, *sec.ARN)
	// The execution role's session, as Lambda hands it to a function.
	role := s.NewRole(b, "bench-exec", trust, policy, "bench")

	vars := map[string]string{
		"DB_ENDPOINT": "{{resolve:ssm:/bench/endpoint}}",
		"DB_PASSWORD": "{{resolve:ssm-secure:/bench/password}}",
		"API_TOKEN":   "{{resolve:secretsmanager:bench/api:SecretString:token}}",
	}
	for i := 0; len(vars) < 10; i++ {
		vars[fmt.Sprintf("SETTING_%d", i)] = strings.Repeat(string(rune('a'+i)), 540)
	}
	lc := lambda.NewFromConfig(s.AWSConfig("us-east-1"))
	_, err = lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("bench"), Role: aws.String(role.ARN),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), KMSKeyArn: aws.String(keyARN),
		Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK\x05\x06" + strings.Repeat("\x00", 18))}, Environment: &lambdatypes.Environment{Variables: vars}})
	must(err, "CreateFunction")

	env := append(cleanEnv(), "AWS_ACCESS_KEY_ID="+role.Creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+role.Creds.SecretAccessKey,
		"AWS_SESSION_TOKEN="+role.Creds.SessionToken, "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL="+s.URL,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")

	run := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Env = env
		start := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(start)
		if err != nil {
			b.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return d
	}
	// The program sees the resolved environment.
	check := exec.Command(bin, "exec", "--function", "bench", "--", "sh", "-c", `test "$DB_PASSWORD $API_TOKEN $DB_ENDPOINT" = "pa55word t0k3n db.internal.example"`)
	check.Env = env
	if out, err := check.CombinedOutput(); err != nil {
		b.Fatalf("exec did not hand over the resolved environment: %v\n%s", err, out)
	}

	var withExec, plain []time.Duration
	for b.Loop() {
		withExec = append(withExec, run(bin, "exec", "--function", "bench", "--", "/bin/true"))
		plain = append(plain, run("/bin/true"))
	}
	median := func(d []time.Duration) time.Duration {
		d = slices.Clone(d)
		slices.Sort(d)
		return d[len(d)/2]
	}
	b.ReportMetric(float64(median(withExec).Microseconds())/1000, "ms-exec-median")
	b.ReportMetric(float64(median(plain).Microseconds())/1000, "ms-true-median")
	b.ReportMetric(float64((median(withExec)-median(plain)).Microseconds())/1000, "ms-added")
}
