package functions_test

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestVersionsAndAliases: a published version freezes the configuration
// and its environment; aliases name versions; a version an alias uses
// cannot be deleted.
func TestVersionsAndAliases(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	c := s.Lambda()
	createFunction(t, c, "orders", roleARN, "", map[string]string{"STAGE": "one"})
	v1 := must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders"), Description: aws.String("first")}))
	if aws.ToString(v1.Version) != "1" || aws.ToString(v1.FunctionArn) != fnARN+":1" || aws.ToString(v1.Description) != "first" ||
		v1.Environment.Variables["STAGE"] != "one" || v1.State != types.StateActive {
		t.Fatalf("PublishVersion = %+v", v1)
	}
	// Nothing changed: the same version again.
	again := must[*lambda.PublishVersionOutput](t, "PublishVersion unchanged")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	if aws.ToString(again.Version) != "1" {
		t.Fatalf("PublishVersion of an unchanged $LATEST = version %s", aws.ToString(again.Version))
	}
	must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration")(c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("orders"), Environment: &types.Environment{Variables: map[string]string{"STAGE": "two"}}}))
	v2 := must[*lambda.PublishVersionOutput](t, "PublishVersion 2")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	if aws.ToString(v2.Version) != "2" || v2.Environment.Variables["STAGE"] != "two" {
		t.Fatalf("PublishVersion 2 = %+v", v2)
	}
	// Version 1 kept its environment.
	g1 := must[*lambda.GetFunctionConfigurationOutput](t, "GetFunctionConfiguration :1")(c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")}))
	if variables(g1)["STAGE"] != "one" || aws.ToString(g1.FunctionArn) != fnARN+":1" || aws.ToString(g1.Version) != "1" {
		t.Fatalf("version 1 = %+v", g1)
	}
	g1 = must[*lambda.GetFunctionConfigurationOutput](t, "GetFunctionConfiguration orders:1")(c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fnARN + ":1")}))
	if variables(g1)["STAGE"] != "one" {
		t.Fatalf("version 1 by qualified ARN = %v", variables(g1))
	}
	_, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders:1"), Qualifier: aws.String("2")})
	wantError(t, "two qualifiers", err, "InvalidParameterValueException", 400)
	_, err = c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders"), Qualifier: aws.String("9")})
	if msg := wantError(t, "absent version", err, "ResourceNotFoundException", 404); msg != "Function not found: "+fnARN+":9" {
		t.Fatalf("message = %q", msg)
	}
	l := must[*lambda.ListVersionsByFunctionOutput](t, "ListVersionsByFunction")(c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("orders")}))
	var vs []string
	for _, v := range l.Versions {
		vs = append(vs, aws.ToString(v.Version)+"="+aws.ToString(v.FunctionArn))
	}
	if !slices.Equal(vs, []string{"$LATEST=" + fnARN + ":$LATEST", "1=" + fnARN + ":1", "2=" + fnARN + ":2"}) {
		t.Fatalf("ListVersionsByFunction = %v", vs)
	}
	page := must[*lambda.ListVersionsByFunctionOutput](t, "ListVersionsByFunction page")(c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("orders"), MaxItems: aws.Int32(2)}))
	rest := must[*lambda.ListVersionsByFunctionOutput](t, "ListVersionsByFunction rest")(c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("orders"), Marker: page.NextMarker}))
	if len(page.Versions) != 2 || page.NextMarker == nil || len(rest.Versions) != 1 || aws.ToString(rest.Versions[0].Version) != "2" || rest.NextMarker != nil {
		t.Fatalf("pages = %d %v / %d %v", len(page.Versions), page.NextMarker, len(rest.Versions), rest.NextMarker)
	}
	all := must[*lambda.ListFunctionsOutput](t, "ListFunctions ALL")(c.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll}))
	if len(all.Functions) != 3 || aws.ToString(all.Functions[0].FunctionArn) != fnARN+":$LATEST" {
		t.Fatalf("ListFunctions ALL = %d functions", len(all.Functions))
	}

	// Aliases.
	a := must[*lambda.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"),
		FunctionVersion: aws.String("1"), Description: aws.String("production")}))
	if aws.ToString(a.AliasArn) != fnARN+":live" || aws.ToString(a.FunctionVersion) != "1" || aws.ToString(a.RevisionId) == "" {
		t.Fatalf("CreateAlias = %+v", a)
	}
	_, err = c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("2")})
	if msg := wantError(t, "CreateAlias again", err, "ResourceConflictException", 409); msg != "Alias already exists: "+fnARN+":live" {
		t.Fatalf("message = %q", msg)
	}
	_, err = c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("next"), FunctionVersion: aws.String("7")})
	wantError(t, "CreateAlias to an absent version", err, "ResourceNotFoundException", 404)
	_, err = c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("12"), FunctionVersion: aws.String("1")})
	wantError(t, "CreateAlias numeric", err, "ValidationException", 400)
	// Reading through the alias reads version 1.
	ga := must[*lambda.GetFunctionConfigurationOutput](t, "GetFunctionConfiguration :live")(c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live")}))
	if aws.ToString(ga.Version) != "1" || aws.ToString(ga.FunctionArn) != fnARN+":live" || variables(ga)["STAGE"] != "one" {
		t.Fatalf("through the alias = %+v", ga)
	}
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")})
	if msg := wantError(t, "DeleteFunction of a version in use", err, "ResourceConflictException", 409); msg != "Unable to delete version because the following aliases reference it: [live]" {
		t.Fatalf("message = %q", msg)
	}
	_, err = c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("2"), RevisionId: aws.String("stale")})
	wantError(t, "UpdateAlias stale RevisionId", err, "PreconditionFailedException", 412)
	ua := must[*lambda.UpdateAliasOutput](t, "UpdateAlias")(c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"),
		FunctionVersion: aws.String("2"), RevisionId: a.RevisionId, RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.1}}}))
	if aws.ToString(ua.FunctionVersion) != "2" || ua.RoutingConfig == nil || ua.RoutingConfig.AdditionalVersionWeights["1"] != 0.1 || aws.ToString(ua.RevisionId) == aws.ToString(a.RevisionId) {
		t.Fatalf("UpdateAlias = %+v", ua)
	}
	must[*lambda.CreateAliasOutput](t, "CreateAlias dev")(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("dev"), FunctionVersion: aws.String("$LATEST")}))
	la := must[*lambda.ListAliasesOutput](t, "ListAliases")(c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("orders")}))
	if len(la.Aliases) != 2 || aws.ToString(la.Aliases[0].Name) != "dev" || aws.ToString(la.Aliases[1].Name) != "live" {
		t.Fatalf("ListAliases = %+v", la.Aliases)
	}
	la = must[*lambda.ListAliasesOutput](t, "ListAliases of 2")(c.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("orders"), FunctionVersion: aws.String("2")}))
	if len(la.Aliases) != 1 || aws.ToString(la.Aliases[0].Name) != "live" {
		t.Fatalf("ListAliases of 2 = %+v", la.Aliases)
	}
	gl := must[*lambda.GetAliasOutput](t, "GetAlias")(c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live")}))
	if aws.ToString(gl.FunctionVersion) != "2" {
		t.Fatalf("GetAlias = %+v", gl)
	}
	must[*lambda.DeleteAliasOutput](t, "DeleteAlias")(c.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live")}))
	_, err = c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live")})
	if msg := wantError(t, "GetAlias deleted", err, "ResourceNotFoundException", 404); msg != "Cannot find alias arn: "+fnARN+":live" {
		t.Fatalf("message = %q", msg)
	}
	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction :1")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")}))
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")})
	wantError(t, "GetFunction deleted version", err, "ResourceNotFoundException", 404)
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("$LATEST")})
	if msg := wantError(t, "DeleteFunction $LATEST", err, "InvalidParameterValueException", 400); msg != "$LATEST version cannot be deleted without deleting the function." {
		t.Fatalf("message = %q", msg)
	}
	// Version numbers are not reused.
	must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration 3")(c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), Description: aws.String("three")}))
	if v := must[*lambda.PublishVersionOutput](t, "PublishVersion 3")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")})); aws.ToString(v.Version) != "3" {
		t.Fatalf("third version = %s", aws.ToString(v.Version))
	}
	// UpdateFunctionCode with Publish answers the new version.
	uc := must[*lambda.UpdateFunctionCodeOutput](t, "UpdateFunctionCode Publish")(c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"),
		ZipFile: zipOf(t, "app.py", "v4"), Publish: true}))
	if aws.ToString(uc.Version) != "4" || aws.ToString(uc.FunctionArn) != fnARN+":4" {
		t.Fatalf("UpdateFunctionCode Publish = %s %s", aws.ToString(uc.Version), aws.ToString(uc.FunctionArn))
	}
	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders")}))
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("2")})
	wantError(t, "GetFunction version of a deleted function", err, "ResourceNotFoundException", 404)
}

