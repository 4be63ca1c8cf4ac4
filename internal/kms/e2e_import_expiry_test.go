package kms_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestImportExpiryServiceEvent: when the sweeper deletes imported material
// at its ValidTo, CloudTrail shows a DeleteExpiredKeyMaterial event that
// KMS made on its own (AwsServiceEvent), naming the key and nothing secret,
// once.
func TestImportExpiryServiceEvent(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createExternal(t, c, "", "")
	other := createExternal(t, c, "", "")
	mat := make([]byte, 32)
	for i := range mat {
		mat[i] = byte(0xC0 + i)
	}
	validTo := s.Clock.Now().Add(48 * time.Hour)
	token, wrapped := wrapFor(t, c, md.KeyId, types.AlgorithmSpecRsaesOaepSha256, mat)
	imp := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial")(importMaterial(c, md.KeyId, token, wrapped, &validTo))
	token2, wrapped2 := wrapFor(t, c, other.KeyId, types.AlgorithmSpecRsaesOaepSha256, mat)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(no expiry)")(importMaterial(c, other.KeyId, token2, wrapped2, nil))

	ct := cloudtrail.NewFromConfig(s.AWSConfig("us-east-1"))
	lookup := func() []cttypes.Event {
		t.Helper()
		out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
			{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("DeleteExpiredKeyMaterial")},
		}})
		if err != nil {
			t.Fatalf("LookupEvents: %v", err)
		}
		return out.Events
	}
	s.Clock.Advance(time.Minute)
	s.WaitSweep()
	if evs := lookup(); len(evs) != 0 {
		t.Fatalf("DeleteExpiredKeyMaterial before ValidTo: %d events", len(evs))
	}

	s.Clock.Advance(49 * time.Hour)
	s.WaitSweep()
	s.Clock.Advance(time.Minute) // a second sweep sends no second event
	s.WaitSweep()
	evs := lookup()
	if len(evs) != 1 {
		t.Fatalf("DeleteExpiredKeyMaterial events after ValidTo = %d, want 1", len(evs))
	}
	e := evs[0]
	if aws.ToString(e.EventSource) != "kms.amazonaws.com" || len(e.Resources) != 1 || aws.ToString(e.Resources[0].ResourceName) != aws.ToString(md.Arn) ||
		aws.ToString(e.Resources[0].ResourceType) != "AWS::KMS::Key" || aws.ToString(e.ReadOnly) != "false" {
		t.Fatalf("event = source %s, resources %+v, readOnly %s", aws.ToString(e.EventSource), e.Resources, aws.ToString(e.ReadOnly))
	}
	var raw struct {
		EventType    string `json:"eventType"`
		UserIdentity struct {
			Type, AccountID, InvokedBy string
		} `json:"userIdentity"`
		RequestParameters   any               `json:"requestParameters"`
		AWSRegion           string            `json:"awsRegion"`
		SourceIPAddress     string            `json:"sourceIPAddress"`
		ManagementEvent     bool              `json:"managementEvent"`
		ServiceEventDetails map[string]string `json:"serviceEventDetails"`
	}
	doc := aws.ToString(e.CloudTrailEvent)
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatalf("CloudTrailEvent %q: %v", doc, err)
	}
	if raw.EventType != "AwsServiceEvent" || raw.UserIdentity.InvokedBy != "AWS Internal" || raw.SourceIPAddress != "AWS Internal" ||
		raw.UserIdentity.AccountID != aws.ToString(md.AWSAccountId) || raw.RequestParameters != nil || raw.AWSRegion != "us-east-1" || !raw.ManagementEvent ||
		raw.ServiceEventDetails["keyId"] != aws.ToString(md.KeyId) || raw.ServiceEventDetails["keyMaterialId"] != aws.ToString(imp.KeyMaterialId) {
		t.Fatalf("CloudTrailEvent = %s", doc)
	}
	for _, secret := range [][]byte{mat, wrapped, token} {
		if strings.Contains(doc, base64.StdEncoding.EncodeToString(secret)) {
			t.Fatalf("the event carries material, wrapped material or a token: %s", doc)
		}
	}
	if d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: md.KeyId})).KeyMetadata; d.KeyState != types.KeyStatePendingImport {
		t.Fatalf("state after ValidTo = %s", d.KeyState)
	}
	if d := must[*kms.DescribeKeyOutput](t, "DescribeKey(no expiry)")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: other.KeyId})).KeyMetadata; d.KeyState != types.KeyStateEnabled {
		t.Fatalf("the key whose material does not expire is %s", d.KeyState)
	}

	// Deleting material by hand is the caller's DeleteImportedKeyMaterial,
	// not a service event.
	must[*kms.DeleteImportedKeyMaterialOutput](t, "DeleteImportedKeyMaterial")(c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: other.KeyId}))
	s.Clock.Advance(time.Hour)
	s.WaitSweep()
	if evs := lookup(); len(evs) != 1 {
		t.Fatalf("DeleteExpiredKeyMaterial events later = %d, want still 1", len(evs))
	}
}

