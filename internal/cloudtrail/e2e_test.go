//go:build !fuzzbinary

package cloudtrail_test

// End to end: LookupEvents over a real server, after real calls made with
// SDK clients. Most lookups are sent by hand, signed with aws-sdk-go-v2's
// SigV4 signer, to see the answer's JSON as it is on the wire (with
// botocore's target, as the aws CLI sends it; its own run is
// scripts/smoke-audit-cli.sh); TestLookupEventsWithTheGoSDK uses
// aws-sdk-go-v2's CloudTrail client, which names the target differently.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
)

var ctx = context.Background()

const target = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"

var admin = aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}

type event struct {
	EventId, EventName, ReadOnly, AccessKeyId, EventSource, Username, CloudTrailEvent string
	EventTime                                                                         float64
	Resources                                                                         []struct{ ResourceType, ResourceName string }
}

type answer struct {
	Events    []event
	NextToken string
	Type      string `json:"__type"`
	Message   string `json:"message"`
	status    int
}

// lookup sends LookupEvents with body as creds in region.
func lookup(t *testing.T, s *sealtest.Server, creds aws.Credentials, region string, body any) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256(b)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "cloudtrail", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("LookupEvents answer %q: %v", raw, err)
	}
	a.status = resp.StatusCode
	if a.status == 200 && a.Events == nil {
		t.Fatalf("LookupEvents answered without Events: %s", raw)
	}
	return a
}

func ok(t *testing.T, call string, a answer) answer {
	t.Helper()
	if a.status != 200 {
		t.Fatalf("%s = %d %s: %s", call, a.status, a.Type, a.Message)
	}
	return a
}

func wantError(t *testing.T, call string, a answer, code string) {
	t.Helper()
	if a.status != 400 || a.Type != code {
		t.Fatalf("%s = %d %s (%s), want 400 %s", call, a.status, a.Type, a.Message, code)
	}
}

// names lists the events' names, but for the test's own lookups.
func names(evs []event) string {
	var n []string
	for _, e := range evs {
		if e.EventName != "LookupEvents" {
			n = append(n, e.EventName)
		}
	}
	return strings.Join(n, ",")
}

func attr(k, v string) map[string]any {
	return map[string]any{"LookupAttributes": []map[string]string{{"AttributeKey": k, "AttributeValue": v}}}
}

// calls makes a key, encrypts and decrypts with it, and puts a parameter,
// each a second after the other; it returns the key's ARN.
func calls(t *testing.T, s *sealtest.Server) string {
	t.Helper()
	k := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))
	s.Clock.Advance(time.Second)
	enc := sealtest.Must[*kms.EncryptOutput](t, "Encrypt")(s.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: k.KeyMetadata.Arn, Plaintext: []byte("x"),
		EncryptionContext: map[string]string{"app": "billing"}}))
	s.Clock.Advance(time.Second)
	sealtest.Must[*kms.DecryptOutput](t, "Decrypt")(s.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob,
		EncryptionContext: map[string]string{"app": "billing"}}))
	s.Clock.Advance(time.Second)
	sealtest.Must[*ssm.PutParameterOutput](t, "PutParameter")(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db"),
		Value: aws.String("v"), Type: "String"}))
	s.Clock.Advance(time.Second)
	return *k.KeyMetadata.Arn
}

