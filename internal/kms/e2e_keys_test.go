package kms_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestCreateAndDescribeKey(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createKey(t, c, "orders database")
	if md.KeyState != types.KeyStateEnabled || !md.Enabled || md.KeyManager != types.KeyManagerTypeCustomer ||
		md.KeySpec != types.KeySpecSymmetricDefault || md.KeyUsage != types.KeyUsageTypeEncryptDecrypt ||
		md.Origin != types.OriginTypeAwsKms || aws.ToString(md.Description) != "orders database" ||
		aws.ToString(md.AWSAccountId) != sealtest.AccountID || md.MultiRegion == nil || *md.MultiRegion ||
		len(md.EncryptionAlgorithms) != 1 || md.CreationDate == nil || len(aws.ToString(md.CurrentKeyMaterialId)) != 64 {
		t.Fatalf("CreateKey metadata = %+v", md)
	}
	wantARN := "arn:aws:kms:us-east-1:123456789012:key/" + *md.KeyId
	if *md.Arn != wantARN {
		t.Fatalf("Arn = %s, want %s", *md.Arn, wantARN)
	}
	must[*kms.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/orders"), TargetKeyId: md.KeyId}))
	for _, id := range []string{*md.KeyId, *md.Arn, "alias/orders", "arn:aws:kms:us-east-1:123456789012:alias/orders"} {
		out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribeKey(%s): %v", id, err)
		}
		if *out.KeyMetadata.KeyId != *md.KeyId {
			t.Fatalf("DescribeKey(%s).KeyId = %s, want %s", id, *out.KeyMetadata.KeyId, *md.KeyId)
		}
	}
	_, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab")})
	e := wantAPIError(t, "DescribeKey(missing)", err, "NotFoundException", 400)
	if e.Message != "Key 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist" {
		t.Fatalf("message = %q", e.Message)
	}
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/nope")})
	e = wantAPIError(t, "DescribeKey(alias/nope)", err, "NotFoundException", 400)
	if e.Message != "Alias arn:aws:kms:us-east-1:123456789012:alias/nope is not found." {
		t.Fatalf("message = %q", e.Message)
	}
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("not-a-key")})
	wantAPIError(t, "DescribeKey(not-a-key)", err, "NotFoundException", 400)
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("")})
	wantAPIError(t, "DescribeKey('')", err, "ValidationException", 400)
}

func TestCreateKeyRejectsWhatIsNotServed(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	cases := []struct {
		name string
		in   kms.CreateKeyInput
		code string
	}{
		{"SM2 (China Regions only)", kms.CreateKeyInput{KeySpec: types.KeySpecSm2, KeyUsage: types.KeyUsageTypeSignVerify}, "UnsupportedOperationException"},
		{"ECC with the default usage", kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256}, "ValidationException"},
		{"HMAC signing", kms.CreateKeyInput{KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeSignVerify}, "ValidationException"},
		{"secp256k1 agreement", kms.CreateKeyInput{KeySpec: types.KeySpecEccSecgP256k1, KeyUsage: types.KeyUsageTypeKeyAgreement}, "ValidationException"},
		//lint:ignore SA1019 old clients still send CustomerMasterKeySpec, and CreateKey must refuse it beside KeySpec as AWS does.
		{"both specs", kms.CreateKeyInput{KeySpec: types.KeySpecSymmetricDefault, CustomerMasterKeySpec: types.CustomerMasterKeySpecSymmetricDefault}, "ValidationException"},
		{"sign usage", kms.CreateKeyInput{KeyUsage: types.KeyUsageTypeSignVerify}, "ValidationException"},
		{"bad enum", kms.CreateKeyInput{KeyUsage: "NOPE"}, "ValidationException"},
		{"external ML-DSA", kms.CreateKeyInput{Origin: types.OriginTypeExternal, KeySpec: types.KeySpecMlDsa65, KeyUsage: types.KeyUsageTypeSignVerify}, "UnsupportedOperationException"},
		{"CloudHSM origin", kms.CreateKeyInput{Origin: types.OriginTypeAwsCloudhsm}, "UnsupportedOperationException"},
		{"custom key store", kms.CreateKeyInput{CustomKeyStoreId: aws.String("cks-1234567890abcdef0")}, "CustomKeyStoreNotFoundException"},
		{"malformed policy", kms.CreateKeyInput{Policy: aws.String("{not json")}, "MalformedPolicyDocumentException"},
		{"reserved tag", kms.CreateKeyInput{Tags: []types.Tag{{TagKey: aws.String("aws:x"), TagValue: aws.String("v")}}}, "TagException"},
		{"duplicate tag", kms.CreateKeyInput{Tags: []types.Tag{{TagKey: aws.String("a"), TagValue: aws.String("1")}, {TagKey: aws.String("a"), TagValue: aws.String("2")}}}, "TagException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateKey(ctx, &tc.in)
			wantAPIError(t, "CreateKey", err, tc.code, 400)
		})
	}
	out := must[*kms.ListKeysOutput](t, "ListKeys")(c.ListKeys(ctx, &kms.ListKeysInput{}))
	if len(out.Keys) != 0 {
		t.Fatalf("a refused CreateKey left %d keys behind", len(out.Keys))
	}
}

