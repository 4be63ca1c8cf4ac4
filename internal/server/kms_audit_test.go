package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go/middleware"

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
	events := kmsEventsOf(t, s.Dir, planted)
	for r, w := range want {
		if len(events[r]) == 0 {
			t.Fatalf("no on-behalf Decrypt event invoked by %s", w.invokedBy)
		}
		for _, e := range events[r] {
			if e.name != "Decrypt" || e.invokedBy != w.invokedBy || e.userType != "IAMUser" || e.context[w.ctxKey] != w.ctxValue ||
				!strings.HasPrefix(e.keyID, "arn:aws:kms:us-east-1:123456789012:key/") || !strings.Contains(e.raw, `"type":"AWS::KMS::Key"`) {
				t.Fatalf("on-behalf KMS event: %s", e.raw)
			}
		}
	}
}

// TestEnvelopeKMSEventsOnBehalf: every KMS call the envelope makes for
// Secrets Manager and Lambda (GenerateDataKey to seal, ReEncrypt on a key
// change, Decrypt to open) is the caller's own KMS event, invoked by the
// service, under the service's own encryption context and the key the
// call moved to, in the request that made it.
func TestEnvelopeKMSEventsOnBehalf(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	const planted = "envelope-planted-value"
	newKey := func() string {
		k := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))
		return *k.KeyMetadata.Arn
	}
	first, second := newKey(), newKey()
	// The KMS events wanted in a request, in order, all under one key
	// (Lambda answers a write with the environment, so it opens what it
	// sealed).
	type call struct {
		names                            []string
		invokedBy, key, ctxKey, ctxValue string
	}
	want := map[string]call{}
	id := func(md middleware.Metadata) string {
		r, ok := awsmiddleware.GetRequestIDMetadata(md)
		if !ok {
			t.Fatal("an answer without a request id")
		}
		return r
	}

	sm := s.SecretsManager()
	sec := sealtest.Must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("app/db"), SecretString: aws.String(planted), KmsKeyId: aws.String(first)}))
	want[id(sec.ResultMetadata)] = call{[]string{"GenerateDataKey"}, "secretsmanager.amazonaws.com", first, "SecretARN", *sec.ARN}
	up := sealtest.Must[*secretsmanager.UpdateSecretOutput](t, "UpdateSecret")(sm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{
		SecretId: aws.String("app/db"), KmsKeyId: aws.String(second)}))
	want[id(up.ResultMetadata)] = call{[]string{"ReEncrypt"}, "secretsmanager.amazonaws.com", second, "SecretARN", *sec.ARN}
	got := sealtest.Must[*secretsmanager.GetSecretValueOutput](t, "GetSecretValue")(sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")}))
	if aws.ToString(got.SecretString) != planted {
		t.Fatalf("GetSecretValue after the key change = %q, want the value", aws.ToString(got.SecretString))
	}
	want[id(got.ResultMetadata)] = call{[]string{"Decrypt"}, "secretsmanager.amazonaws.com", second, "SecretARN", *sec.ARN}

	role := sealtest.Must[*iam.CreateRoleOutput](t, "CreateRole")(s.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-exec"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	lc := s.Lambda()
	fn := sealtest.Must[*lambda.CreateFunctionOutput](t, "CreateFunction")(lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("orders"), Role: role.Role.Arn, Runtime: lambdatypes.RuntimePython312, Handler: aws.String("app.handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK\x05\x06" + strings.Repeat("\x00", 18))}, KMSKeyArn: aws.String(first),
		Environment: &lambdatypes.Environment{Variables: map[string]string{"DB_PASSWORD": planted}}}))
	want[id(fn.ResultMetadata)] = call{[]string{"GenerateDataKey", "Decrypt"}, "lambda.amazonaws.com", first, "aws:lambda:FunctionArn", *fn.FunctionArn}
	moved := sealtest.Must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration")(lc.UpdateFunctionConfiguration(ctx,
		&lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), KMSKeyArn: aws.String(second)}))
	want[id(moved.ResultMetadata)] = call{[]string{"ReEncrypt", "Decrypt"}, "lambda.amazonaws.com", second, "aws:lambda:FunctionArn", *fn.FunctionArn}
	cfg := sealtest.Must[*lambda.GetFunctionConfigurationOutput](t, "GetFunctionConfiguration")(lc.GetFunctionConfiguration(ctx,
		&lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders")}))
	if cfg.Environment == nil || cfg.Environment.Variables["DB_PASSWORD"] != planted {
		t.Fatalf("GetFunctionConfiguration after the key change: environment %+v, want the variable", cfg.Environment)
	}
	want[id(cfg.ResultMetadata)] = call{[]string{"Decrypt"}, "lambda.amazonaws.com", second, "aws:lambda:FunctionArn", *fn.FunctionArn}

	events := kmsEventsOf(t, s.Dir, planted)
	for r, w := range want {
		var names []string
		for _, e := range events[r] {
			if e.errorCode != "" || e.invokedBy != w.invokedBy || e.userType != "IAMUser" || e.context[w.ctxKey] != w.ctxValue ||
				!strings.Contains(e.raw, `"ARN":"`+w.key+`"`) {
				t.Fatalf("on-behalf KMS event for %s: %s", w.invokedBy, e.raw)
			}
			names = append(names, e.name)
		}
		if strings.Join(names, " ") != strings.Join(w.names, " ") {
			t.Errorf("KMS events invoked by %s in request %s: %q, want %q", w.invokedBy, r, names, w.names)
		}
	}
}

// kmsEvent is one KMS event of the audit trail, as the on-behalf tests
// look at it.
type kmsEvent struct {
	name, invokedBy, userType, keyID, errorCode string
	context                                     map[string]any // the encryption context (ReEncrypt's destination one)
	raw                                         string
}

// kmsEventsOf returns the trail's KMS events by request id, in order. No
// event may hold planted.
func kmsEventsOf(t *testing.T, dir, planted string) map[string][]kmsEvent {
	t.Helper()
	out := map[string][]kmsEvent{}
	for _, e := range sealtest.AuditEvents(t, dir) {
		raw, _ := json.Marshal(e)
		if strings.Contains(string(raw), planted) {
			t.Fatalf("a value reached the audit trail: %s", raw)
		}
		if e["eventSource"] != "kms.amazonaws.com" {
			continue
		}
		who, _ := e["userIdentity"].(map[string]any)
		params, _ := e["requestParameters"].(map[string]any)
		ev := kmsEvent{raw: string(raw), context: map[string]any{}}
		ev.name, _ = e["eventName"].(string)
		ev.errorCode, _ = e["errorCode"].(string)
		ev.invokedBy, _ = who["invokedBy"].(string)
		ev.userType, _ = who["type"].(string)
		ev.keyID, _ = params["keyId"].(string)
		ctxMember := "encryptionContext"
		if ev.name == "ReEncrypt" {
			ctxMember = "destinationEncryptionContext"
		}
		if ec, ok := params[ctxMember].(map[string]any); ok {
			ev.context = ec
		}
		id, _ := e["requestID"].(string)
		out[id] = append(out[id], ev)
	}
	return out
}