func TestLookupEvents(t *testing.T) {
	s := sealtest.Start(t)
	s.Clock.Set(time.Now().UTC().Truncate(time.Second)) // times as clients send them
	keyARN := calls(t, s)

	all := ok(t, "LookupEvents", lookup(t, s, admin, "us-east-1", map[string]any{}))
	if got := names(all.Events); !strings.HasPrefix(got, "PutParameter,Decrypt,Encrypt,CreateKey") {
		t.Fatalf("LookupEvents = %s, want the calls newest first: PutParameter,Decrypt,Encrypt,CreateKey…", got)
	}
	dec := all.Events[1]
	if dec.EventSource != "kms.amazonaws.com" || dec.ReadOnly != "true" || dec.AccessKeyId != sealtest.AccessKeyID || dec.Username != "admin" ||
		len(dec.Resources) != 1 || dec.Resources[0].ResourceType != "AWS::KMS::Key" || dec.Resources[0].ResourceName != keyARN {
		t.Fatalf("the Decrypt event = %+v", dec)
	}
	var ct map[string]any
	if err := json.Unmarshal([]byte(dec.CloudTrailEvent), &ct); err != nil {
		t.Fatalf("CloudTrailEvent is not JSON: %v", err)
	}
	if ct["eventID"] != dec.EventId || ct["eventName"] != "Decrypt" || ct["eventVersion"] != "1.08" ||
		!strings.Contains(dec.CloudTrailEvent, `"encryptionContext":{"app":"billing"}`) {
		t.Fatalf("CloudTrailEvent = %s", dec.CloudTrailEvent)
	}
	if want := float64(s.Clock.Now().Add(-2*time.Second).UnixMilli()) / 1000; dec.EventTime != want {
		t.Fatalf("EventTime = %v, want %v", dec.EventTime, want)
	}

	cases := []struct{ key, value, want string }{
		{"EventName", "Decrypt", "Decrypt"},
		{"EventId", dec.EventId, "Decrypt"},
		{"ReadOnly", "false", "PutParameter,CreateKey"},
		{"EventSource", "ssm.amazonaws.com", "PutParameter"},
		{"ResourceName", keyARN, "Decrypt,Encrypt,CreateKey"},
		{"ResourceName", keyARN[strings.LastIndexByte(keyARN, '/')+1:], "Decrypt,Encrypt,CreateKey"},
		{"ResourceType", "AWS::SSM::Parameter", "PutParameter"},
		{"AccessKeyId", sealtest.AccessKeyID, names(all.Events)},
		{"AccessKeyId", "AKIANOBODY", ""},
		{"Username", "admin", names(all.Events)},
	}
	for _, tc := range cases {
		a := ok(t, "LookupEvents "+tc.key, lookup(t, s, admin, "us-east-1", attr(tc.key, tc.value)))
		if got := names(a.Events); got != tc.want {
			t.Errorf("LookupEvents %s=%s = %q, want %q", tc.key, tc.value, got, tc.want)
		}
	}

	// A time range, both ends inclusive: Encrypt and Decrypt.
	end := s.Clock.Now().Add(-2 * time.Second)
	a := ok(t, "LookupEvents in a range", lookup(t, s, admin, "us-east-1", map[string]any{
		"StartTime": float64(end.Add(-time.Second).UnixMilli()) / 1000, "EndTime": float64(end.UnixMilli()) / 1000}))
	if got := names(a.Events); got != "Decrypt,Encrypt" {
		t.Fatalf("LookupEvents in [Encrypt's time, Decrypt's time] = %s, want Decrypt,Encrypt", got)
	}

	// Another region's lookup sees none of us-east-1's events.
	if a := ok(t, "LookupEvents in eu-west-1", lookup(t, s, admin, "eu-west-1", attr("EventSource", "kms.amazonaws.com"))); len(a.Events) != 0 {
		t.Fatalf("LookupEvents in eu-west-1 = %s, want nothing", names(a.Events))
	}
	// Lookups are recorded too, as CloudTrail records them.
	a = ok(t, "LookupEvents", lookup(t, s, admin, "us-east-1", attr("EventName", "LookupEvents")))
	if len(a.Events) == 0 || a.Events[0].EventSource != "cloudtrail.amazonaws.com" || a.Events[0].ReadOnly != "true" {
		t.Fatalf("LookupEvents of LookupEvents = %+v", a.Events)
	}
	// Insights: sealbox has none.
	if a := ok(t, "LookupEvents insight", lookup(t, s, admin, "us-east-1", map[string]any{"EventCategory": "insight"})); len(a.Events) != 0 {
		t.Fatalf("LookupEvents of Insights = %s, want nothing", names(a.Events))
	}
}

func TestLookupEventsPages(t *testing.T) {
	s := sealtest.Start(t)
	for i := 0; i < 7; i++ {
		sealtest.Must[*kms.GenerateRandomOutput](t, "GenerateRandom")(s.KMS().GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)}))
		s.Clock.Advance(time.Millisecond)
	}
	var seen []string
	body := map[string]any{"MaxResults": 3, "LookupAttributes": []map[string]string{{"AttributeKey": "EventName", "AttributeValue": "GenerateRandom"}}}
	for page := 0; ; page++ {
		a := ok(t, fmt.Sprintf("LookupEvents page %d", page), lookup(t, s, admin, "us-east-1", body))
		if len(a.Events) > 3 {
			t.Fatalf("page %d has %d events, MaxResults 3", page, len(a.Events))
		}
		for _, e := range a.Events {
			seen = append(seen, e.EventId)
			if len(seen) > 1 && e.EventTime > a.Events[0].EventTime {
				t.Fatalf("page %d is not newest first", page)
			}
		}
		if a.NextToken == "" {
			break
		}
		if page > 5 {
			t.Fatal("paging does not end")
		}
		body["NextToken"] = a.NextToken
	}
	if len(seen) != 7 {
		t.Fatalf("7 events paged as %d", len(seen))
	}
	for i := range seen {
		for j := i + 1; j < len(seen); j++ {
			if seen[i] == seen[j] {
				t.Fatalf("event %s answered twice", seen[i])
			}
		}
	}
}

