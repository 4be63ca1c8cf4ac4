package kms_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

const east, west = "us-east-1", "eu-west-1"

func createMRK(t *testing.T, c *kms.Client, in *kms.CreateKeyInput) *types.KeyMetadata {
	t.Helper()
	in.MultiRegion = aws.Bool(true)
	return must[*kms.CreateKeyOutput](t, "CreateKey(MultiRegion)")(c.CreateKey(ctx, in)).KeyMetadata
}

func describe(t *testing.T, c *kms.Client, id string) *types.KeyMetadata {
	t.Helper()
	return must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})).KeyMetadata
}

func wantConfig(t *testing.T, md *types.KeyMetadata, typ types.MultiRegionKeyType, primary string, replicas ...string) {
	t.Helper()
	c := md.MultiRegionConfiguration
	if !aws.ToBool(md.MultiRegion) || c == nil {
		t.Fatalf("%s: MultiRegion %v, configuration %+v", *md.Arn, aws.ToBool(md.MultiRegion), c)
	}
	if c.MultiRegionKeyType != typ || aws.ToString(c.PrimaryKey.Region) != primary ||
		aws.ToString(c.PrimaryKey.Arn) != strings.Replace(*md.Arn, ":"+regionOf(*md.Arn)+":", ":"+primary+":", 1) {
		t.Fatalf("%s: type %s, primary %s %s; want %s in %s", *md.Arn, c.MultiRegionKeyType, aws.ToString(c.PrimaryKey.Region), aws.ToString(c.PrimaryKey.Arn), typ, primary)
	}
	var got []string
	for _, r := range c.ReplicaKeys {
		got = append(got, aws.ToString(r.Region))
	}
	if strings.Join(got, ",") != strings.Join(replicas, ",") {
		t.Fatalf("%s: replicas %v, want %v", *md.Arn, got, replicas)
	}
}

func regionOf(arn string) string { return strings.Split(arn, ":")[3] }

