package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestOnBehalfKMSEvents: the KMS calls Parameter Store and Secrets Manager
// make for a caller are the caller's own KMS events, invoked by the
// service, naming the key and the encryption context and never a value, in
// the same request as the call that made them.
func TestOnBehalfKMSEvents(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	const planted = "on-behalf-planted-value"
	sec := sealtest.Must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("app/db"), SecretString: aws.String(planted)}))
	got := sealtest.Must[*secretsmanager.GetSecretValueOutput](t, "GetSecretValue")(s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")}))
	smReq, _ := awsmiddleware.GetRequestIDMetadata(got.ResultMetadata)
	sealtest.Must[*ssm.PutParameterOutput](t, "PutParameter")(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/app/pw"), Value: aws.String(planted), Type: ssmtypes.ParameterTypeSecureString}))
	p := sealtest.Must[*ssm.GetParameterOutput](t, "GetParameter")(s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/pw"), WithDecryption: aws.Bool(true)}))
	ssmReq, _ := awsmiddleware.GetRequestIDMetadata(p.ResultMetadata)

	want := map[string]struct{ invokedBy, ctxKey, ctxValue string }{
		smReq:  {"secretsmanager.amazonaws.com", "SecretARN", *sec.ARN},
		ssmReq: {"ssm.amazonaws.com", "PARAMETER_ARN", "arn:aws:ssm:us-east-1:123456789012:parameter/app/pw"},
	}
	found := map[string]bool{}
	events := sealtest.AuditEvents(t, s.Dir)
	for _, e := range events {
		w, ok := want[e["requestID"].(string)]
		if !ok || e["eventSource"] != "kms.amazonaws.com" {
			continue
		}
		raw, _ := json.Marshal(e)
		who := e["userIdentity"].(map[string]any)
		params := e["requestParameters"].(map[string]any)
		ec, _ := params["encryptionContext"].(map[string]any)
		key, _ := params["keyId"].(string)
		if e["eventName"] != "Decrypt" || who["invokedBy"] != w.invokedBy || who["type"] != "IAMUser" || ec[w.ctxKey] != w.ctxValue ||
			!strings.HasPrefix(key, "arn:aws:kms:us-east-1:123456789012:key/") || !strings.Contains(string(raw), `"type":"AWS::KMS::Key"`) {
			t.Fatalf("on-behalf KMS event: %s", raw)
		}
		found[w.invokedBy] = true
	}
	if !found["secretsmanager.amazonaws.com"] || !found["ssm.amazonaws.com"] {
		t.Fatalf("on-behalf Decrypt events found: %v", found)
	}
	raw, _ := json.Marshal(events)
	if strings.Contains(string(raw), planted) {
		t.Fatalf("a value reached the audit trail")
	}
}
