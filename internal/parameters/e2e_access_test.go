package parameters_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestTags(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	must[*ssm.PutParameterOutput](t, "PutParameter with tags")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/t/a"), Value: aws.String("v"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	must[*ssm.AddTagsToResourceOutput](t, "AddTagsToResource")(c.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: types.ResourceTypeForTaggingParameter,
		ResourceId: aws.String("/t/a"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("red")}}}))
	l := must[*ssm.ListTagsForResourceOutput](t, "ListTagsForResource")(c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/t/a")}))
	if len(l.TagList) != 2 || *l.TagList[0].Key != "env" || *l.TagList[1].Value != "red" {
		t.Fatalf("tags = %+v", l.TagList)
	}
	must[*ssm.RemoveTagsFromResourceOutput](t, "RemoveTagsFromResource")(c.RemoveTagsFromResource(ctx, &ssm.RemoveTagsFromResourceInput{ResourceType: types.ResourceTypeForTaggingParameter,
		ResourceId: aws.String("/t/a"), TagKeys: []string{"env", "absent"}}))
	l = must[*ssm.ListTagsForResourceOutput](t, "ListTagsForResource after remove")(c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/t/a")}))
	if len(l.TagList) != 1 || *l.TagList[0].Key != "team" {
		t.Fatalf("tags after remove = %+v", l.TagList)
	}
	_, err := c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/none")})
	wantAPIError(t, "ListTagsForResource missing", err, "InvalidResourceId")
	_, err = c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingDocument, ResourceId: aws.String("doc")})
	wantAPIError(t, "ListTagsForResource Document", err, "InvalidResourceType")
	_, err = c.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/t/a"),
		Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	wantAPIError(t, "aws: tag", err, "ValidationException")
	// Tags survive a new version.
	put(t, c, "/t/a", "v2", true)
	l = must[*ssm.ListTagsForResourceOutput](t, "ListTagsForResource after overwrite")(c.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/t/a")}))
	if len(l.TagList) != 1 {
		t.Fatalf("tags after overwrite = %+v", l.TagList)
	}
}

