package parameters_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestPutAndGet(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	put := must[*ssm.PutParameterOutput](t, "PutParameter")(c.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/app/db/host"), Value: aws.String("db.internal"), Type: types.ParameterTypeString, Description: aws.String("the host")}))
	if put.Version != 1 || put.Tier != types.ParameterTierStandard {
		t.Fatalf("PutParameter = version %d tier %s, want 1 Standard", put.Version, put.Tier)
	}
	got := must[*ssm.GetParameterOutput](t, "GetParameter")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/host")}))
	p := got.Parameter
	if *p.Name != "/app/db/host" || *p.Value != "db.internal" || p.Type != types.ParameterTypeString || p.Version != 1 ||
		*p.ARN != "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/host" || *p.DataType != "text" || p.LastModifiedDate == nil {
		t.Fatalf("GetParameter = %+v", p)
	}

	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db/host"), Value: aws.String("x"), Type: types.ParameterTypeString})
	wantMessage(t, "PutParameter again without Overwrite", err, "ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	put = must[*ssm.PutParameterOutput](t, "PutParameter Overwrite")(c.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/app/db/host"), Value: aws.String("db2.internal"), Overwrite: aws.Bool(true)}))
	if put.Version != 2 {
		t.Fatalf("overwrite version = %d, want 2", put.Version)
	}
	// Omitted attributes are kept on overwrite.
	d := must[*ssm.DescribeParametersOutput](t, "DescribeParameters")(c.DescribeParameters(ctx, &ssm.DescribeParametersInput{}))
	if len(d.Parameters) != 1 || *d.Parameters[0].Description != "the host" || d.Parameters[0].Type != types.ParameterTypeString || d.Parameters[0].Version != 2 {
		t.Fatalf("DescribeParameters = %+v", d.Parameters)
	}

	// A name without a leading slash is the same parameter as with one.
	must[*ssm.PutParameterOutput](t, "PutParameter flat")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("flat"), Value: aws.String("v"), Type: types.ParameterTypeStringList}))
	got = must[*ssm.GetParameterOutput](t, "GetParameter /flat")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/flat")}))
	if *got.Parameter.Name != "flat" || *got.Parameter.ARN != "arn:aws:ssm:us-east-1:123456789012:parameter/flat" {
		t.Fatalf("GetParameter /flat = %+v", got.Parameter)
	}
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/flat"), Value: aws.String("x"), Type: types.ParameterTypeString})
	wantAPIError(t, "PutParameter /flat over flat", err, "ParameterAlreadyExists")

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing")})
	wantAPIError(t, "GetParameter missing", err, "ParameterNotFound")
	// Regions are namespaces of their own.
	_, err = s.SSMIn("eu-west-1").GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/host")})
	wantAPIError(t, "GetParameter in another region", err, "ParameterNotFound")
}

func TestPutValidation(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	str := types.ParameterTypeString
	deep := "/" + strings.Repeat("l/", 15) + "leaf"
	ok15 := "/" + strings.Repeat("l/", 14) + "leaf"
	must[*ssm.PutParameterOutput](t, "PutParameter 15 levels")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(ok15), Value: aws.String("v"), Type: str}))
	for _, tc := range []struct {
		name string
		in   *ssm.PutParameterInput
		code string
		msg  string
	}{
		{"16 levels", &ssm.PutParameterInput{Name: aws.String(deep), Value: aws.String("v"), Type: str}, "HierarchyLevelLimitExceededException", "maximum of 15 levels"},
		{"aws prefix", &ssm.PutParameterInput{Name: aws.String("awsThing"), Value: aws.String("v"), Type: str}, "ValidationException", `can't be prefixed with "aws" or "ssm" (case-insensitive).`},
		{"SSM prefix", &ssm.PutParameterInput{Name: aws.String("SSM-thing"), Value: aws.String("v"), Type: str}, "ValidationException", `can't be prefixed with "aws" or "ssm"`},
		{"/ssm path", &ssm.PutParameterInput{Name: aws.String("/Ssm/x"), Value: aws.String("v"), Type: str}, "ValidationException", `can't be prefixed with "ssm" (case-insensitive). If formed as a path`},
		{"/AWS path", &ssm.PutParameterInput{Name: aws.String("/AWS/x"), Value: aws.String("v"), Type: str}, "AccessDeniedException", "No access to reserved parameter name: /AWS/x."},
		{"bad character", &ssm.PutParameterInput{Name: aws.String("/a/b$c"), Value: aws.String("v"), Type: str}, "ValidationException", "mix of letters, numbers"},
		{"inner space", &ssm.PutParameterInput{Name: aws.String("/a/b c"), Value: aws.String("v"), Type: str}, "ValidationException", "spaces"},
		{"path without slash", &ssm.PutParameterInput{Name: aws.String("a/b"), Value: aws.String("v"), Type: str}, "ValidationException", "fully qualified"},
		{"no type", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v")}, "ValidationException", "A parameter type is required when you create a parameter."},
		{"bad type", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v"), Type: "Number"}, "ValidationException", "enum value set"},
		{"empty value", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String(""), Type: str}, "ValidationException", "length greater than or equal to 1"},
		{"KeyId on String", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v"), Type: str, KeyId: aws.String("alias/x")}, "ValidationException", "SecureString"},
		{"tags with overwrite", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v"), Type: str, Overwrite: aws.Bool(true),
			Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}, "ValidationException", "tags and overwrite can't be used together"},
		{"pattern mismatch", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("abc"), Type: str, AllowedPattern: aws.String(`^\d+$`)}, "ParameterPatternMismatchException", `Parameter value, cannot be validated against allowedPattern: ^\d+$`},
		{"bad pattern", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("abc"), Type: str, AllowedPattern: aws.String(`(`)}, "InvalidAllowedPatternException", "regular expression"},
		{"data type", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("abc"), Type: str, DataType: aws.String("aws:ssm:integration")}, "ValidationException", "The following data type is not supported: aws:ssm:integration"},
		{"bad AMI", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("not-an-ami"), Type: str, DataType: aws.String("aws:ec2:image")}, "ValidationException", "AMI"},
		{"standard too big", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String(strings.Repeat("x", 4097)), Type: str}, "ValidationException", "Standard tier parameters support a maximum parameter value of 4096 characters."},
		{"advanced too big", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String(strings.Repeat("x", 8193)), Type: str, Tier: types.ParameterTierAdvanced}, "ValidationException", "8192"},
		{"policies on Standard", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v"), Type: str, Tier: types.ParameterTierStandard,
			Policies: aws.String(`[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Days"}}]`)}, "ValidationException", "advanced-tier"},
		{"policy type", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v"), Type: str, Tier: types.ParameterTierAdvanced,
			Policies: aws.String(`[{"Type":"Rotate","Version":"1.0","Attributes":{}}]`)}, "InvalidPolicyTypeException", "Expiration, ExpirationNotification, and NoChangeNotification"},
		{"policy attribute", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v"), Type: str, Tier: types.ParameterTierAdvanced,
			Policies: aws.String(`[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"x","Unit":"Days"}}]`)}, "InvalidPolicyAttributeException", "attribute"},
		{"two expirations", &ssm.PutParameterInput{Name: aws.String("/new"), Value: aws.String("v"), Type: str, Tier: types.ParameterTierAdvanced,
			Policies: aws.String(`[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2999-01-01T00:00:00Z"}},{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2999-01-02T00:00:00Z"}}]`)}, "IncompatiblePolicyException", "conflict"},
	} {
		_, err := c.PutParameter(ctx, tc.in)
		wantMessage(t, "PutParameter "+tc.name, err, tc.code, tc.msg)
	}
	must[*ssm.PutParameterOutput](t, "PutParameter AMI")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/ami"), Value: aws.String("ami-0123456789abcdef0"), Type: str, DataType: aws.String("aws:ec2:image")}))
	must[*ssm.PutParameterOutput](t, "PutParameter pattern")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/num"), Value: aws.String("42"), Type: str, AllowedPattern: aws.String(`^\d+$`)}))
	// The pattern stays with the parameter.
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/num"), Value: aws.String("x"), Overwrite: aws.Bool(true)})
	wantAPIError(t, "PutParameter against the kept pattern", err, "ParameterPatternMismatchException")
}

