//go:build !fuzzbinary

package cloudtrail_test

// End to end: DescribeTrails, GetTrail and GetTrailStatus of the built-in
// trail over a real server: the wire shapes (by hand, as the aws CLI sends
// them), and the status moving with the sinks (aws-sdk-go-v2's client).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sealbox/sealbox/internal/sealtest"
)

const trailARN = "arn:aws:cloudtrail:us-east-1:123456789012:trail/sealbox"

// wire sends op with body as the admin in region and returns the status
// and the answer's JSON.
func wire(t *testing.T, s *sealtest.Server, region, op, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."+op)
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, admin, req, hex.EncodeToString(sum[:]), "cloudtrail", region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s answer %q: %v", op, raw, err)
	}
	return resp.StatusCode, m
}

func keys(m map[string]any) string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return strings.Join(sortStrings(k), ",")
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// TestTrailsOnTheWire: the answers' JSON members are the model's, with
// AWS's names (trailList, lower case), and nothing the model lacks.
func TestTrailsOnTheWire(t *testing.T) {
	s := sealtest.Start(t)
	const trailKeys = "HasCustomEventSelectors,HasInsightSelectors,HomeRegion,IncludeGlobalServiceEvents,IsMultiRegionTrail,IsOrganizationTrail,LogFileValidationEnabled,Name,TrailARN"
	code, m := wire(t, s, "us-east-1", "DescribeTrails", `{}`)
	list, _ := m["trailList"].([]any)
	if code != 200 || len(list) != 1 {
		t.Fatalf("DescribeTrails = %d %v", code, m)
	}
	tr := list[0].(map[string]any)
	if keys(tr) != trailKeys || tr["Name"] != "sealbox" || tr["TrailARN"] != trailARN || tr["HomeRegion"] != "us-east-1" ||
		tr["IsMultiRegionTrail"] != true || tr["LogFileValidationEnabled"] != true || tr["IncludeGlobalServiceEvents"] != true ||
		tr["HasCustomEventSelectors"] != false {
		t.Fatalf("DescribeTrails' trail = %v", tr)
	}
	code, m = wire(t, s, "us-east-1", "GetTrail", `{"Name":"sealbox"}`)
	if code != 200 || keys(m) != "Trail" || keys(m["Trail"].(map[string]any)) != trailKeys {
		t.Fatalf("GetTrail = %d %v", code, m)
	}
	code, m = wire(t, s, "us-east-1", "GetTrailStatus", `{"Name":"`+trailARN+`"}`)
	if code != 200 || m["IsLogging"] != true {
		t.Fatalf("GetTrailStatus = %d %v", code, m)
	}
	for k, v := range m {
		switch k {
		case "IsLogging":
		case "StartLoggingTime", "LatestDeliveryTime", "LatestDigestDeliveryTime":
			if _, ok := v.(float64); !ok {
				t.Fatalf("GetTrailStatus' %s = %v, want epoch seconds", k, v)
			}
		case "TimeLoggingStarted":
			if _, err := time.Parse(time.RFC3339, v.(string)); err != nil {
				t.Fatalf("TimeLoggingStarted = %v", v)
			}
		default:
			t.Fatalf("GetTrailStatus answers %s = %v on a sound trail", k, v)
		}
	}
	if m["StartLoggingTime"] == nil {
		t.Fatalf("GetTrailStatus without StartLoggingTime: %v", m)
	}
	// Bad input: AWS's errors, 400, never a 500.
	for _, c := range []struct{ op, body, code, msg string }{
		{"GetTrail", `{"Name":"other"}`, "TrailNotFoundException", "Unknown trail: other for the user: 123456789012"},
		{"GetTrailStatus", `{"Name":"other"}`, "TrailNotFoundException", "Unknown trail: " + strings.TrimSuffix(trailARN, "sealbox") + "other for the user: 123456789012"},
		{"GetTrailStatus", `{"Name":"arn:aws:cloudtrail:us-east-1:999999999999:trail/sealbox"}`, "TrailNotFoundException", "Unknown trail: arn:aws:cloudtrail:us-east-1:999999999999:trail/sealbox for the user: 123456789012"},
		{"GetTrail", `{}`, "ValidationException", "Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"GetTrail", `{"Name":""}`, "InvalidTrailNameException", "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 0 characters."},
		{"GetTrailStatus", `{"Name":"ab"}`, "InvalidTrailNameException", "Specified name length: 2 characters."},
		{"GetTrail", `{"Name":"-sealbox"}`, "InvalidTrailNameException", "Trail name must starts with a letter or number."},
		{"GetTrail", `{"Name":"seal box"}`, "InvalidTrailNameException", "can only contain uppercase letters"},
		{"GetTrail", `{"Name":"arn:aws:s3:::bucket"}`, "CloudTrailARNInvalidException", "arn:aws:cloudtrail:us-east-2:123456789012:trail/MyTrail"},
		{"DescribeTrails", `{"trailNameList":["x"]}`, "InvalidTrailNameException", "too short"},
		{"GetTrail", `{"Name":5}`, "SerializationException", ""},
	} {
		code, m := wire(t, s, "us-east-1", c.op, c.body)
		msg, _ := m["message"].(string)
		if code != 400 || m["__type"] != c.code || !strings.Contains(msg, c.msg) {
			t.Fatalf("%s %s = %d %v, want 400 %s %q", c.op, c.body, code, m, c.code, c.msg)
		}
	}
}

// TestTrailsInOtherRegions: elsewhere than its home region the trail is a
// multi-region trail's shadow: listed unless includeShadowTrails is
// false, found by its ARN, not by its name.
func TestTrailsInOtherRegions(t *testing.T) {
	s := sealtest.Start(t)
	c := cloudtrail.NewFromConfig(s.AWSConfig("eu-west-1"))
	out := sealtest.Must[*cloudtrail.DescribeTrailsOutput](t, "DescribeTrails")(c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{}))
	if len(out.TrailList) != 1 || aws.ToString(out.TrailList[0].HomeRegion) != "us-east-1" {
		t.Fatalf("DescribeTrails in eu-west-1 = %+v", out.TrailList)
	}
	out = sealtest.Must[*cloudtrail.DescribeTrailsOutput](t, "DescribeTrails")(c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)}))
	if len(out.TrailList) != 0 {
		t.Fatalf("DescribeTrails without shadow trails in eu-west-1 = %+v", out.TrailList)
	}
	out = sealtest.Must[*cloudtrail.DescribeTrailsOutput](t, "DescribeTrails")(c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{"sealbox"}}))
	if len(out.TrailList) != 0 {
		t.Fatalf("DescribeTrails of the name in eu-west-1 = %+v", out.TrailList)
	}
	out = sealtest.Must[*cloudtrail.DescribeTrailsOutput](t, "DescribeTrails")(c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{trailARN}}))
	if len(out.TrailList) != 1 {
		t.Fatalf("DescribeTrails of the ARN in eu-west-1 = %+v", out.TrailList)
	}
	_, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("sealbox")})
	sealtest.APIErrorContaining(t, "GetTrailStatus by name in eu-west-1", err, "TrailNotFoundException", 400,
		"Unknown trail: arn:aws:cloudtrail:eu-west-1:123456789012:trail/sealbox for the user: 123456789012")
	sealtest.Must[*cloudtrail.GetTrailStatusOutput](t, "GetTrailStatus by ARN")(c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(trailARN)}))
	g := sealtest.Must[*cloudtrail.GetTrailOutput](t, "GetTrail by ARN")(c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(trailARN)}))
	if aws.ToString(g.Trail.Name) != "sealbox" {
		t.Fatalf("GetTrail = %+v", g.Trail)
	}
}

