package iamapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestOpenIDConnectProviders drives the IAM OIDC provider operations with
// aws-sdk-go-v2 on a real server: their answers, AWS's errors and quotas,
// and their authorization.
func TestOpenIDConnectProviders(t *testing.T) {
	srv := sealtest.Start(t)
	admin := srv.IAM()
	ctx := context.Background()
	thumb := strings.Repeat("A", 40)

	out, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://Token.Actions.GithubUserContent.com"), ClientIDList: []string{"sts.amazonaws.com", "sts.amazonaws.com"},
		ThumbprintList: []string{thumb}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ci")}}})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider: %v", err)
	}
	arn := aws.ToString(out.OpenIDConnectProviderArn)
	if arn != "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" || len(out.Tags) != 1 {
		t.Errorf("CreateOpenIDConnectProvider = %s %+v", arn, out.Tags)
	}
	eks, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE")})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider(eks, no thumbprint, no client id): %v", err)
	}
	if got := aws.ToString(eks.OpenIDConnectProviderArn); got != "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE" {
		t.Errorf("EKS provider ARN = %s", got)
	}

	get, err := admin.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetOpenIDConnectProvider: %v", err)
	}
	if aws.ToString(get.Url) != "token.actions.githubusercontent.com" || !slices.Equal(get.ClientIDList, []string{"sts.amazonaws.com"}) ||
		!slices.Equal(get.ThumbprintList, []string{strings.ToLower(thumb)}) || get.CreateDate == nil || len(get.Tags) != 1 {
		t.Errorf("GetOpenIDConnectProvider = %+v", get)
	}
	list, err := admin.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 2 {
		t.Fatalf("ListOpenIDConnectProviders = %+v, %v", list, err)
	}

	for _, c := range []struct{ call, arn, client string }{{"add", arn, "app-2"}, {"add again", arn, "app-2"}, {"remove absent", arn, "nobody"}} {
		var err error
		if strings.HasPrefix(c.call, "add") {
			_, err = admin.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(c.arn), ClientID: aws.String(c.client)})
		} else {
			_, err = admin.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(c.arn), ClientID: aws.String(c.client)})
		}
		if err != nil {
			t.Fatalf("%s client id: %v", c.call, err)
		}
	}
	if _, err := admin.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{strings.Repeat("b", 40)}}); err != nil {
		t.Fatalf("UpdateOpenIDConnectProviderThumbprint: %v", err)
	}
	if _, err := admin.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String("TEAM"), Value: aws.String("platform")}, {Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatalf("TagOpenIDConnectProvider: %v", err)
	}
	if _, err := admin.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), TagKeys: []string{"ENV"}}); err != nil {
		t.Fatalf("UntagOpenIDConnectProvider: %v", err)
	}
	tags, err := admin.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "TEAM" || aws.ToString(tags.Tags[0].Value) != "platform" {
		t.Fatalf("ListOpenIDConnectProviderTags = %+v, %v", tags, err)
	}
	get, _ = admin.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if !slices.Equal(get.ClientIDList, []string{"sts.amazonaws.com", "app-2"}) || !slices.Equal(get.ThumbprintList, []string{strings.Repeat("b", 40)}) {
		t.Errorf("after the updates: %+v", get)
	}

	missing := "arn:aws:iam::123456789012:oidc-provider/nowhere.example.com"
	for _, c := range []struct {
		name   string
		call   func() error
		code   string
		status int
		msg    string
	}{
		{"duplicate", func() error {
			_, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com")})
			return err
		}, "EntityAlreadyExists", 409, "Provider with url https://token.actions.githubusercontent.com already exists."},
		{"http URL", func() error {
			_, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("http://example.com")})
			return err
		}, "InvalidInput", 400, "Invalid Open ID Connect Provider URL. The URL must begin with https://."},
		{"no scheme", func() error {
			_, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("example.com")})
			return err
		}, "ValidationError", 400, "Invalid Open ID Connect Provider URL"},
		{"query", func() error {
			_, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://example.com?x=1")})
			return err
		}, "InvalidInput", 400, "Invalid Open ID Connect Provider URL."},
		{"user info", func() error {
			_, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://u:p@example.com")})
			return err
		}, "InvalidInput", 400, "Invalid Open ID Connect Provider URL."},
		{"six thumbprints", func() error {
			_, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://six.example.com"),
				ThumbprintList: slices.Repeat([]string{thumb}, 6)})
			return err
		}, "InvalidInput", 400, "Thumbprint list must contain fewer than 5 entries."},
		{"short thumbprint", func() error {
			_, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://short.example.com"), ThumbprintList: []string{"abc"}})
			return err
		}, "ValidationError", 400, ""},
		{"101 client ids", func() error {
			ids := make([]string, 101)
			for i := range ids {
				ids[i] = fmt.Sprint("c", i)
			}
			_, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://many.example.com"), ClientIDList: ids})
			return err
		}, "LimitExceeded", 409, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"},
		{"get missing", func() error {
			_, err := admin.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(missing)})
			return err
		}, "NoSuchEntity", 404, "OpenIDConnect Provider not found for arn " + missing},
		{"delete missing", func() error {
			_, err := admin.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(missing)})
			return err
		}, "NoSuchEntity", 404, ""},
		{"another account's", func() error {
			_, err := admin.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(strings.Replace(arn, "123456789012", "210987654321", 1))})
			return err
		}, "NoSuchEntity", 404, ""},
		{"not a provider ARN", func() error {
			_, err := admin.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::123456789012:role/ci")})
			return err
		}, "InvalidInput", 400, ""},
		{"tag with nothing", func() error {
			_, err := admin.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), Tags: []types.Tag{}})
			return err
		}, "ValidationError", 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			sealtest.APIErrorContaining(t, c.name, c.call(), c.code, c.status, c.msg)
		})
	}

	// A user may do exactly what its policy says.
	creds := srv.NewUser(t, "reader", "iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviders")
	reader := iam.NewFromConfig(srv.AWSConfigAs("us-east-1", creds))
	if _, err := reader.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
		t.Errorf("reader GetOpenIDConnectProvider: %v", err)
	}
	for name, call := range map[string]func() error{
		"CreateOpenIDConnectProvider": func() error {
			_, err := reader.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://evil.example.com"), ClientIDList: []string{"x"}})
			return err
		},
		"AddClientIDToOpenIDConnectProvider": func() error {
			_, err := reader.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("evil")})
			return err
		},
		"DeleteOpenIDConnectProvider": func() error {
			_, err := reader.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
			return err
		},
		"TagOpenIDConnectProvider": func() error {
			_, err := reader.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		},
		"UpdateOpenIDConnectProviderThumbprint": func() error {
			_, err := reader.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{thumb}})
			return err
		},
		"RemoveClientIDFromOpenIDConnectProvider": func() error {
			_, err := reader.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("app-2")})
			return err
		},
	} {
		sealtest.APIErrorContaining(t, "reader "+name, call(), "AccessDenied", 403, "iam:"+name)
	}
	get, _ = admin.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if !slices.Equal(get.ClientIDList, []string{"sts.amazonaws.com", "app-2"}) || len(get.Tags) != 1 {
		t.Errorf("after the denied calls: %+v", get)
	}

	if _, err := admin.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeleteOpenIDConnectProvider: %v", err)
	}
	list, _ = admin.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if len(list.OpenIDConnectProviderList) != 1 {
		t.Errorf("after delete: %+v", list.OpenIDConnectProviderList)
	}
	// Audited as IAM writes.
	var created bool
	for _, ev := range sealtest.AuditEvents(t, srv.Dir) {
		if ev["eventName"] == "CreateOpenIDConnectProvider" && ev["readOnly"] == false {
			created = true
		}
	}
	if !created {
		t.Error("no CreateOpenIDConnectProvider audit event")
	}
}
