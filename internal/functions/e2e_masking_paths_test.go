package functions_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestMaskedOnEveryPath (sound; TestMasking covers the latest version's
// reads): a deployer allowed every lambda: action but not
// sealbox:RevealEnvironment sees only masked values in the answers of
// PublishVersion, ListVersionsByFunction, GetFunctionConfiguration and
// GetFunction of a version and of an alias, and UpdateFunctionConfiguration;
// an error names no value.
func TestMaskedOnEveryPath(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	const secret = "hunter2-orders"
	createFunction(t, s.Lambda(), "orders", roleARN, *key.Arn, map[string]string{"DB_PASSWORD": secret})
	deployer := lambdaAs(s, newRole(t, s, "deployer", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"lambda:*","Resource":"*"},
		{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`))
	check := func(call string, vars map[string]string) {
		t.Helper()
		for k, v := range vars {
			if v != masked {
				t.Errorf("%s shows %s=%q, want it masked", call, k, v)
			}
		}
	}
	pv := must[*lambda.PublishVersionOutput](t, "PublishVersion")(deployer.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	check("PublishVersion", pv.Environment.Variables)
	must[*lambda.CreateAliasOutput](t, "CreateAlias")(deployer.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: pv.Version}))
	lv := must[*lambda.ListVersionsByFunctionOutput](t, "ListVersionsByFunction")(deployer.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("orders")}))
	for _, v := range lv.Versions {
		check("ListVersionsByFunction "+aws.ToString(v.Version), v.Environment.Variables)
	}
	for _, q := range []string{*pv.Version, "live"} {
		gc := must[*lambda.GetFunctionConfigurationOutput](t, "GetFunctionConfiguration "+q)(deployer.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders"), Qualifier: aws.String(q)}))
		check("GetFunctionConfiguration:"+q, variables(gc))
		gf := must[*lambda.GetFunctionOutput](t, "GetFunction "+q)(deployer.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String(q)}))
		check("GetFunction:"+q, gf.Configuration.Environment.Variables)
	}
	up := must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration")(deployer.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"),
		Environment: &types.Environment{Variables: map[string]string{"DB_PASSWORD": masked, "MODE": "live"}}}))
	check("UpdateFunctionConfiguration", up.Environment.Variables)
	_, err := deployer.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"),
		Environment: &types.Environment{Variables: map[string]string{"DB_PASSWORD": masked, "NEW": masked}}})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("masked variable with no value: err = %v", err)
	}
}

// TestKMSKeyArnOnlyAsTheCaller (sound; no test had it): a deployer allowed
// every lambda: action and iam:PassRole but nothing in KMS can neither
// create a function whose environment is under a customer key, nor move an
// existing function's environment to one (with or without its variables):
// Lambda calls KMS as the caller. The function stays as it was.
func TestKMSKeyArnOnlyAsTheCaller(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	createFunction(t, s.Lambda(), "orders", roleARN, "", map[string]string{"DB_PASSWORD": "pw"})
	d := lambdaAs(s, newRole(t, s, "deployer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:*","iam:PassRole"],"Resource":"*"}]}`))
	const refused = "Lambda was unable to configure access to your environment variables because the KMS key is invalid"
	_, err := d.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("mine"), Role: aws.String(roleARN), Runtime: types.RuntimePython312, KMSKeyArn: key.Arn,
		Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: zipOf(t, "app.py", "x")}, Environment: &types.Environment{Variables: map[string]string{"AB": "cd"}}})
	sealtest.APIErrorContaining(t, "CreateFunction under the key", err, "InvalidParameterValueException", 400, refused)
	for name, env := range map[string]*types.Environment{"the key alone": nil, "the key and the variables": {Variables: map[string]string{"DB_PASSWORD": masked}}} {
		_, err = d.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), KMSKeyArn: key.Arn, Environment: env})
		sealtest.APIErrorContaining(t, "UpdateFunctionConfiguration, "+name, err, "InvalidParameterValueException", 400, refused)
	}
	if g := configuration(t, s.Lambda(), "orders"); aws.ToString(g.KMSKeyArn) != "" || variables(g)["DB_PASSWORD"] != "pw" {
		t.Fatalf("orders after the refusals: key %q, variables %v", aws.ToString(g.KMSKeyArn), variables(g))
	}
}