// TestConditionKeys: the ssm: and aws: condition keys reach the
// authorizer: ssm:Overwrite, ssm:Recursive, aws:ResourceTag, aws:RequestTag
// and aws:TagKeys; GetParametersByPath is authorized on the path itself.
func TestConditionKeys(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.SSM()
	must[*ssm.PutParameterOutput](t, "PutParameter blue")(admin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/c/blue"), Value: aws.String("v"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	must[*ssm.PutParameterOutput](t, "PutParameter red")(admin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/c/red"), Value: aws.String("v"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}))
	put(t, admin, "/c/deep/x", "v", false)
	c, _, session := roleClients(t, s, "blue", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
		{"Effect":"Allow","Action":"ssm:PutParameter","Resource":"*","Condition":{"Bool":{"ssm:Overwrite":"false"}}},
		{"Effect":"Allow","Action":"ssm:AddTagsToResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
		{"Effect":"Allow","Action":"ssm:GetParametersByPath","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/c","Condition":{"Bool":{"ssm:Recursive":"false"}}},
		{"Effect":"Allow","Action":"ssm:DescribeParameters","Resource":"*"}]}`)
	must[*ssm.GetParameterOutput](t, "GetParameter blue")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/c/blue")}))
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/c/red")})
	wantMessage(t, "GetParameter red", err, "AccessDeniedException", "User: "+session+" is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/c/red")
	must[*ssm.PutParameterOutput](t, "PutParameter new")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/c/new"), Value: aws.String("v"), Type: types.ParameterTypeString}))
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/c/new"), Value: aws.String("v2"), Overwrite: aws.Bool(true)})
	wantMessage(t, "PutParameter Overwrite", err, "AccessDeniedException", "ssm:PutParameter")
	must[*ssm.PutParameterOutput](t, "PutParameter tagged blue")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/c/new2"), Value: aws.String("v"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/c/new3"), Value: aws.String("v"), Type: types.ParameterTypeString,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
	wantMessage(t, "PutParameter tagged red", err, "AccessDeniedException", "ssm:AddTagsToResource")
	got := byPath(t, c, &ssm.GetParametersByPathInput{Path: aws.String("/c")})
	if len(got) != 4 {
		t.Fatalf("/c one level = %v", got)
	}
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/c"), Recursive: aws.Bool(true)})
	wantMessage(t, "GetParametersByPath recursive", err, "AccessDeniedException", "ssm:GetParametersByPath on resource: arn:aws:ssm:us-east-1:123456789012:parameter/c")
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/c/deep")})
	wantAPIError(t, "GetParametersByPath another path", err, "AccessDeniedException")
	must[*ssm.DescribeParametersOutput](t, "DescribeParameters")(c.DescribeParameters(ctx, &ssm.DescribeParametersInput{}))
	_, err = c.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/c/new"}})
	wantMessage(t, "DeleteParameters", err, "AccessDeniedException", "ssm:DeleteParameters")
	_, err = c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/c/blue")})
	wantMessage(t, "GetParameterHistory", err, "AccessDeniedException", "ssm:GetParameterHistory")
	_, err = c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/c/blue"), Labels: []string{"x"}})
	wantMessage(t, "LabelParameterVersion", err, "AccessDeniedException", "ssm:LabelParameterVersion")
}

// TestPoliciesRun drives parameter policies with the fake clock: the
// notifications become audit events, and the expired parameter is deleted.
func TestPoliciesRun(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	expires := s.Clock.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
	pol := `[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"` + expires + `"}},
		{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"1","Unit":"Days"}},
		{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"12","Unit":"Hours"}}]`
	out := must[*ssm.PutParameterOutput](t, "PutParameter with policies")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p/temp"), Value: aws.String("policy-secret-value"),
		Type: types.ParameterTypeSecureString, Tier: types.ParameterTierIntelligentTiering, Policies: aws.String(pol)}))
	if out.Tier != types.ParameterTierAdvanced {
		t.Fatalf("Intelligent-Tiering with policies = %s, want Advanced", out.Tier)
	}
	d := must[*ssm.DescribeParametersOutput](t, "DescribeParameters")(c.DescribeParameters(ctx, &ssm.DescribeParametersInput{}))
	if len(d.Parameters[0].Policies) != 3 || *d.Parameters[0].Policies[0].PolicyStatus != "Pending" || *d.Parameters[0].Policies[1].PolicyType != "ExpirationNotification" {
		t.Fatalf("policies = %+v", d.Parameters[0].Policies)
	}
	events := func(name string) []map[string]any {
		var out []map[string]any
		for _, e := range sealtest.AuditEvents(t, s.Dir) {
			if e["eventName"] == name {
				out = append(out, e)
			}
		}
		return out
	}
	status := func(typ string) string {
		d := must[*ssm.DescribeParametersOutput](t, "DescribeParameters")(c.DescribeParameters(ctx, &ssm.DescribeParametersInput{}))
		for _, p := range d.Parameters[0].Policies {
			if *p.PolicyType == typ {
				return *p.PolicyStatus
			}
		}
		return ""
	}
	s.Clock.Advance(13 * time.Hour)
	s.WaitSweep()
	if n := len(events("NoChangeNotification")); n != 1 {
		t.Fatalf("%d NoChangeNotification events after 13h, want 1", n)
	}
	if st := status("NoChangeNotification"); st != "Finished" {
		t.Fatalf("NoChangeNotification status = %s", st)
	}
	e := events("NoChangeNotification")[0]
	if e["eventSource"] != "ssm.amazonaws.com" || e["eventType"] != "AwsServiceEvent" ||
		e["resources"].([]any)[0].(map[string]any)["ARN"] != "arn:aws:ssm:us-east-1:123456789012:parameter/p/temp" {
		t.Fatalf("NoChangeNotification event = %v", e)
	}
	// A new version starts the no-change clock again and leaves the
	// expiration as it was.
	must[*ssm.PutParameterOutput](t, "PutParameter v2")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p/temp"), Value: aws.String("policy-secret-value-2"), Overwrite: aws.Bool(true)}))
	if st := status("NoChangeNotification"); st != "Pending" {
		t.Fatalf("NoChangeNotification after an update = %s", st)
	}
	s.Clock.Advance(35 * time.Hour) // 48h: a day before the expiration
	s.WaitSweep()
	if len(events("ExpirationNotification")) != 1 || len(events("NoChangeNotification")) != 2 {
		t.Fatalf("after 48h: %d ExpirationNotification, %d NoChangeNotification events", len(events("ExpirationNotification")), len(events("NoChangeNotification")))
	}
	must[*ssm.GetParameterOutput](t, "GetParameter before expiry")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p/temp")}))
	s.Clock.Advance(25 * time.Hour)
	s.WaitSweep()
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p/temp")})
	wantAPIError(t, "GetParameter after expiry", err, "ParameterNotFound")
	_, err = c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/p/temp")})
	wantAPIError(t, "history after expiry", err, "ParameterNotFound")
	if len(events("Expiration")) != 1 || len(events("ExpirationNotification")) != 1 {
		t.Fatalf("events: %d Expiration, %d ExpirationNotification", len(events("Expiration")), len(events("ExpirationNotification")))
	}
	// "[]" removes every policy.
	pol = `[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"` + s.Clock.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}}]`
	must[*ssm.PutParameterOutput](t, "PutParameter with a policy")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p/keep"), Value: aws.String("v"),
		Type: types.ParameterTypeString, Tier: types.ParameterTierAdvanced, Policies: aws.String(pol)}))
	must[*ssm.PutParameterOutput](t, "PutParameter removing policies")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p/keep"), Value: aws.String("v2"),
		Overwrite: aws.Bool(true), Policies: aws.String("[]")}))
	s.Clock.Advance(100 * time.Hour)
	s.WaitSweep() // a sweep past the removed expiration
	must[*ssm.GetParameterOutput](t, "GetParameter without policies")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p/keep")}))
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if b, _ := json.Marshal(e); bytes.Contains(b, []byte("policy-secret-value")) {
			t.Fatalf("an audit event holds the value: %s", b)
		}
	}
}

