package kms_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestAliases(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	a, b := createKey(t, c, "a"), createKey(t, c, "b")
	create := func(name string, target *string) error {
		_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(name), TargetKeyId: target})
		return err
	}
	if err := create("alias/app", a.KeyId); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}
	e := wantAPIError(t, "CreateAlias(duplicate)", create("alias/app", b.KeyId), "AlreadyExistsException", 400)
	if e.Message != "An alias with the name arn:aws:kms:us-east-1:123456789012:alias/app already exists" {
		t.Fatalf("message = %q", e.Message)
	}
	wantAPIError(t, "CreateAlias(no prefix)", create("app2", a.KeyId), "ValidationException", 400)
	wantAPIError(t, "CreateAlias(reserved)", create("alias/aws/mine", a.KeyId), "AccessDeniedException", 400)
	wantAPIError(t, "CreateAlias(bad characters)", create("alias/sp ace", a.KeyId), "ValidationException", 400)
	wantAPIError(t, "CreateAlias(to an alias)", create("alias/app2", aws.String("alias/app")), "ValidationException", 400)
	wantAPIError(t, "CreateAlias(missing key)", create("alias/app2", aws.String("1234abcd-12ab-34cd-56ef-1234567890ab")), "NotFoundException", 400)
	if err := create("alias/app-b", b.KeyId); err != nil {
		t.Fatalf("CreateAlias: %v", err)
	}

	must[*kms.UpdateAliasOutput](t, "UpdateAlias")(c.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: b.KeyId}))
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/app")}))
	if *d.KeyMetadata.KeyId != *b.KeyId {
		t.Fatalf("alias/app points at %s after UpdateAlias, want %s", *d.KeyMetadata.KeyId, *b.KeyId)
	}
	_, err := c.UpdateAlias(ctx, &kms.UpdateAliasInput{AliasName: aws.String("alias/none"), TargetKeyId: b.KeyId})
	wantAPIError(t, "UpdateAlias(missing)", err, "NotFoundException", 400)

	byKey := must[*kms.ListAliasesOutput](t, "ListAliases")(c.ListAliases(ctx, &kms.ListAliasesInput{KeyId: b.KeyId}))
	if len(byKey.Aliases) != 2 {
		t.Fatalf("ListAliases(key b) = %d aliases, want 2", len(byKey.Aliases))
	}
	for _, al := range byKey.Aliases {
		if *al.TargetKeyId != *b.KeyId || *al.AliasArn != "arn:aws:kms:us-east-1:123456789012:"+*al.AliasName || al.CreationDate == nil {
			t.Fatalf("alias entry = %+v", al)
		}
	}
	// All aliases, paged one at a time: ours plus the predefined AWS ones.
	var names []string
	var marker *string
	for {
		out := must[*kms.ListAliasesOutput](t, "ListAliases")(c.ListAliases(ctx, &kms.ListAliasesInput{Limit: aws.Int32(1), Marker: marker}))
		for _, al := range out.Aliases {
			names = append(names, *al.AliasName)
		}
		if !out.Truncated {
			break
		}
		marker = out.NextMarker
	}
	want := []string{"alias/app", "alias/app-b", "alias/aws/lambda", "alias/aws/secretsmanager", "alias/aws/ssm"}
	if len(names) != len(want) {
		t.Fatalf("ListAliases = %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("ListAliases = %v, want %v", names, want)
		}
	}

	must[*kms.DeleteAliasOutput](t, "DeleteAlias")(c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/app")}))
	_, err = c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String("alias/app")})
	wantAPIError(t, "DeleteAlias(again)", err, "NotFoundException", 400)
	must[*kms.DescribeKeyOutput](t, "DescribeKey(key of deleted alias)")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: b.KeyId}))
}

func TestAWSManagedKeysCreatedOnFirstUse(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey(alias/aws/ssm)")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/ssm")}))
	md := d.KeyMetadata
	if md.KeyManager != types.KeyManagerTypeAws || md.KeyState != types.KeyStateEnabled {
		t.Fatalf("alias/aws/ssm key = %+v", md)
	}
	again := must[*kms.DescribeKeyOutput](t, "DescribeKey(alias/aws/ssm)")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/ssm")}))
	if *again.KeyMetadata.KeyId != *md.KeyId {
		t.Fatalf("second use made another key: %s, then %s", *md.KeyId, *again.KeyMetadata.KeyId)
	}
	rot := must[*kms.GetKeyRotationStatusOutput](t, "GetKeyRotationStatus")(c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: md.KeyId}))
	if !rot.KeyRotationEnabled {
		t.Fatalf("AWS-managed key does not rotate")
	}
	// Its policy admits use only through its service (kms:ViaService), so a
	// direct call is denied even to the account's root, as in AWS.
	_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/aws/secretsmanager"), Plaintext: []byte("x")})
	wantAPIError(t, "Encrypt(alias/aws/secretsmanager) directly", err, "AccessDeniedException", 400)
	for name, call := range map[string]func() error{
		"DisableKey": func() error { _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: md.KeyId}); return err },
		"ScheduleKeyDeletion": func() error {
			_, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: md.KeyId})
			return err
		},
		"PutKeyPolicy": func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: md.KeyId, Policy: aws.String(`{"Statement":[{}]}`)})
			return err
		},
		"CreateAlias": func() error {
			_, err := c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/mine"), TargetKeyId: md.KeyId})
			return err
		},
	} {
		wantAPIError(t, name+"(AWS-managed key)", call(), "AccessDeniedException", 400)
	}
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/unknown-service")})
	wantAPIError(t, "DescribeKey(alias/aws/unknown-service)", err, "NotFoundException", 400)
}
