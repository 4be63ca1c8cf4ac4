//go:build !fuzzbinary

package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

const aliceARN = "arn:aws:iam::123456789012:user/alice"

// kmsAs is a KMS client signing with creds.
func kmsAs(s *sealtest.Server, creds aws.Credentials) *kms.Client {
	return kms.NewFromConfig(s.AWSConfigAs("us-east-1", creds))
}

var eventLink = regexp.MustCompile(`href="/console/audit/event\?id=([^"]+)">([A-Za-z]+)</a>`)

// eventIDs are the ids of the events named name that a list links to.
func eventIDs(body, name string) []string {
	var out []string
	for _, m := range eventLink.FindAllStringSubmatch(body, -1) {
		if m[2] == name {
			id, _ := url.QueryUnescape(html.UnescapeString(m[1]))
			out = append(out, id)
		}
	}
	return out
}

// linksTo says whether the page links to href (html/template writes
// percent escapes in lower case).
func linksTo(body, href string) bool {
	return strings.Contains(strings.ToLower(body), `href="`+strings.ToLower(href)+`"`)
}

// pre is the text of the page's <pre class="...class...">.
func pre(t *testing.T, body, class string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<pre class="[^"]*\b` + class + `\b[^"]*"[^>]*>(.*?)</pre>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no <pre class=%s> in the page:\n%s", class, body)
	}
	return html.UnescapeString(m[1])
}

// TestAuditLookup: a call made through the SDK is found by its
// EventName and by its Username, and its detail page shows its
// CloudTrail record.
func TestAuditLookup(t *testing.T) {
	s := sealtest.Start(t)
	alice := s.NewUser(t, "alice", "kms:CreateKey")
	key := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(kmsAs(s, alice).CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("alice's")}))
	keyARN := *key.KeyMetadata.Arn
	b := newBrowser(t, s)
	b.signIn(admin())

	code, body := b.get("/console/audit?key=EventName&value=CreateKey")
	if code != 200 {
		t.Fatalf("lookup by EventName: %d\n%s", code, body)
	}
	ids := eventIDs(body, "CreateKey")
	if len(ids) != 1 || !linksTo(body, `/console/audit/principal?arn=`+url.QueryEscape(aliceARN)) {
		t.Fatalf("lookup by EventName: want alice's one CreateKey, got %v\n%s", ids, body)
	}
	if strings.Contains(body, ">GetCallerIdentity<") {
		t.Fatal("the EventName filter let other events through")
	}
	code, body = b.get("/console/audit?key=Username&value=alice")
	if code != 200 || len(eventIDs(body, "CreateKey")) != 1 || eventIDs(body, "CreateKey")[0] != ids[0] {
		t.Fatalf("lookup by Username: %d, want alice's CreateKey %s\n%s", code, ids[0], body)
	}
	if strings.Contains(body, ">admin<") {
		t.Fatal("the Username filter let admin's events through")
	}

	code, body = b.get("/console/audit/event?id=" + url.QueryEscape(ids[0]))
	if code != 200 {
		t.Fatalf("event page: %d\n%s", code, body)
	}
	var rec struct {
		EventID      string `json:"eventID"`
		EventName    string `json:"eventName"`
		UserIdentity struct {
			ARN string `json:"arn"`
		} `json:"userIdentity"`
		ResponseElements struct {
			KeyMetadata struct {
				Arn string `json:"arn"`
			} `json:"keyMetadata"`
		} `json:"responseElements"`
	}
	text := pre(t, body, "event-json")
	if err := json.Unmarshal([]byte(text), &rec); err != nil {
		t.Fatalf("the event's JSON: %v\n%s", err, text)
	}
	if rec.EventID != ids[0] || rec.EventName != "CreateKey" || rec.UserIdentity.ARN != aliceARN || !strings.Contains(text, keyARN) {
		t.Fatalf("the event page shows %+v, want alice's CreateKey of %s:\n%s", rec, keyARN, text)
	}
	if !strings.Contains(text, "\n  \"") {
		t.Fatal("the event's JSON is not pretty-printed")
	}
	if code, body := b.get("/console/audit/event?id=no-such-event"); code != http.StatusNotFound || !strings.Contains(body, "no-such-event") {
		t.Fatalf("an unknown event: %d\n%s", code, body)
	}
	if code, body := b.get("/console/audit?start=yesterday"); code != http.StatusBadRequest || !strings.Contains(body, "is not a time") {
		t.Fatalf("a bad start time: %d\n%s", code, body)
	}
}