func TestMultiRegionKeys(t *testing.T) {
	s := sealtest.Start(t)
	ce, cw := s.KMSIn(east), s.KMSIn(west)
	md := createMRK(t, ce, &kms.CreateKeyInput{Description: aws.String("primary")})
	id := *md.KeyId
	if !strings.HasPrefix(id, "mrk-") || len(id) != 36 {
		t.Fatalf("multi-Region key id %q", id)
	}
	wantConfig(t, md, types.MultiRegionKeyTypePrimary, east)

	_, err := cw.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
	wantAPIError(t, "DescribeKey(before ReplicateKey)", err, "NotFoundException", 400)
	rep := must[*kms.ReplicateKeyOutput](t, "ReplicateKey")(ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{
		KeyId: &id, ReplicaRegion: aws.String(west), Description: aws.String("replica"),
		Tags: []types.Tag{{TagKey: aws.String("k"), TagValue: aws.String("v")}},
	}))
	if *rep.ReplicaKeyMetadata.KeyId != id || regionOf(*rep.ReplicaKeyMetadata.Arn) != west || rep.ReplicaKeyMetadata.KeyState != types.KeyStateEnabled ||
		aws.ToString(rep.ReplicaPolicy) == "" || len(rep.ReplicaTags) != 1 {
		t.Fatalf("ReplicateKey = %+v", rep)
	}
	wantConfig(t, rep.ReplicaKeyMetadata, types.MultiRegionKeyTypeReplica, east, west)
	wantConfig(t, describe(t, ce, id), types.MultiRegionKeyTypePrimary, east, west)
	wmd := describe(t, cw, id)
	wantConfig(t, wmd, types.MultiRegionKeyTypeReplica, east, west)
	if aws.ToString(wmd.Description) != "replica" || aws.ToString(wmd.CurrentKeyMaterialId) != aws.ToString(md.CurrentKeyMaterialId) {
		t.Fatalf("replica metadata %+v", wmd)
	}
	if tags := must[*kms.ListResourceTagsOutput](t, "ListResourceTags")(ce.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: &id})); len(tags.Tags) != 0 {
		t.Fatalf("the primary got the replica's tags: %+v", tags.Tags)
	}

	// A ciphertext made in one Region decrypts in the other, both ways,
	// also after a rotation of the primary.
	ec := map[string]string{"purpose": "mrk"}
	for _, pair := range [][2]*kms.Client{{ce, cw}, {cw, ce}} {
		enc := must[*kms.EncryptOutput](t, "Encrypt")(pair[0].Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("across"), EncryptionContext: ec}))
		dec := must[*kms.DecryptOutput](t, "Decrypt")(pair[1].Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))
		if string(dec.Plaintext) != "across" || regionOf(*dec.KeyId) == regionOf(*enc.KeyId) {
			t.Fatalf("Decrypt = %q under %s (encrypted under %s)", dec.Plaintext, *dec.KeyId, *enc.KeyId)
		}
	}
	_, err = cw.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id})
	wantAPIError(t, "RotateKeyOnDemand(replica)", err, "UnsupportedOperationException", 400)
	must[*kms.RotateKeyOnDemandOutput](t, "RotateKeyOnDemand")(ce.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: &id}))
	rotated := describe(t, cw, id)
	if aws.ToString(rotated.CurrentKeyMaterialId) == aws.ToString(md.CurrentKeyMaterialId) {
		t.Fatal("the replica did not get the primary's new material")
	}
	enc := must[*kms.EncryptOutput](t, "Encrypt")(cw.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("rotated")}))
	must[*kms.DecryptOutput](t, "Decrypt(after rotation)")(ce.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}))

	// Errors.
	single := createKey(t, ce, "single")
	_, err = ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: single.KeyId, ReplicaRegion: aws.String(west)})
	wantAPIError(t, "ReplicateKey(single-Region key)", err, "UnsupportedOperationException", 400)
	_, err = ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String(west)})
	wantAPIError(t, "ReplicateKey(again)", err, "AlreadyExistsException", 400)
	_, err = ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String(east)})
	wantAPIError(t, "ReplicateKey(own Region)", err, "AlreadyExistsException", 400)
	_, err = cw.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String("ap-south-1")})
	wantAPIError(t, "ReplicateKey(of a replica)", err, "UnsupportedOperationException", 400)
	_, err = ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String("Not A Region")})
	wantAPIError(t, "ReplicateKey(bad Region)", err, "ValidationException", 400)
	_, err = ce.UpdatePrimaryRegion(ctx, &kms.UpdatePrimaryRegionInput{KeyId: &id, PrimaryRegion: aws.String("ap-south-1")})
	wantAPIError(t, "UpdatePrimaryRegion(no replica there)", err, "NotFoundException", 400)
	_, err = cw.UpdatePrimaryRegion(ctx, &kms.UpdatePrimaryRegionInput{KeyId: &id, PrimaryRegion: aws.String(east)})
	wantAPIError(t, "UpdatePrimaryRegion(on a replica)", err, "UnsupportedOperationException", 400)

	_, err = ce.UpdatePrimaryRegion(ctx, &kms.UpdatePrimaryRegionInput{KeyId: &id, PrimaryRegion: aws.String(east)})
	wantAPIError(t, "UpdatePrimaryRegion(own Region)", err, "UnsupportedOperationException", 400)
	must[*kms.DisableKeyOutput](t, "DisableKey(replica)")(cw.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &id}))
	_, err = ce.UpdatePrimaryRegion(ctx, &kms.UpdatePrimaryRegionInput{KeyId: &id, PrimaryRegion: aws.String(west)})
	wantAPIError(t, "UpdatePrimaryRegion(to a disabled replica)", err, "DisabledException", 400)
	must[*kms.EnableKeyOutput](t, "EnableKey(replica)")(cw.EnableKey(ctx, &kms.EnableKeyInput{KeyId: &id}))

	// UpdatePrimaryRegion swaps the roles.
	must[*kms.UpdatePrimaryRegionOutput](t, "UpdatePrimaryRegion")(ce.UpdatePrimaryRegion(ctx, &kms.UpdatePrimaryRegionInput{KeyId: &id, PrimaryRegion: aws.String(west)}))
	wantConfig(t, describe(t, cw, id), types.MultiRegionKeyTypePrimary, west, east)
	wantConfig(t, describe(t, ce, id), types.MultiRegionKeyTypeReplica, west, east)

	seen := map[string]bool{}
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["errorCode"] == nil {
			seen[e["eventName"].(string)] = true
		}
	}
	if !seen["ReplicateKey"] || !seen["UpdatePrimaryRegion"] {
		t.Fatalf("audit events: %v", seen)
	}
}