func TestListKeysPaging(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		want[*createKey(t, c, "k").KeyId] = true
	}
	got := map[string]bool{}
	var marker *string
	pages := 0
	for {
		out := must[*kms.ListKeysOutput](t, "ListKeys")(c.ListKeys(ctx, &kms.ListKeysInput{Limit: aws.Int32(2), Marker: marker}))
		pages++
		for _, k := range out.Keys {
			if got[*k.KeyId] {
				t.Fatalf("key %s listed twice", *k.KeyId)
			}
			got[*k.KeyId] = true
			if *k.KeyArn != "arn:aws:kms:us-east-1:123456789012:key/"+*k.KeyId {
				t.Fatalf("KeyArn = %s", *k.KeyArn)
			}
		}
		if !out.Truncated {
			break
		}
		marker = out.NextMarker
	}
	if pages != 3 || len(got) != 5 {
		t.Fatalf("pages = %d, keys = %d; want 3 pages, 5 keys", pages, len(got))
	}
	_, err := c.ListKeys(ctx, &kms.ListKeysInput{Marker: aws.String("garbage")})
	wantAPIError(t, "ListKeys(bad marker)", err, "InvalidMarkerException", 400)
	_, err = c.ListKeys(ctx, &kms.ListKeysInput{Limit: aws.Int32(1001)})
	wantAPIError(t, "ListKeys(limit 1001)", err, "ValidationException", 400)
}

func TestKeyStates(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createKey(t, c, "states")
	id := md.KeyId
	pt := []byte("hello")
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: pt}))

	must[*kms.DisableKeyOutput](t, "DisableKey")(c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id}))
	_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: pt})
	e := wantAPIError(t, "Encrypt(disabled)", err, "DisabledException", 400)
	if e.Message != *md.Arn+" is disabled." {
		t.Fatalf("message = %q", e.Message)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantAPIError(t, "Decrypt(disabled)", err, "DisabledException", 400)
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id}))
	if d.KeyMetadata.Enabled || d.KeyMetadata.KeyState != types.KeyStateDisabled {
		t.Fatalf("disabled key metadata = %+v", d.KeyMetadata)
	}
	must[*kms.EnableKeyOutput](t, "EnableKey")(c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: id}))
	must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}))

	must[*kms.UpdateKeyDescriptionOutput](t, "UpdateKeyDescription")(c.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: id, Description: aws.String("renamed")}))
	d = must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id}))
	if *d.KeyMetadata.Description != "renamed" {
		t.Fatalf("Description = %q", *d.KeyMetadata.Description)
	}
	_, err = c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String("alias/x")})
	wantAPIError(t, "EnableKey(alias)", err, "NotFoundException", 400)
}

