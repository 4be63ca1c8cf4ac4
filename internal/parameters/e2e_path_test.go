package parameters_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func names(ps []types.Parameter) []string {
	var out []string
	for _, p := range ps {
		out = append(out, *p.Name)
	}
	return out
}

func byPath(t *testing.T, c *ssm.Client, in *ssm.GetParametersByPathInput) []string {
	t.Helper()
	var all []string
	for {
		out := must[*ssm.GetParametersByPathOutput](t, "GetParametersByPath "+*in.Path)(c.GetParametersByPath(ctx, in))
		all = append(all, names(out.Parameters)...)
		if out.NextToken == nil {
			return all
		}
		in.NextToken = out.NextToken
	}
}

func TestGetParametersByPath(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	for _, n := range []string{"/app/a", "/app/b", "/app/b/deep", "/app/b/deep/er", "/app/c", "/app-x/a", "/app.x", "/other/a", "/top", "flat"} {
		put(t, c, n, "v-"+n, false)
	}
	if got := byPath(t, c, &ssm.GetParametersByPathInput{Path: aws.String("/app")}); !slices.Equal(got, []string{"/app/a", "/app/b", "/app/c"}) {
		t.Fatalf("one level of /app = %v", got)
	}
	if got := byPath(t, c, &ssm.GetParametersByPathInput{Path: aws.String("/app/"), Recursive: aws.Bool(true), MaxResults: aws.Int32(2)}); !slices.Equal(got, []string{"/app/a", "/app/b", "/app/b/deep", "/app/b/deep/er", "/app/c"}) {
		t.Fatalf("recursive /app = %v", got)
	}
	if got := byPath(t, c, &ssm.GetParametersByPathInput{Path: aws.String("/")}); !slices.Equal(got, []string{"/app.x", "flat", "/top"}) {
		t.Fatalf("one level of / = %v", got)
	}
	if got := byPath(t, c, &ssm.GetParametersByPathInput{Path: aws.String("/app/b"), MaxResults: aws.Int32(1)}); !slices.Equal(got, []string{"/app/b/deep"}) {
		t.Fatalf("one level of /app/b = %v", got)
	}
	out := must[*ssm.GetParametersByPathOutput](t, "by path values")(c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/other")}))
	if len(out.Parameters) != 1 || *out.Parameters[0].Value != "v-/other/a" || *out.Parameters[0].ARN != "arn:aws:ssm:us-east-1:123456789012:parameter/other/a" {
		t.Fatalf("/other = %+v", out.Parameters)
	}

	// Filters: Type, and Label (which answers the labelled version).
	must[*ssm.PutParameterOutput](t, "PutParameter list")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/list"), Value: aws.String("a,b"), Type: types.ParameterTypeStringList}))
	got := byPath(t, c, &ssm.GetParametersByPathInput{Path: aws.String("/app"), ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"StringList"}}}})
	if !slices.Equal(got, []string{"/app/list"}) {
		t.Fatalf("Type=StringList = %v", got)
	}
	put(t, c, "/app/a", "second", true)
	must[*ssm.LabelParameterVersionOutput](t, "label")(c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/app/a"), ParameterVersion: aws.Int64(1), Labels: []string{"stable"}}))
	lab := must[*ssm.GetParametersByPathOutput](t, "Label filter")(c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"),
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Label"), Option: aws.String("Equals"), Values: []string{"stable"}}}}))
	if len(lab.Parameters) != 1 || *lab.Parameters[0].Value != "v-/app/a" || lab.Parameters[0].Version != 1 {
		t.Fatalf("Label=stable = %+v", lab.Parameters)
	}
	for _, tc := range []struct {
		f    types.ParameterStringFilter
		code string
	}{
		{types.ParameterStringFilter{Key: aws.String("Name"), Values: []string{"x"}}, "InvalidFilterKey"},
		{types.ParameterStringFilter{Key: aws.String("Tier"), Values: []string{"Standard"}}, "InvalidFilterKey"},
		{types.ParameterStringFilter{Key: aws.String("Label"), Option: aws.String("BeginsWith"), Values: []string{"x"}}, "InvalidFilterOption"},
		{types.ParameterStringFilter{Key: aws.String("Type")}, "InvalidFilterValue"},
	} {
		_, err := c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), ParameterFilters: []types.ParameterStringFilter{tc.f}})
		wantAPIError(t, "filter "+*tc.f.Key, err, tc.code)
	}
	_, err := c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("app")})
	wantMessage(t, "path without slash", err, "ValidationException", `must begin with a forward slash "/"`)
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), MaxResults: aws.Int32(11)})
	wantAPIError(t, "MaxResults 11", err, "ValidationException")
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), NextToken: aws.String("garbage")})
	wantAPIError(t, "bad token", err, "InvalidNextToken")
	tok := must[*ssm.GetParametersByPathOutput](t, "a page")(c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), MaxResults: aws.Int32(1)})).NextToken
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/other"), NextToken: tok})
	wantAPIError(t, "token of another path", err, "InvalidNextToken")
}