func TestMultiRegionAsymmetric(t *testing.T) {
	s := sealtest.Start(t)
	ce, cw := s.KMSIn(east), s.KMSIn(west)
	md := createMRK(t, ce, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify})
	must[*kms.ReplicateKeyOutput](t, "ReplicateKey")(ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: md.KeyId, ReplicaRegion: aws.String(west)}))
	msg := []byte("signed in one Region")
	sig := must[*kms.SignOutput](t, "Sign")(ce.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256}))
	v := must[*kms.VerifyOutput](t, "Verify")(cw.Verify(ctx, &kms.VerifyInput{KeyId: md.KeyId, Message: msg, Signature: sig.Signature, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256}))
	if !v.SignatureValid {
		t.Fatal("the replica does not verify the primary's signature")
	}
	pe := must[*kms.GetPublicKeyOutput](t, "GetPublicKey")(ce.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: md.KeyId}))
	pw := must[*kms.GetPublicKeyOutput](t, "GetPublicKey")(cw.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: md.KeyId}))
	if string(pe.PublicKey) != string(pw.PublicKey) {
		t.Fatal("primary and replica have different public keys")
	}
}

func TestMultiRegionDeletion(t *testing.T) {
	s := sealtest.Start(t)
	ce, cw := s.KMSIn(east), s.KMSIn(west)
	md := createMRK(t, ce, &kms.CreateKeyInput{})
	id := *md.KeyId
	must[*kms.ReplicateKeyOutput](t, "ReplicateKey")(ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String(west)}))

	out := must[*kms.ScheduleKeyDeletionOutput](t, "ScheduleKeyDeletion(primary)")(ce.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(7)}))
	if out.KeyState != types.KeyStatePendingReplicaDeletion || out.DeletionDate != nil || aws.ToInt32(out.PendingWindowInDays) != 7 {
		t.Fatalf("ScheduleKeyDeletion = state %s, date %v, window %d", out.KeyState, out.DeletionDate, aws.ToInt32(out.PendingWindowInDays))
	}
	_, err := ce.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("x")})
	wantAPIError(t, "Encrypt(PendingReplicaDeletion)", err, "KMSInvalidStateException", 400)
	must[*kms.EncryptOutput](t, "Encrypt(replica)")(cw.Encrypt(ctx, &kms.EncryptInput{KeyId: &id, Plaintext: []byte("x")}))

	must[*kms.ScheduleKeyDeletionOutput](t, "ScheduleKeyDeletion(replica)")(cw.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(7)}))
	s.Clock.Advance(7*24*time.Hour + time.Minute)
	s.WaitSweep()
	_, err = cw.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
	wantAPIError(t, "DescribeKey(deleted replica)", err, "NotFoundException", 400)
	p := describe(t, ce, id)
	if p.KeyState != types.KeyStatePendingDeletion || p.DeletionDate == nil || aws.ToInt32(p.PendingDeletionWindowInDays) != 7 {
		t.Fatalf("primary after its last replica went: state %s, date %v", p.KeyState, p.DeletionDate)
	}
	if want := s.Clock.Now().Add(7 * 24 * time.Hour); p.DeletionDate.Sub(want).Abs() > time.Minute {
		t.Fatalf("primary's deletion date %s, want about %s", p.DeletionDate, want)
	}
	wantConfig(t, p, types.MultiRegionKeyTypePrimary, east)
	s.Clock.Advance(7*24*time.Hour + time.Minute)
	s.WaitSweep()
	_, err = ce.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &id})
	wantAPIError(t, "DescribeKey(deleted primary)", err, "NotFoundException", 400)
}

func TestMultiRegionCancelReplicaDeletion(t *testing.T) {
	s := sealtest.Start(t)
	ce := s.KMSIn(east)
	md := createMRK(t, ce, &kms.CreateKeyInput{})
	must[*kms.ReplicateKeyOutput](t, "ReplicateKey")(ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: md.KeyId, ReplicaRegion: aws.String(west)}))
	must[*kms.ScheduleKeyDeletionOutput](t, "ScheduleKeyDeletion")(ce.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: md.KeyId}))
	must[*kms.CancelKeyDeletionOutput](t, "CancelKeyDeletion")(ce.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: md.KeyId}))
	if st := describe(t, ce, *md.KeyId).KeyState; st != types.KeyStateDisabled {
		t.Fatalf("state after CancelKeyDeletion: %s", st)
	}
}