// TestValuesStayOut plants values, then proves they appear in no audit
// event, log line or raw byte of the data folder, and that the audit events
// of the calls that carry values record the calls without them.
func TestValuesStayOut(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	secure, plain := "planted-securestring-7c1e", "planted-string-value-93ab"
	must[*ssm.PutParameterOutput](t, "PutParameter secure")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/s/secure"), Value: aws.String(secure), Type: types.ParameterTypeSecureString}))
	must[*ssm.PutParameterOutput](t, "PutParameter plain")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/s/plain"), Value: aws.String(plain), Type: types.ParameterTypeString}))
	must[*ssm.PutParameterOutput](t, "PutParameter secure v2")(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/s/secure"), Value: aws.String(secure + "-2"), Overwrite: aws.Bool(true)}))
	must[*ssm.GetParameterOutput](t, "GetParameter")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/s/secure"), WithDecryption: aws.Bool(true)}))
	must[*ssm.GetParametersOutput](t, "GetParameters")(c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/s/secure", "/s/plain"}, WithDecryption: aws.Bool(true)}))
	must[*ssm.GetParametersByPathOutput](t, "GetParametersByPath")(c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/s"), WithDecryption: aws.Bool(true)}))
	must[*ssm.GetParameterHistoryOutput](t, "GetParameterHistory")(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/s/secure"), WithDecryption: aws.Bool(true)}))
	c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/s/num"), Value: aws.String(secure), Type: types.ParameterTypeString, AllowedPattern: aws.String(`\d+`)})

	var puts, gets int
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		switch e["eventName"] {
		case "PutParameter":
			puts++
			params := e["requestParameters"].(map[string]any)
			if _, has := params["value"]; has || params["name"] == nil || params["type"] == nil && e["errorCode"] == nil && params["overwrite"] == nil {
				t.Fatalf("PutParameter requestParameters = %v", params)
			}
		case "GetParameter":
			gets++
			if e["responseElements"] != nil || e["resources"].([]any)[0].(map[string]any)["ARN"] != "arn:aws:ssm:us-east-1:123456789012:parameter/s/secure" {
				t.Fatalf("GetParameter event = %v", e)
			}
		}
	}
	if puts != 4 || gets != 1 {
		t.Fatalf("%d PutParameter and %d GetParameter events", puts, gets)
	}
	s.Stop()

	secrets := map[string][]byte{"SecureString value": []byte(secure), "String value in audit": []byte(plain)}
	filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(s.Dir, path)
		for name, v := range secrets {
			if bytes.Contains(data, v) {
				t.Errorf("%s holds the %s", rel, name)
			}
		}
		return nil
	})
	for name, v := range secrets {
		if strings.Contains(s.Logs.String(), string(v)) {
			t.Errorf("the logs hold the %s", name)
		}
	}
}