// TestRevisionPreconditions: a stale RevisionId or CodeSha256 is refused
// with Lambda's words.
func TestRevisionPreconditions(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	c := s.Lambda()
	out := createFunction(t, c, "orders", roleARN, "", nil)
	up := must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration")(c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("orders"), Handler: aws.String("app.main"), RevisionId: out.RevisionId}))
	const stale = "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
	_, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), Handler: aws.String("app.other"), RevisionId: out.RevisionId})
	if msg := wantError(t, "UpdateFunctionConfiguration stale", err, "PreconditionFailedException", 412); msg != stale {
		t.Fatalf("message = %q", msg)
	}
	_, err = c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: zipOf(t, "a", "b"), RevisionId: out.RevisionId})
	wantError(t, "UpdateFunctionCode stale", err, "PreconditionFailedException", 412)
	_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders"), RevisionId: out.RevisionId})
	wantError(t, "PublishVersion stale", err, "PreconditionFailedException", 412)
	_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders"), CodeSha256: aws.String("bm90IGl0")})
	if msg := wantError(t, "PublishVersion other code", err, "InvalidParameterValueException", 400); msg != "CodeSHA256 (bm90IGl0) is different from current CodeSHA256 in $LATEST ("+aws.ToString(up.CodeSha256)+"). Please try again with the CodeSHA256 in $LATEST." {
		t.Fatalf("message = %q", msg)
	}
	v := must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders"), RevisionId: up.RevisionId, CodeSha256: up.CodeSha256}))
	if aws.ToString(v.Handler) != "app.main" {
		t.Fatalf("published handler = %s", aws.ToString(v.Handler))
	}
	// Publishing gave $LATEST a new RevisionId, as in Lambda.
	if g := configuration(t, c, "orders"); aws.ToString(g.RevisionId) == aws.ToString(up.RevisionId) {
		t.Fatal("$LATEST's RevisionId did not change when a version was published")
	}
}

