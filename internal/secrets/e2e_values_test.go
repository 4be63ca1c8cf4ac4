package secrets_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

var arnPattern = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-[A-Za-z0-9]{6}$`)

// TestCreateGetPut is the everyday flow: create with a value, read it by
// name, full ARN and partial ARN, put a new value (AWSCURRENT moves,
// AWSPREVIOUS follows), read the previous one back.
func TestCreateGetPut(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	out := create(t, c, "prod/db", `{"user":"app","password":"first-pass"}`)
	if !arnPattern.MatchString(*out.ARN) || *out.Name != "prod/db" || len(*out.VersionId) < 32 {
		t.Fatalf("CreateSecret = %s %s %s", *out.ARN, *out.Name, aws.ToString(out.VersionId))
	}
	partial := strings.TrimSuffix(*out.ARN, (*out.ARN)[len(*out.ARN)-7:])
	for _, id := range []string{"prod/db", *out.ARN, partial} {
		g := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if *g.SecretString != `{"user":"app","password":"first-pass"}` || *g.ARN != *out.ARN || *g.VersionId != *out.VersionId ||
			!slices.Equal(g.VersionStages, []string{"AWSCURRENT"}) || g.CreatedDate == nil {
			t.Fatalf("GetSecretValue(%s) = %+v", id, g)
		}
	}
	_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(*out.ARN + "x")})
	wantMessage(t, "GetSecretValue wrong ARN", err, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("absent")})
	wantMessage(t, "GetSecretValue absent", err, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")

	p := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String("second")}))
	if !slices.Equal(p.VersionStages, []string{"AWSCURRENT"}) || *p.VersionId == *out.VersionId {
		t.Fatalf("PutSecretValue = %+v", p)
	}
	if v := value(t, c, "prod/db"); v != "second" {
		t.Fatalf("AWSCURRENT = %q", v)
	}
	prev := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionStage: aws.String("AWSPREVIOUS")})
	if *prev.SecretString != `{"user":"app","password":"first-pass"}` || *prev.VersionId != *out.VersionId {
		t.Fatalf("AWSPREVIOUS = %+v", prev)
	}
	byID := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionId: out.VersionId})
	if !slices.Equal(byID.VersionStages, []string{"AWSPREVIOUS"}) {
		t.Fatalf("by VersionId stages = %v", byID.VersionStages)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionId: out.VersionId, VersionStage: aws.String("AWSCURRENT")})
	wantMessage(t, "VersionId and a stage it lacks", err, "InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionStage: aws.String("AWSPENDING")})
	wantMessage(t, "absent stage", err, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSPENDING")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionId: aws.String("00000000-0000-0000-0000-000000000000")})
	wantMessage(t, "absent version", err, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: 00000000-0000-0000-0000-000000000000")

	// A third value: AWSPREVIOUS moves on, the first version is deprecated.
	third := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue third")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String("third")}))
	d := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("prod/db")}))
	if len(d.VersionIdsToStages) != 2 || !slices.Equal(d.VersionIdsToStages[*third.VersionId], []string{"AWSCURRENT"}) ||
		!slices.Equal(d.VersionIdsToStages[*p.VersionId], []string{"AWSPREVIOUS"}) || d.KmsKeyId != nil || d.CreatedDate == nil || d.LastChangedDate == nil {
		t.Fatalf("DescribeSecret = %+v", d)
	}
	l := must[*secretsmanager.ListSecretVersionIdsOutput](t, "ListSecretVersionIds")(c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("prod/db")}))
	if len(l.Versions) != 2 || *l.Versions[0].VersionId != *third.VersionId || !slices.Equal(l.Versions[0].KmsKeyIds, []string{"DefaultEncryptionKey"}) {
		t.Fatalf("ListSecretVersionIds = %+v", l.Versions)
	}
	l = must[*secretsmanager.ListSecretVersionIdsOutput](t, "ListSecretVersionIds deprecated")(c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("prod/db"), IncludeDeprecated: aws.Bool(true), MaxResults: aws.Int32(2)}))
	if len(l.Versions) != 2 || l.NextToken == nil {
		t.Fatalf("ListSecretVersionIds page 1 = %+v", l)
	}
	l = must[*secretsmanager.ListSecretVersionIdsOutput](t, "ListSecretVersionIds page 2")(c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("prod/db"), IncludeDeprecated: aws.Bool(true), NextToken: l.NextToken}))
	if len(l.Versions) != 1 || *l.Versions[0].VersionId != *out.VersionId || len(l.Versions[0].VersionStages) != 0 || l.NextToken != nil {
		t.Fatalf("ListSecretVersionIds page 2 = %+v", l)
	}

	// Binary secrets.
	bin := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret binary")(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bin"), SecretBinary: []byte{0, 1, 2, 255}}))
	g := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: bin.ARN})
	if string(g.SecretBinary) != "\x00\x01\x02\xff" || g.SecretString != nil {
		t.Fatalf("binary = %+v", g)
	}
}

func TestCreateRules(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("both"), SecretString: aws.String("x"), SecretBinary: []byte("y")})
	wantMessage(t, "both values", err, "InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bad name!"), SecretString: aws.String("x")})
	wantAPIError(t, "bad name", err, "ValidationException")
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("big"), SecretString: aws.String(strings.Repeat("x", 65537))})
	if err == nil {
		t.Fatal("CreateSecret of 65,537 bytes succeeded")
	}
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("rep"), SecretString: aws.String("x"),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("us-east-1")}}})
	wantMessage(t, "AddReplicaRegions of its own Region", err, "InvalidParameterException", "Invalid replica region.")
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("rep"), SecretString: aws.String("x"),
		AddReplicaRegions: []types.ReplicaRegionType{{Region: aws.String("Not A Region")}}})
	wantAPIError(t, "AddReplicaRegions of a bad Region", err, "ValidationException")

	// Idempotency: the same token and value answer the same version; the
	// same token with another value is refused.
	token := "11111111-2222-3333-4444-555555555555"
	first := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret token")(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(token),
		Description: aws.String("idempotent"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	again := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret retry")(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(token)}))
	if *again.ARN != *first.ARN || *again.VersionId != token {
		t.Fatalf("retry = %+v, want %+v", again, first)
	}
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v2"), ClientRequestToken: aws.String(token)})
	inUse := "You can't use ClientRequestToken " + token + " because that value is already in use for a version of secret " + *first.ARN + "."
	wantMessage(t, "CreateSecret same token other value", err, "ResourceExistsException", inUse)
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("idem"), SecretString: aws.String("v1")})
	wantMessage(t, "CreateSecret existing", err, "ResourceExistsException", "The operation failed because the secret idem already exists.")

	// A token with control characters is refused, whatever the call:
	// it would become a VersionId (40 NUL bytes did).
	for _, bad := range []string{strings.Repeat("\x00", 40), "11111111-2222-3333-4444-55555555555\n", "11111111-2222-3333-4444\t555555555555"} {
		calls := map[string]error{}
		_, calls["CreateSecret"] = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("ctl"), SecretString: aws.String("v"), ClientRequestToken: aws.String(bad)})
		_, calls["PutSecretValue"] = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: first.ARN, SecretString: aws.String("v"), ClientRequestToken: aws.String(bad)})
		_, calls["UpdateSecret"] = c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: first.ARN, SecretString: aws.String("v"), ClientRequestToken: aws.String(bad)})
		_, calls["RotateSecret"] = c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: first.ARN, ClientRequestToken: aws.String(bad)})
		for call, err := range calls {
			wantMessage(t, fmt.Sprintf("%s with token %q", call, bad), err, "ValidationException", "Member must not contain control characters")
		}
	}

	ptoken := "99999999-2222-3333-4444-555555555555"
	p1 := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue token")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v2"), ClientRequestToken: aws.String(ptoken)}))
	p2 := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue retry")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v2"), ClientRequestToken: aws.String(ptoken)}))
	if *p1.VersionId != ptoken || *p2.VersionId != ptoken {
		t.Fatalf("PutSecretValue retry = %+v / %+v", p1, p2)
	}
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("idem"), SecretString: aws.String("v3"), ClientRequestToken: aws.String(ptoken)})
	wantMessage(t, "PutSecretValue same token other value", err, "ResourceExistsException",
		"You can't use ClientRequestToken "+ptoken+" because that value is already in use for a version of secret "+*first.ARN+".")
	_, err = c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: first.ARN, SecretString: aws.String("v3"), ClientRequestToken: aws.String(ptoken)})
	wantMessage(t, "UpdateSecret same token other value", err, "ResourceExistsException",
		"You can't use ClientRequestToken "+ptoken+" because that value is already in use for a version of secret "+*first.ARN+".")
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("idem")})
	wantMessage(t, "PutSecretValue without a value", err, "InvalidRequestException", "You must provide either SecretString or SecretBinary.")
	l := must[*secretsmanager.ListSecretVersionIdsOutput](t, "ListSecretVersionIds")(c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("idem"), IncludeDeprecated: aws.Bool(true)}))
	if len(l.Versions) != 2 {
		t.Fatalf("a retried put made a version: %+v", l.Versions)
	}

	// A secret without a value: the first PutSecretValue gets AWSCURRENT,
	// whatever stages it asks for.
	empty := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret empty")(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empty")}))
	if empty.VersionId != nil {
		t.Fatalf("CreateSecret without a value made version %s", *empty.VersionId)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("empty")})
	wantMessage(t, "GetSecretValue empty", err, "ResourceNotFoundException", "staging label: AWSCURRENT")
	pp := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue first pending")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("empty"), SecretString: aws.String("p"), VersionStages: []string{"AWSPENDING"}}))
	if !slices.Equal(pp.VersionStages, []string{"AWSCURRENT", "AWSPENDING"}) {
		t.Fatalf("first version stages = %v", pp.VersionStages)
	}
}

// TestStagingLabels moves labels as AWS does: PutSecretValue with
// AWSPENDING leaves AWSCURRENT alone; UpdateSecretVersionStage moves
// AWSCURRENT (AWSPREVIOUS follows) and refuses what AWS refuses.
func TestStagingLabels(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	v1 := *create(t, c, "app", "one").VersionId
	v2 := *must[*secretsmanager.PutSecretValueOutput](t, "put pending")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("two"), VersionStages: []string{"AWSPENDING"}})).VersionId
	if v := value(t, c, "app"); v != "one" {
		t.Fatalf("AWSCURRENT after a pending put = %q", v)
	}
	stages := func() map[string][]string {
		return must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app")})).VersionIdsToStages
	}
	_, err := c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app"), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v2)})
	wantMessage(t, "move AWSCURRENT without RemoveFromVersionId", err, "InvalidParameterException",
		"The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version "+v1+", so you must explicitly reference that version in RemoveFromVersionId.")
	_, err = c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app"), VersionStage: aws.String("AWSCURRENT"), RemoveFromVersionId: aws.String(v1)})
	wantMessage(t, "remove AWSCURRENT", err, "InvalidParameterException", "You can only move staging label AWSCURRENT to a different secret version.")
	must[*secretsmanager.UpdateSecretVersionStageOutput](t, "move AWSCURRENT")(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v2), RemoveFromVersionId: aws.String(v1)}))
	m := stages()
	if !slices.Equal(m[v2], []string{"AWSCURRENT", "AWSPENDING"}) || !slices.Equal(m[v1], []string{"AWSPREVIOUS"}) {
		t.Fatalf("after the move: %v", m)
	}
	if v := value(t, c, "app"); v != "two" {
		t.Fatalf("AWSCURRENT after the move = %q", v)
	}
	// Finish a rotation: take AWSPENDING off.
	must[*secretsmanager.UpdateSecretVersionStageOutput](t, "remove AWSPENDING")(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app"),
		VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: aws.String(v2)}))
	// A custom label, then moved back to v1 (the label named, its owner named).
	must[*secretsmanager.UpdateSecretVersionStageOutput](t, "add a label")(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app"),
		VersionStage: aws.String("blue"), MoveToVersionId: aws.String(v2)}))
	_, err = c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app"), VersionStage: aws.String("blue"), MoveToVersionId: aws.String(v1), RemoveFromVersionId: aws.String(v1)})
	wantAPIError(t, "RemoveFromVersionId without the label", err, "InvalidParameterException")
	must[*secretsmanager.UpdateSecretVersionStageOutput](t, "move the label")(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app"),
		VersionStage: aws.String("blue"), MoveToVersionId: aws.String(v1), RemoveFromVersionId: aws.String(v2)}))
	m = stages()
	if !slices.Equal(m[v2], []string{"AWSCURRENT"}) || !slices.Equal(m[v1], []string{"AWSPREVIOUS", "blue"}) {
		t.Fatalf("after the custom label: %v", m)
	}
	if v := aws.ToString(get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app"), VersionStage: aws.String("blue")}).SecretString); v != "one" {
		t.Fatalf("blue = %q", v)
	}
	_, err = c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app"), VersionStage: aws.String("x"), MoveToVersionId: aws.String("00000000-0000-0000-0000-000000000000")})
	wantAPIError(t, "move to an absent version", err, "InvalidParameterException")

	// UpdateSecret with a value makes a new AWSCURRENT version.
	u := must[*secretsmanager.UpdateSecretOutput](t, "UpdateSecret")(c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("app"), SecretString: aws.String("three"), Description: aws.String("the app")}))
	m = stages()
	if u.VersionId == nil || !slices.Equal(m[*u.VersionId], []string{"AWSCURRENT"}) || !slices.Equal(m[v2], []string{"AWSPREVIOUS"}) || !slices.Equal(m[v1], []string{"blue"}) {
		t.Fatalf("after UpdateSecret: %v", m)
	}
	u = must[*secretsmanager.UpdateSecretOutput](t, "UpdateSecret description")(c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("app"), Description: aws.String("new description")}))
	if u.VersionId != nil {
		t.Fatalf("UpdateSecret without a value made version %s", *u.VersionId)
	}
	d := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app")}))
	if aws.ToString(d.Description) != "new description" {
		t.Fatalf("description = %q", aws.ToString(d.Description))
	}
}