// TestTrailsAuthorization: each operation is authorized on the trail's
// ARN, denied with AWS's AccessDeniedException, and recorded as a
// read-only management event.
func TestTrailsAuthorization(t *testing.T) {
	s := sealtest.Start(t)
	nobody := cloudtrail.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "nobody")))
	_, err := nobody.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("sealbox")})
	sealtest.APIErrorContaining(t, "GetTrailStatus as nobody", err, "AccessDeniedException", 400,
		"not authorized to perform: cloudtrail:GetTrailStatus on resource: "+trailARN)
	_, err = nobody.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("sealbox")})
	sealtest.APIErrorContaining(t, "GetTrail as nobody", err, "AccessDeniedException", 400, "cloudtrail:GetTrail on resource: "+trailARN)
	_, err = nobody.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	sealtest.APIErrorContaining(t, "DescribeTrails as nobody", err, "AccessDeniedException", 400, "cloudtrail:DescribeTrails on resource: "+trailARN)
	// Denied before the name is looked up: nobody learns which trails exist.
	_, err = nobody.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("other")})
	sealtest.APIError(t, "GetTrail other as nobody", err, "AccessDeniedException", 400)

	reader := cloudtrail.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "reader", "cloudtrail:GetTrailStatus")))
	sealtest.Must[*cloudtrail.GetTrailStatusOutput](t, "GetTrailStatus as reader")(reader.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("sealbox")}))
	_, err = reader.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String("sealbox")})
	sealtest.APIError(t, "GetTrail as reader", err, "AccessDeniedException", 400)

	c := cloudtrail.NewFromConfig(s.AWSConfig("us-east-1"))
	for _, name := range []string{"GetTrailStatus", "GetTrail", "DescribeTrails"} {
		out := sealtest.Must[*cloudtrail.LookupEventsOutput](t, "LookupEvents")(c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}}}))
		if len(out.Events) == 0 {
			t.Fatalf("no %s event", name)
		}
		e := out.Events[0]
		if aws.ToString(e.ReadOnly) != "true" || aws.ToString(e.EventSource) != "cloudtrail.amazonaws.com" {
			t.Fatalf("%s event: %+v", name, e)
		}
	}
}

