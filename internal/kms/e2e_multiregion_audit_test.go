package kms_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// trailEvent is the part of a CloudTrail event these tests read.
type trailEvent struct {
	EventName    string `json:"eventName"`
	EventType    string `json:"eventType"`
	AWSRegion    string `json:"awsRegion"`
	RequestID    string `json:"requestID"`
	ReadOnly     bool   `json:"readOnly"`
	UserIdentity struct {
		Type      string `json:"type"`
		ARN       string `json:"arn"`
		InvokedBy string `json:"invokedBy"`
	} `json:"userIdentity"`
	RequestParameters map[string]any `json:"requestParameters"`
	Resources         []struct {
		Type string `json:"type"`
		ARN  string `json:"ARN"`
	} `json:"resources"`
	ErrorCode string `json:"errorCode"`
}

// trailEvents are the events named name that LookupEvents answers in
// region (which reads that Region's trail only).
func trailEvents(t *testing.T, s *sealtest.Server, region, name string) []trailEvent {
	t.Helper()
	c := cloudtrail.NewFromConfig(s.AWSConfig(region))
	out, err := c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}}})
	if err != nil {
		t.Fatalf("LookupEvents(%s in %s): %v", name, region, err)
	}
	var events []trailEvent
	for _, e := range out.Events {
		var te trailEvent
		if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &te); err != nil {
			t.Fatalf("CloudTrailEvent %q: %v", aws.ToString(e.CloudTrailEvent), err)
		}
		events = append(events, te)
	}
	return events
}

// oneTrailEvent waits for the one event named name in region.
func oneTrailEvent(t *testing.T, s *sealtest.Server, region, name string) trailEvent {
	t.Helper()
	var events []trailEvent
	sealtest.Eventually(t, 5*time.Second, func() bool {
		events = trailEvents(t, s, region, name)
		return len(events) > 0
	})
	if len(events) != 1 {
		t.Fatalf("%s events in %s: %+v, want one", name, region, events)
	}
	return events[0]
}

// TestMultiRegionEventsInOtherRegions: as AWS KMS does, ReplicateKey
// writes a CreateKey event in the replica's Region, and UpdatePrimaryRegion
// an UpdatePrimaryRegion event in the new primary's Region too, each the
// caller's own (same identity and request id) invoked by kms.amazonaws.com.
func TestMultiRegionEventsInOtherRegions(t *testing.T) {
	s := sealtest.Start(t)
	ce, cw := s.KMSIn(east), s.KMSIn(west)
	id := *createMRK(t, ce, &kms.CreateKeyInput{Description: aws.String("primary")}).KeyId
	rep := must[*kms.ReplicateKeyOutput](t, "ReplicateKey")(ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{
		KeyId: &id, ReplicaRegion: aws.String(west), Description: aws.String("replica")}))
	westARN, eastARN := *rep.ReplicaKeyMetadata.Arn, "arn:aws:kms:"+east+":"+sealtest.AccountID+":key/"+id

	call := oneTrailEvent(t, s, east, "ReplicateKey")
	if call.AWSRegion != east || call.EventType != "AwsApiCall" || call.UserIdentity.InvokedBy != "" || call.RequestParameters["replicaRegion"] != west {
		t.Fatalf("ReplicateKey event %+v", call)
	}
	if len(call.Resources) != 1 || call.Resources[0].ARN != eastARN {
		t.Fatalf("ReplicateKey resources %+v, want the primary %s alone (as AWS's example)", call.Resources, eastARN)
	}
	if got := trailEvents(t, s, west, "ReplicateKey"); len(got) != 0 {
		t.Fatalf("ReplicateKey events in the replica's Region: %+v", got)
	}
	created := oneTrailEvent(t, s, west, "CreateKey")
	if created.AWSRegion != west || created.EventType != "AwsApiCall" || created.ReadOnly || created.ErrorCode != "" ||
		created.RequestID != call.RequestID || created.UserIdentity.ARN != call.UserIdentity.ARN || created.UserIdentity.Type != call.UserIdentity.Type ||
		created.UserIdentity.InvokedBy != "kms.amazonaws.com" {
		t.Fatalf("CreateKey event in the replica's Region %+v (the call's: %+v)", created, call)
	}
	if created.RequestParameters["multiRegion"] != true || created.RequestParameters["description"] != "replica" ||
		created.RequestParameters["keyUsage"] != "ENCRYPT_DECRYPT" || created.RequestParameters["keySpec"] != "SYMMETRIC_DEFAULT" {
		t.Fatalf("CreateKey requestParameters %v", created.RequestParameters)
	}
	if len(created.Resources) != 1 || created.Resources[0].ARN != westARN || created.Resources[0].Type != "AWS::KMS::Key" {
		t.Fatalf("CreateKey resources %+v, want the replica %s", created.Resources, westARN)
	}
	// The primary's own CreateKey is the only one in its Region.
	if got := trailEvents(t, s, east, "CreateKey"); len(got) != 1 || got[0].UserIdentity.InvokedBy != "" || got[0].RequestID == call.RequestID {
		t.Fatalf("CreateKey events in the primary's Region: %+v", got)
	}

	must[*kms.UpdatePrimaryRegionOutput](t, "UpdatePrimaryRegion")(ce.UpdatePrimaryRegion(ctx, &kms.UpdatePrimaryRegionInput{KeyId: &id, PrimaryRegion: aws.String(west)}))
	old := oneTrailEvent(t, s, east, "UpdatePrimaryRegion")
	if old.AWSRegion != east || old.UserIdentity.InvokedBy != "" || old.RequestParameters["keyId"] != id || old.RequestParameters["primaryRegion"] != west {
		t.Fatalf("UpdatePrimaryRegion event in the old primary's Region %+v", old)
	}
	if len(old.Resources) != 1 || old.Resources[0].ARN != eastARN {
		t.Fatalf("UpdatePrimaryRegion resources %+v, want %s alone (as AWS's example)", old.Resources, eastARN)
	}
	nw := oneTrailEvent(t, s, west, "UpdatePrimaryRegion")
	if nw.AWSRegion != west || nw.EventType != "AwsApiCall" || nw.RequestID != old.RequestID || nw.UserIdentity.ARN != old.UserIdentity.ARN ||
		nw.UserIdentity.InvokedBy != "kms.amazonaws.com" || nw.RequestParameters["keyId"] != westARN || nw.RequestParameters["primaryRegion"] != west ||
		len(nw.Resources) != 0 {
		t.Fatalf("UpdatePrimaryRegion event in the new primary's Region %+v", nw)
	}

	// A refused call writes nothing in the other Region.
	_, err := cw.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String(east)})
	wantAPIError(t, "ReplicateKey(again)", err, "AlreadyExistsException", 400)
	if got := trailEvents(t, s, east, "CreateKey"); len(got) != 1 {
		t.Fatalf("a refused ReplicateKey wrote a CreateKey event: %+v", got)
	}
}
