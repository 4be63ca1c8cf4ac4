package secrets_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func names(list []types.SecretListEntry) []string {
	var out []string
	for _, e := range list {
		out = append(out, *e.Name)
	}
	return out
}

func TestListSecretsAndBatch(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	for i, n := range []string{"prod/db", "prod/api", "dev/db", "MyAppSecret"} {
		in := &secretsmanager.CreateSecretInput{Name: aws.String(n), SecretString: aws.String("value-of-" + n)}
		if i%2 == 0 {
			in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}
			in.Description = aws.String("Database credentials")
		}
		must[*secretsmanager.CreateSecretOutput](t, "CreateSecret "+n)(c.CreateSecret(ctx, in))
		s.Clock.Advance(time.Second)
	}
	list := func(in *secretsmanager.ListSecretsInput) []string {
		t.Helper()
		return names(must[*secretsmanager.ListSecretsOutput](t, "ListSecrets")(c.ListSecrets(ctx, in)).SecretList)
	}
	f := func(key types.FilterNameStringType, v ...string) []types.Filter {
		return []types.Filter{{Key: key, Values: v}}
	}
	for _, tc := range []struct {
		name string
		in   *secretsmanager.ListSecretsInput
		want []string
	}{
		{"all, by creation", &secretsmanager.ListSecretsInput{}, []string{"prod/db", "prod/api", "dev/db", "MyAppSecret"}},
		{"desc", &secretsmanager.ListSecretsInput{SortOrder: types.SortOrderTypeDesc}, []string{"MyAppSecret", "dev/db", "prod/api", "prod/db"}},
		{"name prefix", &secretsmanager.ListSecretsInput{Filters: f(types.FilterNameStringTypeName, "prod/")}, []string{"prod/db", "prod/api"}},
		{"name is case-sensitive", &secretsmanager.ListSecretsInput{Filters: f(types.FilterNameStringTypeName, "PROD/")}, nil},
		{"negated name", &secretsmanager.ListSecretsInput{Filters: f(types.FilterNameStringTypeName, "!prod/")}, []string{"dev/db", "MyAppSecret"}},
		{"tag-key", &secretsmanager.ListSecretsInput{Filters: f(types.FilterNameStringTypeTagKey, "te")}, []string{"prod/db", "dev/db"}},
		{"tag-value", &secretsmanager.ListSecretsInput{Filters: f(types.FilterNameStringTypeTagValue, "blue")}, []string{"prod/db", "dev/db"}},
		{"description, any case", &secretsmanager.ListSecretsInput{Filters: f(types.FilterNameStringTypeDescription, "database")}, []string{"prod/db", "dev/db"}},
		{"all words", &secretsmanager.ListSecretsInput{Filters: f(types.FilterNameStringTypeAll, "AP")}, []string{"prod/api", "MyAppSecret"}},
		{"two filters", &secretsmanager.ListSecretsInput{Filters: append(f(types.FilterNameStringTypeName, "prod/"), f(types.FilterNameStringTypeTagValue, "blue")...)}, []string{"prod/db"}},
		{"primary-region", &secretsmanager.ListSecretsInput{Filters: f(types.FilterNameStringTypePrimaryRegion, "us-east")}, []string{"prod/db", "prod/api", "dev/db", "MyAppSecret"}},
		{"owning-service", &secretsmanager.ListSecretsInput{Filters: f(types.FilterNameStringTypeOwningService, "rds")}, nil},
		{"by name", &secretsmanager.ListSecretsInput{SortBy: types.SortByTypeName}, []string{"MyAppSecret", "dev/db", "prod/api", "prod/db"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := list(tc.in); !equal(got, tc.want) {
				t.Fatalf("ListSecrets = %v, want %v", got, tc.want)
			}
		})
	}
	// Paging.
	var got []string
	var token *string
	for {
		out := must[*secretsmanager.ListSecretsOutput](t, "ListSecrets page")(c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(3), NextToken: token}))
		got = append(got, names(out.SecretList)...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if !equal(got, []string{"prod/db", "prod/api", "dev/db", "MyAppSecret"}) {
		t.Fatalf("paged = %v", got)
	}
	_, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{NextToken: aws.String("bogus")})
	wantAPIError(t, "ListSecrets bad token", err, "InvalidNextTokenException")

	// A secret scheduled for deletion is listed only with IncludePlannedDeletion.
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret")(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("dev/db")}))
	if got := list(&secretsmanager.ListSecretsInput{}); !equal(got, []string{"prod/db", "prod/api", "MyAppSecret"}) {
		t.Fatalf("after delete = %v", got)
	}
	if got := list(&secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)}); len(got) != 4 {
		t.Fatalf("IncludePlannedDeletion = %v", got)
	}

	// BatchGetSecretValue by list: per-secret errors.
	b := must[*secretsmanager.BatchGetSecretValueOutput](t, "BatchGetSecretValue")(c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"prod/db", "absent", "dev/db", "prod/api"}}))
	if len(b.SecretValues) != 2 || *b.SecretValues[0].SecretString != "value-of-prod/db" || *b.SecretValues[1].SecretString != "value-of-prod/api" {
		t.Fatalf("SecretValues = %+v", b.SecretValues)
	}
	if len(b.Errors) != 2 || *b.Errors[0].SecretId != "absent" || *b.Errors[0].ErrorCode != "ResourceNotFoundException" ||
		*b.Errors[1].ErrorCode != "InvalidRequestException" || *b.Errors[1].Message != "You can't perform this operation on the secret because it was marked for deletion." {
		t.Fatalf("Errors = %+v", b.Errors)
	}
	// As in AWS, each secret the batch asked for has its own GetSecretValue
	// event beside the batch's, with the batch's request id.
	batchID, _ := awsmiddleware.GetRequestIDMetadata(b.ResultMetadata)
	reads := map[string]string{}
	var batchEvents int
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["requestID"] != batchID {
			continue
		}
		switch e["eventName"] {
		case "BatchGetSecretValue":
			batchEvents++
		case "GetSecretValue":
			id := e["requestParameters"].(map[string]any)["secretId"].(string)
			code, _ := e["errorCode"].(string)
			if code == "" {
				res, _ := json.Marshal(e["resources"])
				code = string(res)
			}
			reads[id] = code
		}
	}
	if batchEvents != 1 || len(reads) != 4 || reads["absent"] != "ResourceNotFoundException" || reads["dev/db"] != "InvalidRequestException" ||
		!strings.Contains(reads["prod/db"], ":secret:prod/db-") || !strings.Contains(reads["prod/api"], ":secret:prod/api-") {
		t.Fatalf("batch events: %d BatchGetSecretValue, GetSecretValue %v", batchEvents, reads)
	}
	// By filters, paged.
	b = must[*secretsmanager.BatchGetSecretValueOutput](t, "BatchGetSecretValue filters")(c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{
		Filters: f(types.FilterNameStringTypeName, "prod/"), MaxResults: aws.Int32(1)}))
	if len(b.SecretValues) != 1 || *b.SecretValues[0].Name != "prod/db" || b.NextToken == nil {
		t.Fatalf("filters page 1 = %+v", b)
	}
	b = must[*secretsmanager.BatchGetSecretValueOutput](t, "BatchGetSecretValue filters page 2")(c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{
		Filters: f(types.FilterNameStringTypeName, "prod/"), MaxResults: aws.Int32(1), NextToken: b.NextToken}))
	if len(b.SecretValues) != 1 || *b.SecretValues[0].Name != "prod/api" || b.NextToken != nil {
		t.Fatalf("filters page 2 = %+v", b)
	}
	_, err = c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"prod/db"}, Filters: f(types.FilterNameStringTypeName, "prod/")})
	wantMessage(t, "both SecretIdList and Filters", err, "InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided, but not both.")
	_, err = c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"prod/db"}, MaxResults: aws.Int32(2)})
	wantAPIError(t, "MaxResults without Filters", err, "InvalidParameterException")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDeletionWindow: a deleted secret refuses reads during its window,