// TestTags tags a function, not its versions.
func TestTags(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	c := s.Lambda()
	createFunction(t, c, "orders", roleARN, "", nil)
	must[*lambda.TagResourceOutput](t, "TagResource")(c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(fnARN), Tags: map[string]string{"team": "blue", "env": "prod"}}))
	lt := must[*lambda.ListTagsOutput](t, "ListTags")(c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(fnARN)}))
	if len(lt.Tags) != 2 || lt.Tags["team"] != "blue" {
		t.Fatalf("ListTags = %v", lt.Tags)
	}
	must[*lambda.UntagResourceOutput](t, "UntagResource")(c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(fnARN), TagKeys: []string{"env", "absent"}}))
	lt = must[*lambda.ListTagsOutput](t, "ListTags after untag")(c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(fnARN)}))
	if len(lt.Tags) != 1 || lt.Tags["team"] != "blue" {
		t.Fatalf("ListTags after untag = %v", lt.Tags)
	}
	_, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(fnARN + ":1"), Tags: map[string]string{"a": "b"}})
	if msg := wantError(t, "TagResource of a version", err, "InvalidParameterValueException", 400); msg != "Tags on function aliases and versions are not supported. Please specify a function ARN." {
		t.Fatalf("message = %q", msg)
	}
	_, err = c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(fnARN), Tags: map[string]string{"aws:x": "b"}})
	wantError(t, "TagResource aws:", err, "InvalidParameterValueException", 400)
	_, err = c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String("arn:aws:lambda:us-east-1:123456789012:function:absent")})
	wantError(t, "ListTags absent", err, "ResourceNotFoundException", 404)
}
