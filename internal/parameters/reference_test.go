package parameters_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestSecretsManagerReference: GetParameter and GetParameters on
// /aws/reference/secretsmanager/<secret-id> answer the secret, as Parameter
// Store does, read as the caller; WithDecryption must be true.
func TestSecretsManagerReference(t *testing.T) {
	s := sealtest.Start(t)
	sm := s.SecretsManager()
	c := s.SSM()
	created := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String("first-value")}))
	second := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String("second-value")}))
	ref := "/aws/reference/secretsmanager/prod/db"

	p := must[*ssm.GetParameterOutput](t, "GetParameter reference")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref), WithDecryption: aws.Bool(true)})).Parameter
	if *p.Name != ref || p.Type != types.ParameterTypeSecureString || *p.Value != "second-value" || p.Version != 0 || *p.ARN != *created.ARN ||
		p.DataType != nil || p.Selector != nil || p.LastModifiedDate == nil {
		t.Fatalf("GetParameter reference = %+v", p)
	}
	var src map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(p.SourceResult)), &src); err != nil || src["ARN"] != *created.ARN || src["name"] != "prod/db" ||
		src["versionId"] != *second.VersionId || src["secretString"] != "second-value" {
		t.Fatalf("SourceResult = %s (%v)", aws.ToString(p.SourceResult), err)
	}
	p = must[*ssm.GetParameterOutput](t, "GetParameter :AWSPREVIOUS")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref + ":AWSPREVIOUS"), WithDecryption: aws.Bool(true)})).Parameter
	if *p.Value != "first-value" || aws.ToString(p.Selector) != ":AWSPREVIOUS" || *p.Name != ref {
		t.Fatalf("GetParameter :AWSPREVIOUS = %+v", p)
	}
	p = must[*ssm.GetParameterOutput](t, "GetParameter :versionId")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref + ":" + *created.VersionId), WithDecryption: aws.Bool(true)})).Parameter
	if *p.Value != "first-value" {
		t.Fatalf("GetParameter by version id = %+v", p)
	}
	// An ARN holds colons: Parameter Store reads them as selectors.
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/reference/secretsmanager/" + *created.ARN)})
	wantAPIError(t, "GetParameter by ARN", err, "ValidationException")

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref)})
	wantMessage(t, "GetParameter without decryption", err, "ValidationException", "WithDecryption flag must be True for retrieving a Secret Manager secret.")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref), WithDecryption: aws.Bool(false)})
	wantMessage(t, "GetParameter WithDecryption false", err, "ValidationException", "WithDecryption flag must be True for retrieving a Secret Manager secret.")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/reference/secretsmanager/absent"), WithDecryption: aws.Bool(true)})
	wantMessage(t, "GetParameter absent", err, "ParameterNotFound", "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret aws/reference/secretsmanager/absentnull not found.")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref + ":NOSUCH"), WithDecryption: aws.Bool(true)})
	wantMessage(t, "GetParameter absent stage", err, "ParameterNotFound", "Secret aws/reference/secretsmanager/prod/db:NOSUCH not found.")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref + ":a:b"), WithDecryption: aws.Bool(true)})
	wantMessage(t, "GetParameter two selectors", err, "ValidationException", "Invalid parameter name. Please use correct syntax for referencing a version/label  <name>:<version/label>")

	put(t, c, "/plain", "plain-value", false)
	g := must[*ssm.GetParametersOutput](t, "GetParameters")(c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{ref, ref + ":AWSPREVIOUS", "/aws/reference/secretsmanager/absent", "/plain"}, WithDecryption: aws.Bool(true)}))
	if len(g.Parameters) != 3 || *g.Parameters[0].Value != "second-value" || *g.Parameters[1].Value != "first-value" || *g.Parameters[2].Value != "plain-value" ||
		len(g.InvalidParameters) != 1 || g.InvalidParameters[0] != "/aws/reference/secretsmanager/absent" {
		t.Fatalf("GetParameters = %+v, invalid %v", g.Parameters, g.InvalidParameters)
	}
	g = must[*ssm.GetParametersOutput](t, "GetParameters without decryption")(c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{ref, "/plain"}}))
	if len(g.Parameters) != 1 || len(g.InvalidParameters) != 1 || g.InvalidParameters[0] != ref {
		t.Fatalf("GetParameters without decryption = %+v, invalid %v", g.Parameters, g.InvalidParameters)
	}

	// The caller's own rights apply: ssm:GetParameter on the reference and
	// secretsmanager:GetSecretValue on the secret.
	ssmOnly, _, _ := roleClients(t, s, "ssm-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}`)
	_, err = ssmOnly.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref), WithDecryption: aws.Bool(true)})
	wantMessage(t, "reference without secretsmanager:GetSecretValue", err, "AccessDeniedException", "secretsmanager:GetSecretValue")
	both, _, _ := roleClients(t, s, "both", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter","secretsmanager:GetSecretValue"],"Resource":"*"}]}`)
	if v := *must[*ssm.GetParameterOutput](t, "both GetParameter")(both.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ref), WithDecryption: aws.Bool(true)})).Parameter.Value; v != "second-value" {
		t.Fatalf("both read %q", v)
	}

	// The audit event of the GetParameter names the secret.
	s.Stop()
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["eventName"] == "GetParameter" && e["errorCode"] == nil {
			raw, _ := json.Marshal(e)
			if !strings.Contains(string(raw), *created.ARN) {
				t.Fatalf("GetParameter event does not name the secret: %s", raw)
			}
			if strings.Contains(string(raw), "second-value") {
				t.Fatalf("GetParameter event holds the value: %s", raw)
			}
			return
		}
	}
	t.Fatal("no GetParameter event")
}
