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
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial")(importMaterial(c, md.KeyId, token, wrapped, &validTo))
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
		RequestParameters any    `json:"requestParameters"`
		AWSRegion         string `json:"awsRegion"`
		ManagementEvent   bool   `json:"managementEvent"`
	}
	doc := aws.ToString(e.CloudTrailEvent)
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		t.Fatalf("CloudTrailEvent %q: %v", doc, err)
	}
	if raw.EventType != "AwsServiceEvent" || raw.UserIdentity.Type != "AWSService" || raw.UserIdentity.InvokedBy != "kms.amazonaws.com" ||
		raw.UserIdentity.AccountID != aws.ToString(md.AWSAccountId) || raw.RequestParameters != nil || raw.AWSRegion != "us-east-1" || !raw.ManagementEvent {
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