// TestAuditTimeline: a principal's timeline lists its calls (and no one
// else's), newest first, its denial highlighted, by ARN and by Username.
func TestAuditTimeline(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	alice := s.NewUser(t, "alice", "kms:CreateKey", "kms:ListKeys")
	k := kmsAs(s, alice)
	sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(k.CreateKey(ctx, nil))
	sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(k.ListKeys(ctx, nil))
	if _, err := k.ListAliases(ctx, nil); err == nil {
		t.Fatal("alice may ListAliases")
	}
	b := newBrowser(t, s)
	b.signIn(admin())
	for _, q := range []string{"arn=" + url.QueryEscape(aliceARN), "username=alice"} {
		code, body := b.get("/console/audit/principal?" + q)
		if code != 200 {
			t.Fatalf("timeline %s: %d\n%s", q, code, body)
		}
		var names []string
		for _, m := range eventLink.FindAllStringSubmatch(body, -1) {
			names = append(names, m[2])
		}
		if got := strings.Join(names, ","); got != "ListAliases,ListKeys,CreateKey" {
			t.Fatalf("timeline %s: events %s, want alice's three newest first\n%s", q, got, body)
		}
		if !regexp.MustCompile(`(?s)<tr class="denied">.*?ListAliases.*?AccessDenied`).MatchString(body) {
			t.Fatalf("timeline %s: the denial is not highlighted\n%s", q, body)
		}
		if !strings.Contains(body, "1 denied") || !linksTo(body, `/console/audit/suggest?arn=`+url.QueryEscape(aliceARN)) {
			t.Fatalf("timeline %s: no denial count or suggestion link\n%s", q, body)
		}
	}
}

// TestAuditSuggestPolicy: the suggested policy allows exactly the actions
// the principal performed with success, as found through LookupEvents.
func TestAuditSuggestPolicy(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	alice := s.NewUser(t, "alice", "kms:CreateKey", "kms:Encrypt", "kms:DescribeKey", "ssm:PutParameter")
	k := kmsAs(s, alice)
	key := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(k.CreateKey(ctx, nil))
	sealtest.Must[*kms.EncryptOutput](t, "Encrypt")(k.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("x"),
		EncryptionContext: map[string]string{"app": "orders"}}))
	sealtest.Must[*kms.DescribeKeyOutput](t, "DescribeKey")(k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyMetadata.KeyId}))
	sealtest.Must[*ssm.PutParameterOutput](t, "PutParameter")(ssm.NewFromConfig(s.AWSConfigAs("us-east-1", alice)).PutParameter(ctx,
		&ssm.PutParameterInput{Name: aws.String("/orders/url"), Value: aws.String("u"), Type: ssmtypes.ParameterTypeString}))
	if _, err := k.ListKeys(ctx, nil); err == nil { // denied: not in the policy
		t.Fatal("alice may ListKeys")
	}
	b := newBrowser(t, s)
	b.signIn(admin())
	code, body := b.get("/console/audit/suggest?arn=" + url.QueryEscape(aliceARN) + "&days=7")
	if code != 200 {
		t.Fatalf("suggest: %d\n%s", code, body)
	}
	var p struct {
		Statement []struct {
			Effect    string
			Action    []string
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(pre(t, body, "suggested")), &p); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, st := range p.Statement {
		if st.Effect != "Allow" {
			t.Fatalf("statement %+v", st)
		}
		actions = append(actions, st.Action...)
		for _, a := range st.Action {
			if a == "kms:Encrypt" && (st.Condition["StringEquals"]["kms:EncryptionContext:app"] != "orders" || st.Resource[0] != *key.KeyMetadata.Arn) {
				t.Fatalf("kms:Encrypt's statement %+v: want the key and its encryption context", st)
			}
		}
	}
	sort.Strings(actions)
	if got, want := strings.Join(actions, ","), "kms:CreateKey,kms:DescribeKey,kms:Encrypt,ssm:PutParameter"; got != want {
		t.Fatalf("the suggested policy allows %s, want exactly %s\n%s", got, want, body)
	}

	// Only a caller allowed cloudtrail:LookupEvents gets one.
	nb := newBrowser(t, s)
	nb.signIn(s.NewUser(t, "nobody"))
	code, body = nb.get("/console/audit/suggest?arn=" + url.QueryEscape(aliceARN))
	if code == 200 || !strings.Contains(body, "AccessDeniedException") || !strings.Contains(body, "not authorized to perform: cloudtrail:LookupEvents") || strings.Contains(body, "kms:") {
		t.Fatalf("suggest as nobody: %d\n%s", code, body)
	}
}