// TestImportPerVersionExpiry: each import sets the expiry of the version it
// imports. DescribeKey's ValidTo is the earliest; ListKeyRotations shows
// each; the sweeper deletes only the version that expires, with its own
// event, and the key waits in PendingImport for that version alone.
func TestImportPerVersionExpiry(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := createExternal(t, c, "", "").KeyId
	first, second := bytes32(0x10), bytes32(0x20)
	early, late := s.Clock.Now().Add(48*time.Hour), s.Clock.Now().Add(96*time.Hour)
	token, wrapped := wrapFor(t, c, id, types.AlgorithmSpecRsaesOaepSha256, first)
	a := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(first)")(importMaterial(c, id, token, wrapped, &early))
	token, wrapped = keyWrapFor(t, c, id, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa2048, second)
	b := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(NEW)")(c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{
		KeyId: id, ImportToken: token, EncryptedKeyMaterial: wrapped, ValidTo: &late, ImportType: types.ImportTypeNewKeyMaterial,
	}))
	must[*kms.RotateKeyOnDemandOutput](t, "RotateKeyOnDemand")(c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id}))
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("under the second")}))

	sameTime := func(got *time.Time, want time.Time) bool {
		return got != nil && (got.Equal(want.Truncate(time.Millisecond)) || got.Equal(want.Truncate(time.Second)))
	}
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})).KeyMetadata
	if d.ExpirationModel != types.ExpirationModelTypeKeyMaterialExpires || !sameTime(d.ValidTo, early) || aws.ToString(d.CurrentKeyMaterialId) != *b.KeyMaterialId {
		t.Fatalf("DescribeKey = model %s, validTo %v (want the earliest, %v), current %s", d.ExpirationModel, d.ValidTo, early, aws.ToString(d.CurrentKeyMaterialId))
	}
	rotations := func() map[string]types.RotationsListEntry {
		t.Helper()
		l := must[*kms.ListKeyRotationsOutput](t, "ListKeyRotations")(c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial}))
		out := map[string]types.RotationsListEntry{}
		for _, r := range l.Rotations {
			out[aws.ToString(r.KeyMaterialId)] = r
		}
		return out
	}
	r := rotations()
	if ra, rb := r[*a.KeyMaterialId], r[*b.KeyMaterialId]; !sameTime(ra.ValidTo, early) || !sameTime(rb.ValidTo, late) ||
		ra.ImportState != types.ImportStateImported || rb.ImportState != types.ImportStateImported || rb.KeyMaterialState != types.KeyMaterialStateCurrent {
		t.Fatalf("ListKeyRotations = first %+v, second %+v", ra, rb)
	}

	// The first version expires alone.
	s.Clock.Advance(49 * time.Hour)
	s.WaitSweep()
	r = rotations()
	if ra, rb := r[*a.KeyMaterialId], r[*b.KeyMaterialId]; ra.ImportState != types.ImportStatePendingImport || ra.ValidTo != nil ||
		rb.ImportState != types.ImportStateImported || !sameTime(rb.ValidTo, late) {
		t.Fatalf("ListKeyRotations after the first's ValidTo = first %+v, second %+v", ra, rb)
	}
	d = must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})).KeyMetadata
	if d.KeyState != types.KeyStatePendingImport || !sameTime(d.ValidTo, late) {
		t.Fatalf("DescribeKey after the first's ValidTo = %s, validTo %v", d.KeyState, d.ValidTo)
	}
	ct := cloudtrail.NewFromConfig(s.AWSConfig("us-east-1"))
	out, err := ct.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("DeleteExpiredKeyMaterial")},
	}})
	if err != nil {
		t.Fatalf("LookupEvents: %v", err)
	}
	if len(out.Events) != 1 || !strings.Contains(aws.ToString(out.Events[0].CloudTrailEvent), `"keyMaterialId":"`+*a.KeyMaterialId+`"`) {
		t.Fatalf("DeleteExpiredKeyMaterial events = %d, want one naming the first version", len(out.Events))
	}

	// Reimporting the first, without expiry, makes the key usable again.
	token, wrapped = wrapFor(t, c, id, types.AlgorithmSpecRsaesOaepSha1, first)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(first again)")(importMaterial(c, id, token, wrapped, nil))
	if dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})); string(dec.Plaintext) != "under the second" {
		t.Fatalf("Decrypt = %q", dec.Plaintext)
	}
	d = must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})).KeyMetadata
	if d.KeyState != types.KeyStateEnabled || d.ExpirationModel != types.ExpirationModelTypeKeyMaterialExpires || !sameTime(d.ValidTo, late) {
		t.Fatalf("DescribeKey after reimport = %s, model %s, validTo %v", d.KeyState, d.ExpirationModel, d.ValidTo)
	}
	if ra := rotations()[*a.KeyMaterialId]; ra.ExpirationModel != types.ExpirationModelTypeKeyMaterialDoesNotExpire || ra.ValidTo != nil {
		t.Fatalf("the first version after reimport = %+v", ra)
	}

	// Deleting an older version by hand leaves the current one imported.
	must[*kms.DeleteImportedKeyMaterialOutput](t, "DeleteImportedKeyMaterial(first)")(c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: id, KeyMaterialId: a.KeyMaterialId}))
	r = rotations()
	if r[*a.KeyMaterialId].ImportState != types.ImportStatePendingImport || r[*b.KeyMaterialId].ImportState != types.ImportStateImported {
		t.Fatalf("after deleting the first version: %+v", r)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	sealtest.APIErrorContaining(t, "Decrypt(a version missing)", err, "KMSInvalidStateException", 400, "is pending import.")
}

func bytes32(b byte) []byte {
	out := make([]byte, 32)
	for i := range out {
		out[i] = b + byte(i)
	}
	return out
}