// status reads the trail's status with the SDK.
func status(t *testing.T, c *cloudtrail.Client) *cloudtrail.GetTrailStatusOutput {
	t.Helper()
	return sealtest.Must[*cloudtrail.GetTrailStatusOutput](t, "GetTrailStatus")(c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String("sealbox")}))
}

// TestTrailStatusMoves: GetTrailStatus follows the sinks: the last event
// written, the last digest signed, a failing file sink's error while it
// fails, and the file sink's tampering finding, all without the data
// folder's path or any event's content.
func TestTrailStatusMoves(t *testing.T) {
	s := sealtest.Start(t)
	c := cloudtrail.NewFromConfig(s.AWSConfig("us-east-1"))
	start := s.Clock.Now()

	st := status(t, c)
	if !aws.ToBool(st.IsLogging) || st.StartLoggingTime == nil || st.StartLoggingTime.After(start) || start.Sub(*st.StartLoggingTime) > time.Minute {
		t.Fatalf("a new server's status: logging %v, started %v (clock %v)", aws.ToBool(st.IsLogging), st.StartLoggingTime, start)
	}
	if st.LatestDeliveryError != nil || st.LatestDigestDeliveryError != nil || st.LatestDigestDeliveryTime != nil {
		t.Fatalf("a new server's status: %+v", st)
	}

	// A call, an hour later by the server's clock: its event is delivered.
	s.Clock.Advance(time.Hour)
	at := s.Clock.Now()
	const marker = "trail-status-marker-5e1f"
	sealtest.Must[*ssm.PutParameterOutput](t, "PutParameter")(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/" + marker), Value: aws.String(marker), Type: "SecureString"}))
	st = status(t, c)
	if st.LatestDeliveryTime == nil || st.LatestDeliveryTime.Before(at.Truncate(time.Millisecond)) {
		t.Fatalf("LatestDeliveryTime = %v after a call at %v", st.LatestDeliveryTime, at)
	}

	// A digest interval later both sinks sign their digests.
	s.Clock.Advance(s.Config.AuditDigestInterval + time.Second)
	sealed := s.Clock.Now()
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.Srv.WaitDigests(wait, sealed.UTC()); err != nil {
		t.Fatal(err)
	}
	for st = status(t, c); st.LatestDigestDeliveryTime == nil || st.LatestDigestDeliveryTime.Before(sealed.Truncate(time.Millisecond)); st = status(t, c) {
		if wait.Err() != nil {
			t.Fatalf("LatestDigestDeliveryTime = %v, want the digests at %v", st.LatestDigestDeliveryTime, sealed)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The audit folder deleted while the server runs: the file sink makes
	// it again, and finds its file gone: a tampering finding.
	dir := filepath.Join(s.Dir, "audit")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, &kms.ListKeysInput{}))
	s.Srv.WaitBackground()
	day := s.Clock.Now().UTC().Format("2006-01-02") + ".jsonl"
	st = status(t, c)
	if e := aws.ToString(st.LatestDigestDeliveryError); !strings.Contains(e, "AuditTrailTamperingDetected") || !strings.Contains(e, day) ||
		!strings.Contains(e, "deleted") {
		t.Fatalf("LatestDigestDeliveryError after the folder was deleted = %q", e)
	}
	if st.LatestDeliveryError != nil {
		t.Fatalf("LatestDeliveryError once the file sink made its file again = %q", aws.ToString(st.LatestDeliveryError))
	}

	// Now a file in its place: the file sink fails, the store takes the
	// events, and the status says why the file sink fails.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, &kms.ListKeysInput{}))
	st = status(t, c)
	e := aws.ToString(st.LatestDeliveryError)
	if !aws.ToBool(st.IsLogging) || !strings.HasPrefix(e, "file sink: ") || !strings.Contains(e, "<data>/audit") {
		t.Fatalf("with the file sink failing: logging %v, LatestDeliveryError %q", aws.ToBool(st.IsLogging), e)
	}
	for _, f := range []string{e, aws.ToString(st.LatestDigestDeliveryError)} {
		if strings.Contains(f, s.Dir) || strings.Contains(f, marker) {
			t.Fatalf("the status tells the data folder or an event's content: %q", f)
		}
	}
	// Out of the way: a write call makes the folder again (the router
	// asks the sinks first), and the error is gone.
	os.Remove(dir)
	sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))
	if st = status(t, c); st.LatestDeliveryError != nil || !aws.ToBool(st.IsLogging) {
		t.Fatalf("after the file sink recovered: %q", aws.ToString(st.LatestDeliveryError))
	}
	if !strings.Contains(aws.ToString(st.LatestDigestDeliveryError), "AuditTrailTamperingDetected") {
		t.Fatal("the tampering finding was forgotten")
	}
}