// TestAuditDeniedWithoutLookupEvents: a user not allowed
// cloudtrail:LookupEvents sees AWS's denial on every audit page and no
// event.
func TestAuditDeniedWithoutLookupEvents(t *testing.T) {
	s := sealtest.Start(t)
	b := newBrowser(t, s)
	b.signIn(s.NewUser(t, "nobody", "kms:ListKeys"))
	for _, path := range []string{"/console/audit", "/console/audit?key=EventName&value=CreateUser", "/console/audit/principal?username=admin",
		"/console/audit/event?id=x"} {
		code, body := b.get(path)
		if code != http.StatusBadRequest || !strings.Contains(body, "AccessDeniedException") ||
			!strings.Contains(body, "user/nobody is not authorized to perform: cloudtrail:LookupEvents") {
			t.Fatalf("%s as nobody: %d\n%s", path, code, body)
		}
		if eventLink.MatchString(body) || strings.Contains(body, "CreateUser</a>") {
			t.Fatalf("%s as nobody shows events:\n%s", path, body)
		}
	}
}

// TestOverviewPanels: the overview shows a key pending deletion, a
// failed authorization, a secret whose rotation is overdue and its
// failed rotation; to a user who may not look, each panel shows AWS's
// denial.
func TestOverviewPanels(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	c := s.KMS()
	doomed := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(c.CreateKey(ctx, nil))
	kept := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(c.CreateKey(ctx, nil))
	sealtest.Must[*kms.ScheduleKeyDeletionOutput](t, "ScheduleKeyDeletion")(c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: doomed.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)}))
	mallory := s.NewUser(t, "mallory")
	if _, err := kmsAs(s, mallory).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: kept.KeyMetadata.KeyId}); err == nil {
		t.Fatal("mallory may DescribeKey")
	}
	// A built-in rotation whose new password breaks the secret's schema
	// fails, and keeps failing: a day later its window has passed.
	sm := s.SecretsManager()
	sealtest.Must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("v/tight"),
		SecretString: aws.String(`{"password":"short"}`), Tags: []smtypes.Tag{{Key: aws.String("sealbox:validation-schema"),
			Value: aws.String(`{"type":"object","properties":{"password":{"type":"string","maxLength":8}}}`)}}}))
	sealtest.Must[*secretsmanager.RotateSecretOutput](t, "RotateSecret")(sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("v/tight"),
		RotationLambdaARN: aws.String("arn:aws:lambda:us-east-1:123456789012:function:sealbox-generate-password"),
		RotationRules:     &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1)}}))
	s.WaitRotations()
	s.Clock.Advance(24 * time.Hour)
	s.WaitRotations()
	b := newBrowser(t, s)
	b.signIn(admin())
	code, body := b.get("/console/")
	if code != 200 {
		t.Fatalf("overview: %d\n%s", code, body)
	}
	section := func(id string) string {
		m := regexp.MustCompile(`(?s)<section class="card panel" aria-labelledby="` + id + `">(.*?)</section>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no panel %s:\n%s", id, body)
		}
		return m[1]
	}
	if p := section("p-pending"); !strings.Contains(p, *doomed.KeyMetadata.KeyId) || strings.Contains(p, *kept.KeyMetadata.KeyId) {
		t.Fatalf("pending deletion panel:\n%s", p)
	}
	if p := section("p-denials"); !strings.Contains(p, "user/mallory") || !strings.Contains(p, "kms.amazonaws.com DescribeKey") {
		t.Fatalf("failed authorizations panel:\n%s", p)
	}
	if p := section("p-trail"); !strings.Contains(p, "No AuditTrailTamperingDetected") || !strings.Contains(p, "<dt>Logging</dt><dd>Yes, since ") ||
		!regexp.MustCompile(`<dt>Last delivery</dt><dd>\d{4}-\d\d-\d\d `).MatchString(p) || strings.Contains(p, "Delivery error") {
		t.Fatalf("trail panel:\n%s", p)
	}
	if p := section("p-rotation"); !strings.Contains(p, "v/tight: due since") || !strings.Contains(p, ":secret:v/tight-") || !strings.Contains(p, "maxLength") {
		t.Fatalf("rotation panel:\n%s", p)
	}

	mb := newBrowser(t, s)
	mb.signIn(mallory)
	code, body = mb.get("/console/")
	if code != 200 {
		t.Fatalf("overview as mallory: %d", code)
	}
	for id, action := range map[string]string{"p-pending": "kms:ListKeys", "p-rotation": "secretsmanager:ListSecrets", "p-denials": "cloudtrail:LookupEvents", "p-trail": "cloudtrail:LookupEvents"} {
		if p := section(id); !strings.Contains(p, "AccessDeniedException") || !strings.Contains(p, "not authorized to perform: "+action) {
			t.Fatalf("panel %s as mallory: want AWS's denial of %s:\n%s", id, action, p)
		}
	}
	if p := section("p-trail"); !strings.Contains(p, "not authorized to perform: cloudtrail:GetTrailStatus on resource: arn:aws:cloudtrail:us-east-1:123456789012:trail/sealbox") ||
		strings.Contains(p, "Last delivery") {
		t.Fatalf("trail panel as mallory: want AWS's denial of cloudtrail:GetTrailStatus:\n%s", p)
	}
	if strings.Contains(body, *doomed.KeyMetadata.KeyId) {
		t.Fatal("mallory's overview shows the key")
	}
}

// TestBrowserAudit: in the browser, a key created in the console is found
// in the audit trail and its event opened; a principal's timeline and a
// suggested policy; and a form on another origin that posts to the
// console, visited by the signed-in browser, creates nothing: from
// another port of the same host (same site, so the SameSite=Strict cookie
// goes along) the token and origin checks refuse it; from another site
// the cookie does not go.
func TestBrowserAudit(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	alice := s.NewUser(t, "alice", "kms:CreateKey", "kms:DescribeKey")
	key := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(kmsAs(s, alice).CreateKey(ctx, nil))
	sealtest.Must[*kms.DescribeKeyOutput](t, "DescribeKey")(kmsAs(s, alice).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyMetadata.KeyId}))

	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Win a prize</title>
<form method="post" action="%s/console/kms">
<input type="hidden" name="csrf" value="guessed"><input type="hidden" name="description" value="made by evil">
<input type="hidden" name="spec" value="SYMMETRIC_DEFAULT"><input type="hidden" name="usage" value="ENCRYPT_DECRYPT">
<button type="submit">Claim</button></form>`, s.URL)
	}))
	defer evil.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(evil.URL, "http://"))
	// The same host on another port is another origin of the same site;
	// localhost is another site.
	t.Setenv("SEALBOX_EVIL_SAME_SITE", evil.URL)
	t.Setenv("SEALBOX_EVIL_CROSS_SITE", "http://localhost:"+port)
	t.Setenv("SEALBOX_ALICE_ARN", aliceARN)

	runBrowser(t, s, "audit.e2e.mjs", map[string]aws.Credentials{"admin": admin()})

	keys := sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, nil)).Keys
	if len(keys) != 2 {
		t.Fatalf("%d keys, want alice's and the one made in the console: the other origins' forms made one", len(keys))
	}
	for _, k := range keys {
		d := sealtest.Must[*kms.DescribeKeyOutput](t, "DescribeKey")(s.KMS().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId}))
		if aws.ToString(d.KeyMetadata.Description) == "made by evil" {
			t.Fatal("the other origin's form made a key")
		}
	}
}