func TestScheduledDeletion(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createKey(t, c, "doomed")
	id := md.KeyId
	must[*kms.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/doomed"), TargetKeyId: id}))
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")}))

	for _, days := range []int32{6, 31} {
		_, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(days)})
		wantAPIError(t, "ScheduleKeyDeletion", err, "ValidationException", 400)
	}
	now := s.Clock.Now()
	out := must[*kms.ScheduleKeyDeletionOutput](t, "ScheduleKeyDeletion")(c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id}))
	if *out.PendingWindowInDays != 30 || out.KeyState != types.KeyStatePendingDeletion || *out.KeyId != *md.Arn {
		t.Fatalf("ScheduleKeyDeletion = %+v", out)
	}
	if d := out.DeletionDate.Sub(now); d < 30*24*time.Hour-time.Second || d > 30*24*time.Hour+time.Second {
		t.Fatalf("DeletionDate is %v after now, want 30 days", d)
	}
	_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	e := wantAPIError(t, "Encrypt(pending deletion)", err, "KMSInvalidStateException", 400)
	if e.Message != *md.Arn+" is pending deletion." {
		t.Fatalf("message = %q", e.Message)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantAPIError(t, "Decrypt(pending deletion)", err, "KMSInvalidStateException", 400)
	_, err = c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: id})
	wantAPIError(t, "EnableKey(pending deletion)", err, "KMSInvalidStateException", 400)
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id}))
	if d.KeyMetadata.DeletionDate == nil || aws.ToInt32(d.KeyMetadata.PendingDeletionWindowInDays) != 30 || d.KeyMetadata.Enabled {
		t.Fatalf("pending key metadata = %+v", d.KeyMetadata)
	}

	cancel := must[*kms.CancelKeyDeletionOutput](t, "CancelKeyDeletion")(c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: id}))
	if *cancel.KeyId != *md.Arn {
		t.Fatalf("CancelKeyDeletion.KeyId = %s", *cancel.KeyId)
	}
	d = must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id}))
	if d.KeyMetadata.KeyState != types.KeyStateDisabled || d.KeyMetadata.DeletionDate != nil {
		t.Fatalf("cancelled key metadata = %+v, want Disabled without DeletionDate", d.KeyMetadata)
	}
	_, err = c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: id})
	wantAPIError(t, "CancelKeyDeletion(not pending)", err, "KMSInvalidStateException", 400)

	// Seven days later the sweeper really deletes the key, its aliases and
	// its material; a second key is untouched.
	keep := createKey(t, c, "kept")
	must[*kms.ScheduleKeyDeletionOutput](t, "ScheduleKeyDeletion")(c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(7)}))
	s.Clock.Advance(7*24*time.Hour - time.Minute)
	if deleted, _, err := s.Srv.KMS().RunDue(ctx, s.Clock.Now()); err != nil || deleted != 0 {
		t.Fatalf("RunDue a minute before the window ends = %d deleted, %v; want 0, nil", deleted, err)
	}
	must[*kms.DescribeKeyOutput](t, "DescribeKey(before window ends)")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id}))
	s.Clock.Advance(2 * time.Minute)
	s.WaitSweep()
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	wantAPIError(t, "DescribeKey(after its window ended and a sweep)", err, "NotFoundException", 400)
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/doomed")})
	wantAPIError(t, "DescribeKey(alias of deleted key)", err, "NotFoundException", 400)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantAPIError(t, "Decrypt(deleted key)", err, "InvalidCiphertextException", 400)
	must[*kms.DescribeKeyOutput](t, "DescribeKey(kept)")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: keep.KeyId}))
}

func TestTags(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := createKey(t, c, "tagged").KeyId
	tag := func(k, v string) types.Tag { return types.Tag{TagKey: aws.String(k), TagValue: aws.String(v)} }
	must[*kms.TagResourceOutput](t, "TagResource")(c.TagResource(ctx, &kms.TagResourceInput{KeyId: id, Tags: []types.Tag{tag("team", "payments"), tag("env", "prod")}}))
	must[*kms.TagResourceOutput](t, "TagResource")(c.TagResource(ctx, &kms.TagResourceInput{KeyId: id, Tags: []types.Tag{tag("env", "staging")}}))
	out := must[*kms.ListResourceTagsOutput](t, "ListResourceTags")(c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: id}))
	got := map[string]string{}
	for _, tg := range out.Tags {
		got[*tg.TagKey] = *tg.TagValue
	}
	if len(got) != 2 || got["env"] != "staging" || got["team"] != "payments" {
		t.Fatalf("tags = %v", got)
	}
	must[*kms.UntagResourceOutput](t, "UntagResource")(c.UntagResource(ctx, &kms.UntagResourceInput{KeyId: id, TagKeys: []string{"team", "absent"}}))
	out = must[*kms.ListResourceTagsOutput](t, "ListResourceTags")(c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: id}))
	if len(out.Tags) != 1 || *out.Tags[0].TagKey != "env" {
		t.Fatalf("tags after untag = %+v", out.Tags)
	}
	_, err := c.TagResource(ctx, &kms.TagResourceInput{KeyId: id, Tags: []types.Tag{tag("aws:reserved", "x")}})
	wantAPIError(t, "TagResource(aws:)", err, "TagException", 400)
}