func TestLookupEventsErrors(t *testing.T) {
	s := sealtest.Start(t)
	calls(t, s)
	page := ok(t, "LookupEvents", lookup(t, s, admin, "us-east-1", map[string]any{"MaxResults": 1}))
	now := float64(time.Now().Unix())
	cases := []struct {
		name string
		body map[string]any
		code string
	}{
		{"two attributes", map[string]any{"LookupAttributes": []map[string]string{
			{"AttributeKey": "EventName", "AttributeValue": "Decrypt"}, {"AttributeKey": "ReadOnly", "AttributeValue": "true"}}}, "InvalidLookupAttributesException"},
		{"ReadOnly neither true nor false", attr("ReadOnly", "maybe"), "InvalidLookupAttributesException"},
		{"unknown attribute", attr("Region", "us-east-1"), "ValidationException"},
		{"start after end", map[string]any{"StartTime": now, "EndTime": now - 60}, "InvalidTimeRangeException"},
		{"a token never given", map[string]any{"NextToken": "bm90IGEgdG9rZW4"}, "InvalidNextTokenException"},
		{"a token of another query", map[string]any{"NextToken": page.NextToken, "LookupAttributes": []map[string]string{{"AttributeKey": "EventName", "AttributeValue": "Decrypt"}}}, "InvalidNextTokenException"},
		// The router checks the model's range (1 to 50) before CloudTrail sees it.
		{"MaxResults over 50", map[string]any{"MaxResults": 51}, "ValidationException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, "LookupEvents with "+tc.name, lookup(t, s, admin, "us-east-1", tc.body), tc.code)
		})
	}
	if page.NextToken == "" {
		t.Fatal("a page of 1 of several events has no NextToken")
	}
}

// TestLookupEventsWithTheGoSDK: aws-sdk-go-v2's CloudTrail client, which
// sends the target CloudTrail_20131101.LookupEvents (the Smithy service
// name, not botocore's com.amazonaws.cloudtrail.v20131101 prefix), reads
// the events page by page with its paginator, newest first.
func TestLookupEventsWithTheGoSDK(t *testing.T) {
	s := sealtest.Start(t)
	calls(t, s)
	c := cloudtrail.NewFromConfig(s.AWSConfig("us-east-1"))
	in := &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(1), LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String("admin")}}}
	var got []string
	pages := 0
	for p := cloudtrail.NewLookupEventsPaginator(c, in); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("LookupEvents page %d: %v", pages, err)
		}
		for _, e := range out.Events {
			if name := aws.ToString(e.EventName); name != "LookupEvents" {
				got = append(got, name)
			}
			if e.EventTime == nil || !strings.Contains(aws.ToString(e.CloudTrailEvent), `"eventName":"`+aws.ToString(e.EventName)+`"`) {
				t.Fatalf("page %d: event %+v, want its time and its record", pages, e)
			}
		}
	}
	if want := "PutParameter,Decrypt,Encrypt,CreateKey"; strings.Join(got, ",") != want || pages < 4 {
		t.Fatalf("LookupEvents through the SDK's paginator, a page of 1 at a time = %q in %d pages, want %s in 4 or more", got, pages, want)
	}
}

func TestLookupEventsIsAuthorized(t *testing.T) {
	s := sealtest.Start(t)
	none := s.NewRole(t, "auditor-none", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`, "s1")
	wantError(t, "LookupEvents without cloudtrail:LookupEvents", lookup(t, s, none.Creds, "us-east-1", map[string]any{}), "AccessDeniedException")
	reader := s.NewRole(t, "auditor", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:LookupEvents","Resource":"*"}]}`, "s2")
	a := ok(t, "LookupEvents as an auditor", lookup(t, s, reader.Creds, "us-east-1", attr("EventName", "LookupEvents")))
	if len(a.Events) == 0 || a.Events[0].Username != "s1" || !strings.Contains(a.Events[0].CloudTrailEvent, `"errorCode":"AccessDenied"`) {
		t.Fatalf("the denied lookup's event = %+v, want it recorded as session s1's, denied", a.Events)
	}
}

func TestLookupEventsWithoutTheStoreSink(t *testing.T) {
	s := sealtest.Start(t, func(c *config.Config) { c.AuditSinks = "file" })
	wantError(t, "LookupEvents without the store sink", lookup(t, s, admin, "us-east-1", map[string]any{}), "OperationNotPermittedException")
}

// TestRetentionSweep: the sweeper deletes the store's events older than
// --audit-retention.
func TestRetentionSweep(t *testing.T) {
	s := sealtest.Start(t, func(c *config.Config) { c.AuditRetention = time.Hour })
	calls(t, s)
	// LookupEvents returns once the events of the calls before it are in
	// the store, where the sweep looks.
	ok(t, "LookupEvents", lookup(t, s, admin, "us-east-1", map[string]any{}))
	s.Clock.Advance(2 * time.Hour)
	sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, &kms.ListKeysInput{}))
	ok(t, "LookupEvents", lookup(t, s, admin, "us-east-1", map[string]any{}))
	// A sweep after ListKeys is in the store too: it must keep it.
	s.Clock.Advance(time.Second)
	s.WaitSweep()
	if got := names(ok(t, "LookupEvents", lookup(t, s, admin, "us-east-1", map[string]any{})).Events); got != "ListKeys" {
		t.Fatalf("after the retention sweep LookupEvents = %s, want the older events gone and the newer ListKeys kept", got)
	}
}