// TestByPathPagingUnderChange adds and removes parameters between pages:
// every parameter present throughout is returned exactly once, in order.
func TestByPathPagingUnderChange(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	for i := 0; i < 30; i += 2 {
		put(t, c, fmt.Sprintf("/svc/p%02d", i), "v", false)
	}
	in := &ssm.GetParametersByPathInput{Path: aws.String("/svc"), MaxResults: aws.Int32(4)}
	var seen []string
	step := 0
	for {
		out := must[*ssm.GetParametersByPathOutput](t, "page")(c.GetParametersByPath(ctx, in))
		seen = append(seen, names(out.Parameters)...)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
		// Between pages: add odd names on both sides of the cursor, delete
		// one already returned and one not yet returned.
		step++
		put(t, c, fmt.Sprintf("/svc/p%02d", step*8-7), "v", false)  // behind or around the cursor
		put(t, c, fmt.Sprintf("/svc/p%02d", 29-step*2), "v", false) // ahead of it
		if step == 1 {
			must[*ssm.DeleteParameterOutput](t, "delete returned")(c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/svc/p00")}))
			must[*ssm.DeleteParameterOutput](t, "delete ahead")(c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/svc/p20")}))
		}
	}
	if !slices.IsSorted(seen) {
		t.Fatalf("pages out of order: %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] == seen[i-1] {
			t.Fatalf("%s returned twice: %v", seen[i], seen)
		}
	}
	for i := 2; i < 30; i += 2 {
		n := fmt.Sprintf("/svc/p%02d", i)
		if i != 20 && !slices.Contains(seen, n) {
			t.Fatalf("%s, present throughout, missing from %v", n, seen)
		}
	}
	if slices.Contains(seen, "/svc/p20") {
		t.Fatalf("/svc/p20, deleted before its page, was returned")
	}
	if !slices.Contains(seen, "/svc/p27") {
		t.Fatalf("/svc/p27, added ahead of the cursor, was not returned: %v", seen)
	}
}

func TestDescribeParametersFilters(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	for _, n := range []string{"/team/a/one", "/team/a/two", "/team/a/deep/three", "/team/b/one", "/solo"} {
		put(t, c, n, "v", false)
	}
	must[*ssm.PutParameterOutput](t, "secure")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/team/b/secret"), Value: aws.String("s"), Type: types.ParameterTypeSecureString,
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))
	must[*ssm.PutParameterOutput](t, "ami")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/img"), Value: aws.String("ami-0123456789abcdef0"), Type: types.ParameterTypeString, DataType: aws.String("aws:ec2:image")}))
	describe := func(in *ssm.DescribeParametersInput) []string {
		t.Helper()
		var all []string
		for {
			out := must[*ssm.DescribeParametersOutput](t, "DescribeParameters")(c.DescribeParameters(ctx, in))
			for _, p := range out.Parameters {
				all = append(all, *p.Name)
			}
			if out.NextToken == nil {
				return all
			}
			in.NextToken = out.NextToken
		}
	}
	f := func(key, opt string, values ...string) types.ParameterStringFilter {
		out := types.ParameterStringFilter{Key: aws.String(key), Values: values}
		if opt != "" {
			out.Option = aws.String(opt)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		filters []types.ParameterStringFilter
		want    []string
	}{
		{"all, paged by 2", nil, []string{"/img", "/solo", "/team/a/deep/three", "/team/a/one", "/team/a/two", "/team/b/one", "/team/b/secret"}},
		{"Path OneLevel", []types.ParameterStringFilter{f("Path", "", "/team/a")}, []string{"/team/a/one", "/team/a/two"}},
		{"Path Recursive", []types.ParameterStringFilter{f("Path", "Recursive", "/team/a")}, []string{"/team/a/deep/three", "/team/a/one", "/team/a/two"}},
		{"Path two values", []types.ParameterStringFilter{f("Path", "OneLevel", "/team/a", "/team/b")}, []string{"/team/a/one", "/team/a/two", "/team/b/one", "/team/b/secret"}},
		{"Name Equals", []types.ParameterStringFilter{f("Name", "", "team/a/one")}, []string{"/team/a/one"}},
		{"Name BeginsWith", []types.ParameterStringFilter{f("Name", "BeginsWith", "/team/b")}, []string{"/team/b/one", "/team/b/secret"}},
		{"Name Contains", []types.ParameterStringFilter{f("Name", "Contains", "one")}, []string{"/team/a/one", "/team/b/one"}},
		{"Type", []types.ParameterStringFilter{f("Type", "", "SecureString")}, []string{"/team/b/secret"}},
		{"KeyId BeginsWith", []types.ParameterStringFilter{f("KeyId", "BeginsWith", "alias/aws/")}, []string{"/team/b/secret"}},
		{"Tier", []types.ParameterStringFilter{f("Tier", "", "Standard"), f("Path", "", "/")}, []string{"/img", "/solo"}},
		{"DataType", []types.ParameterStringFilter{f("DataType", "", "aws:ec2:image")}, []string{"/img"}},
		{"tag", []types.ParameterStringFilter{f("tag:env", "", "prod")}, []string{"/team/b/secret"}},
		{"tag key only", []types.ParameterStringFilter{f("tag:env", "")}, []string{"/team/b/secret"}},
		{"two filters", []types.ParameterStringFilter{f("Path", "Recursive", "/team"), f("Name", "Contains", "p/t")}, []string{"/team/a/deep/three"}},
	} {
		got := describe(&ssm.DescribeParametersInput{ParameterFilters: tc.filters, MaxResults: aws.Int32(2)})
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	got := describe(&ssm.DescribeParametersInput{Filters: []types.ParametersFilter{{Key: types.ParametersFilterKeyName, Values: []string{"/team/b"}}}})
	if !slices.Equal(got, []string{"/team/b/one", "/team/b/secret"}) {
		t.Errorf("legacy Name filter = %v", got)
	}
	for _, tc := range []struct {
		name string
		in   *ssm.DescribeParametersInput
		code string
	}{
		{"Label", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{f("Label", "", "x")}}, "InvalidFilterKey"},
		{"Contains on Type", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{f("Type", "Contains", "x")}}, "InvalidFilterOption"},
		{"Path Equals", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{f("Path", "Equals", "/a")}}, "InvalidFilterOption"},
		{"bad Type", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{f("Type", "", "Number")}}, "InvalidFilterValue"},
		{"duplicate", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{f("Type", "", "String"), f("Type", "", "SecureString")}}, "InvalidFilterKey"},
		{"both kinds", &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{f("Type", "", "String")},
			Filters: []types.ParametersFilter{{Key: types.ParametersFilterKeyType, Values: []string{"String"}}}}, "ValidationException"},
		{"bad token", &ssm.DescribeParametersInput{NextToken: aws.String("x")}, "InvalidNextToken"},
	} {
		_, err := c.DescribeParameters(ctx, tc.in)
		wantAPIError(t, "DescribeParameters "+tc.name, err, tc.code)
	}
	out := must[*ssm.DescribeParametersOutput](t, "metadata")(c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{f("Name", "", "/team/b/secret")}}))
	m := out.Parameters[0]
	if *m.ARN != "arn:aws:ssm:us-east-1:123456789012:parameter/team/b/secret" || *m.KeyId != "alias/aws/ssm" || m.Tier != types.ParameterTierStandard ||
		*m.LastModifiedUser != "arn:aws:iam::123456789012:user/admin" || *m.DataType != "text" || m.Version != 1 {
		t.Fatalf("metadata = %+v", m)
	}
}