func TestGetKeyLastUsage(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createKey(t, c, "used")
	out := must[*kms.GetKeyLastUsageOutput](t, "GetKeyLastUsage")(c.GetKeyLastUsage(ctx, &kms.GetKeyLastUsageInput{KeyId: md.KeyId}))
	if out.KeyLastUsage != nil || out.TrackingStartDate == nil || !out.KeyCreationDate.Equal(*md.CreationDate) {
		t.Fatalf("GetKeyLastUsage(unused) = %+v", out)
	}
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x")}))
	check := func(op string) {
		t.Helper()
		out := must[*kms.GetKeyLastUsageOutput](t, "GetKeyLastUsage")(c.GetKeyLastUsage(ctx, &kms.GetKeyLastUsageInput{KeyId: md.KeyId}))
		u := out.KeyLastUsage
		if u == nil || string(u.Operation) != op || u.Timestamp == nil || aws.ToString(u.KmsRequestId) == "" {
			t.Fatalf("GetKeyLastUsage after %s = %+v", op, u)
		}
	}
	check("Encrypt")
	// A failed operation is no use.
	_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"wrong": "context"}})
	wantAPIError(t, "Decrypt(wrong context)", err, "InvalidCiphertextException", 400)
	check("Encrypt")
	must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}))
	check("Decrypt")
	// The sweeper stores it; it outlives a restart.
	s.Clock.Advance(time.Hour)
	s.WaitSweep()
	s.Restart()
	c = s.KMS()
	check("Decrypt")
	_, err = c.GetKeyLastUsage(ctx, &kms.GetKeyLastUsageInput{KeyId: aws.String("alias/nope")})
	wantAPIError(t, "GetKeyLastUsage(alias)", err, "NotFoundException", 400)
}

// A use on a caller's behalf (a SecureString parameter) is a use too.
func TestGetKeyLastUsageOnBehalf(t *testing.T) {
	s := sealtest.Start(t)
	must[*ssm.PutParameterOutput](t, "PutParameter")(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/app/secret"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeSecureString}))
	c := s.KMS()
	md := describe(t, c, "alias/aws/ssm")
	out := must[*kms.GetKeyLastUsageOutput](t, "GetKeyLastUsage")(c.GetKeyLastUsage(ctx, &kms.GetKeyLastUsageInput{KeyId: md.Arn}))
	if out.KeyLastUsage == nil || out.KeyLastUsage.Operation != "Encrypt" || aws.ToString(out.KeyId) != *md.KeyId {
		t.Fatalf("GetKeyLastUsage = %+v", out)
	}
}

// ReplicateKey needs kms:ReplicateKey on the primary and kms:CreateKey from
// the caller's IAM policy (and kms:TagResource to tag the replica).
func TestReplicateKeyPermissions(t *testing.T) {
	s := sealtest.Start(t)
	md := createMRK(t, s.KMS(), &kms.CreateKeyInput{})
	c, setPolicy := newUser(t, s, "replicator", allowOnKey("kms:ReplicateKey", *md.Arn))
	in := &kms.ReplicateKeyInput{KeyId: md.KeyId, ReplicaRegion: aws.String(west)}
	_, err := c.ReplicateKey(ctx, in)
	wantAPIError(t, "ReplicateKey(without kms:CreateKey)", err, "AccessDeniedException", 400)
	setPolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:ReplicateKey","kms:CreateKey"],"Resource":"*"}]}`)
	in.Tags = []types.Tag{{TagKey: aws.String("k"), TagValue: aws.String("v")}}
	_, err = c.ReplicateKey(ctx, in)
	wantAPIError(t, "ReplicateKey(tags without kms:TagResource)", err, "AccessDeniedException", 400)
	in.Tags = nil
	must[*kms.ReplicateKeyOutput](t, "ReplicateKey")(c.ReplicateKey(ctx, in))
}