func TestKeyPolicy(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := createKey(t, c, "policy").KeyId
	out := must[*kms.GetKeyPolicyOutput](t, "GetKeyPolicy")(c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: id}))
	var doc struct {
		Statement []struct {
			Effect    string
			Principal map[string]string
			Action    string
		}
	}
	if err := json.Unmarshal([]byte(*out.Policy), &doc); err != nil {
		t.Fatalf("default policy is not JSON: %v", err)
	}
	if len(doc.Statement) != 1 || doc.Statement[0].Principal["AWS"] != "arn:aws:iam::123456789012:root" || doc.Statement[0].Action != "kms:*" {
		t.Fatalf("default policy = %s", *out.Policy)
	}
	if aws.ToString(out.PolicyName) != "default" {
		t.Fatalf("PolicyName = %v", out.PolicyName)
	}
	s.Principals(t, "role/deploy") // the policies below name it
	// A policy that would lock the caller out is refused unless bypassed.
	deployOnly := `{"Version":"2012-10-17","Statement":[{"Sid":"deploy","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/deploy"},"Action":["kms:Encrypt","kms:DescribeKey"],"Resource":"*"}]}`
	_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: id, Policy: &deployOnly})
	e := wantAPIError(t, "PutKeyPolicy(lockout)", err, "MalformedPolicyDocumentException", 400)
	if e.Message != "The new key policy will not allow you to update the key policy in the future." {
		t.Fatalf("message = %q", e.Message)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"deploy","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/deploy"},"Action":["kms:Encrypt","kms:DescribeKey"],"Resource":"*"}]}`
	must[*kms.PutKeyPolicyOutput](t, "PutKeyPolicy")(c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: id, Policy: &policy}))
	out = must[*kms.GetKeyPolicyOutput](t, "GetKeyPolicy")(c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: id, PolicyName: aws.String("default")}))
	if *out.Policy != policy {
		t.Fatalf("policy = %s, want %s", *out.Policy, policy)
	}
	_, err = c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(`{"Statement": []}`)})
	wantAPIError(t, "PutKeyPolicy(no statements)", err, "MalformedPolicyDocumentException", 400)
	_, err = c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: id, PolicyName: aws.String("other")})
	wantAPIError(t, "GetKeyPolicy(other)", err, "NotFoundException", 400)
	names := must[*kms.ListKeyPoliciesOutput](t, "ListKeyPolicies")(c.ListKeyPolicies(ctx, &kms.ListKeyPoliciesInput{KeyId: id}))
	if len(names.PolicyNames) != 1 || names.PolicyNames[0] != "default" {
		t.Fatalf("PolicyNames = %v", names.PolicyNames)
	}
}

func TestRegionsAreSeparateNamespaces(t *testing.T) {
	s := sealtest.Start(t)
	east := s.KMSIn("us-east-1")
	md := createKey(t, east, "east")
	_, err := s.KMSIn("eu-west-1").DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: md.KeyId})
	wantAPIError(t, "DescribeKey(other region)", err, "NotFoundException", 400)
	_, err = s.KMSIn("eu-west-1").DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: md.Arn})
	wantAPIError(t, "DescribeKey(other region's ARN)", err, "NotFoundException", 400)
	cn := createKey(t, s.KMSIn("cn-north-1"), "china")
	if !strings.HasPrefix(*cn.Arn, "arn:aws-cn:kms:cn-north-1:123456789012:key/") {
		t.Fatalf("cn-north-1 ARN = %s", *cn.Arn)
	}
	gov := createKey(t, s.KMSIn("us-gov-west-1"), "gov")
	if !strings.HasPrefix(*gov.Arn, "arn:aws-us-gov:kms:us-gov-west-1:") {
		t.Fatalf("us-gov-west-1 ARN = %s", *gov.Arn)
	}
	list := must[*kms.ListKeysOutput](t, "ListKeys")(east.ListKeys(ctx, &kms.ListKeysInput{}))
	if len(list.Keys) != 1 {
		t.Fatalf("us-east-1 lists %d keys, want 1", len(list.Keys))
	}
}

func TestRestartKeepsKeys(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := createKey(t, c, "durable").KeyId
	ec := map[string]string{"purpose": "restart"}
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("survives"), EncryptionContext: ec}))
	s.Restart()
	c = s.KMS()
	dec := must[*kms.DecryptOutput](t, "Decrypt after restart")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))
	if string(dec.Plaintext) != "survives" {
		t.Fatalf("Plaintext = %q", dec.Plaintext)
	}
}