// is described with its DeletedDate, restores, and is really gone when the
// window ends (the sweeper's RunDue, on the fake clock).
func TestDeletionWindow(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	out := create(t, c, "gone", "v")
	_, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("gone"), RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)})
	wantMessage(t, "both options", err, "InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("gone"), RecoveryWindowInDays: aws.Int64(6)})
	wantMessage(t, "window 6", err, "InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
	now := s.Clock.Now()
	d := must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret")(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("gone"), RecoveryWindowInDays: aws.Int64(7)}))
	if *d.ARN != *out.ARN || d.DeletionDate.Sub(now) < 7*24*time.Hour-time.Minute || d.DeletionDate.Sub(now) > 7*24*time.Hour+time.Minute {
		t.Fatalf("DeleteSecret = %+v (now %v)", d, now)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("gone")})
	wantMessage(t, "GetSecretValue scheduled", err, "InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("gone"), SecretString: aws.String("x")})
	wantAPIError(t, "PutSecretValue scheduled", err, "InvalidRequestException")
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("gone")})
	wantMessage(t, "DeleteSecret twice", err, "InvalidRequestException", "You tried to perform the operation on a secret that's currently marked deleted.")
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("gone"), SecretString: aws.String("v")})
	wantMessage(t, "CreateSecret over a scheduled one", err, "InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
	desc := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret scheduled")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("gone")}))
	if desc.DeletedDate == nil || !desc.DeletedDate.Equal(*d.DeletionDate) {
		t.Fatalf("DeletedDate = %v, want %v", desc.DeletedDate, d.DeletionDate)
	}
	must[*secretsmanager.RestoreSecretOutput](t, "RestoreSecret")(c.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("gone")}))
	if v := value(t, c, "gone"); v != "v" {
		t.Fatalf("after restore = %q", v)
	}
	desc = must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret restored")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("gone")}))
	if desc.DeletedDate != nil {
		t.Fatalf("DeletedDate after restore = %v", desc.DeletedDate)
	}

	// Delete again with the default 30 days; day 29 it is still there.
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret default")(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("gone")}))
	s.Clock.Advance(29 * 24 * time.Hour)
	if n, _, err := s.Srv.Secrets().RunDue(ctx, s.Clock.Now()); err != nil || n != 0 {
		t.Fatalf("RunDue on day 29 = %d, %v", n, err)
	}
	s.Clock.Advance(24*time.Hour + time.Minute)
	s.WaitSweep()
	_, err = c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("gone")})
	wantAPIError(t, "DescribeSecret after the window", err, "ResourceNotFoundException")
	again := create(t, c, "gone", "new")
	if *again.ARN == *out.ARN {
		t.Fatalf("a new secret under the old name kept the old ARN %s", *again.ARN)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: out.ARN})
	wantAPIError(t, "the old ARN", err, "ResourceNotFoundException")

	// Force: gone at once; a missing secret is no error.
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret force")(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("gone"), ForceDeleteWithoutRecovery: aws.Bool(true)}))
	_, err = c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("gone")})
	wantAPIError(t, "DescribeSecret after force", err, "ResourceNotFoundException")
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret force absent")(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("never"), ForceDeleteWithoutRecovery: aws.Bool(true)}))
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("never")})
	wantAPIError(t, "DeleteSecret absent", err, "ResourceNotFoundException")
}

func TestTags(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	create(t, c, "tagged", "v")
	must[*secretsmanager.TagResourceOutput](t, "TagResource")(c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}, {Key: aws.String("env"), Value: aws.String("prod")}}}))
	must[*secretsmanager.TagResourceOutput](t, "TagResource replace")(c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("tagged"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}))
	must[*secretsmanager.UntagResourceOutput](t, "UntagResource")(c.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: aws.String("tagged"), TagKeys: []string{"env", "absent"}}))
	d := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("tagged")}))
	if len(d.Tags) != 1 || *d.Tags[0].Key != "team" || *d.Tags[0].Value != "red" {
		t.Fatalf("tags = %+v", d.Tags)
	}
	_, err := c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("tagged"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	wantAPIError(t, "aws: tag", err, "InvalidParameterException")
	_, err = c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("absent"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("v")}}})
	wantAPIError(t, "TagResource absent", err, "ResourceNotFoundException")
}