func TestTiers(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	str := types.ParameterTypeString
	big := strings.Repeat("x", 5000)
	out := must[*ssm.PutParameterOutput](t, "PutParameter Intelligent small")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("small"), Type: str, Tier: types.ParameterTierIntelligentTiering}))
	if out.Tier != types.ParameterTierStandard {
		t.Fatalf("Intelligent-Tiering small value: tier %s, want Standard", out.Tier)
	}
	out = must[*ssm.PutParameterOutput](t, "PutParameter Intelligent big")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String(big), Overwrite: aws.Bool(true), Tier: types.ParameterTierIntelligentTiering}))
	if out.Tier != types.ParameterTierAdvanced {
		t.Fatalf("Intelligent-Tiering big value: tier %s, want Advanced", out.Tier)
	}
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("small"), Overwrite: aws.Bool(true), Tier: types.ParameterTierStandard})
	wantMessage(t, "downgrade", err, "ValidationException", "You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier.")
	out = must[*ssm.PutParameterOutput](t, "PutParameter keeps Advanced")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("small"), Overwrite: aws.Bool(true)}))
	if out.Tier != types.ParameterTierAdvanced || out.Version != 3 {
		t.Fatalf("overwrite without tier = %s v%d, want Advanced v3", out.Tier, out.Version)
	}
	out = must[*ssm.PutParameterOutput](t, "PutParameter Intelligent after Advanced")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("small"), Overwrite: aws.Bool(true), Tier: types.ParameterTierIntelligentTiering}))
	if out.Tier != types.ParameterTierAdvanced {
		t.Fatalf("Intelligent-Tiering on an Advanced parameter = %s, want Advanced", out.Tier)
	}
	// Standard moves up.
	must[*ssm.PutParameterOutput](t, "PutParameter Standard")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/u"), Value: aws.String("v"), Type: str}))
	out = must[*ssm.PutParameterOutput](t, "PutParameter up")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/u"), Value: aws.String(big), Overwrite: aws.Bool(true), Tier: types.ParameterTierAdvanced}))
	if out.Tier != types.ParameterTierAdvanced {
		t.Fatalf("upgrade = %s", out.Tier)
	}
	d := must[*ssm.DescribeParametersOutput](t, "DescribeParameters Tier")(c.DescribeParameters(ctx, &ssm.DescribeParametersInput{
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Tier"), Values: []string{"Advanced"}}}}))
	if len(d.Parameters) != 2 {
		t.Fatalf("Advanced parameters = %d, want 2", len(d.Parameters))
	}
}

func TestPutCannotChangeType(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/typed"), Value: aws.String("v"), Type: types.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/typed"), Value: aws.String("v"), Type: types.ParameterTypeSecureString, Overwrite: aws.Bool(true)})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "HierarchyTypeMismatchException" {
		t.Fatalf("PutParameter(String → SecureString) = %v, want HierarchyTypeMismatchException", err)
	}
	// Leaving Type out keeps it.
	out, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/typed"), Value: aws.String("w"), Overwrite: aws.Bool(true)})
	if err != nil || out.Version != 2 {
		t.Fatalf("PutParameter without Type = %+v, %v", out, err)
	}
}
