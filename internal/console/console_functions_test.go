//go:build !fuzzbinary

package console_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/console"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// The function the functions tests read: its environment sealed under a
// customer key, one plain secret and one reference.
const (
	fnSecret    = "hunter2-orders-planted"
	fnReference = "{{resolve:ssm:/orders/host}}"
	fnMasked    = "{{sealbox:masked}}"
)

// ordersFunction makes the role orders-exec (trusting Lambda), a KMS key,
// and the function orders under it with a published version 1 and an
// alias live.
func ordersFunction(t *testing.T, s *sealtest.Server) {
	t.Helper()
	ctx := context.Background()
	role := sealtest.Must[*iam.CreateRoleOutput](t, "CreateRole")(s.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("orders-exec"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	key := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("orders env")}))
	var zb bytes.Buffer
	z := zip.NewWriter(&zb)
	f, _ := z.Create("app.py")
	f.Write([]byte("def handler(e, c):\n    return 'ok'\n"))
	z.Close()
	sealtest.Must[*lambda.CreateFunctionOutput](t, "CreateFunction")(s.Lambda().CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("orders"), Role: role.Role.Arn, Runtime: lambdatypes.RuntimePython312, Handler: aws.String("app.handler"),
		Description: aws.String("orders API"), KMSKeyArn: key.KeyMetadata.Arn, Code: &lambdatypes.FunctionCode{ZipFile: zb.Bytes()},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"DB_PASSWORD": fnSecret, "DB_HOST": fnReference}}}))
	sealtest.Must[*lambda.PublishVersionOutput](t, "PublishVersion")(s.Lambda().PublishVersion(ctx, &lambda.PublishVersionInput{
		FunctionName: aws.String("orders"), Description: aws.String("first release")}))
	sealtest.Must[*lambda.CreateAliasOutput](t, "CreateAlias")(s.Lambda().CreateAlias(ctx, &lambda.CreateAliasInput{
		FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
}

// fnReaders are a user that may read the configuration and decrypt but not
// reveal, and one that may also reveal.
func fnReaders(t *testing.T, s *sealtest.Server) (reader, revealer aws.Credentials) {
	t.Helper()
	read := []string{"lambda:GetFunctionConfiguration", "lambda:ListFunctions", "lambda:ListVersionsByFunction", "lambda:ListAliases", "kms:Decrypt"}
	reader = s.NewUser(t, "reader", read...)
	revealer = s.NewUser(t, "revealer", append(read, "sealbox:RevealEnvironment")...)
	return reader, revealer
}

// TestFunctionPagesShowNoValueOnGET: neither the list nor the function's
// page (nor a version's) shows an environment value, even to principals
// the API answers values to; the names are shown, and the configuration.
func TestFunctionPagesShowNoValueOnGET(t *testing.T) {
	s := sealtest.Start(t)
	ordersFunction(t, s)
	_, revealer := fnReaders(t, s)
	for name, creds := range map[string]aws.Credentials{"admin": admin(), "revealer": revealer} {
		t.Run(name, func(t *testing.T) {
			// The API itself answers this principal the value.
			out := sealtest.Must[*lambda.GetFunctionConfigurationOutput](t, "GetFunctionConfiguration")(
				lambda.NewFromConfig(s.AWSConfigAs("us-east-1", creds)).GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders")}))
			if out.Environment.Variables["DB_PASSWORD"] != fnSecret {
				t.Fatalf("the API answers %s %v: the test would prove nothing", name, out.Environment.Variables)
			}
			b := newBrowser(t, s)
			b.signIn(creds)
			code, body := b.get("/console/functions")
			if code != 200 || !strings.Contains(body, `href="/console/functions/orders"`) || !strings.Contains(body, "python3.12") || !strings.Contains(body, "orders API") {
				t.Fatalf("list: %d\n%s", code, body)
			}
			for _, path := range []string{"/console/functions", "/console/functions/orders", "/console/functions/orders?qualifier=1", "/console/functions/orders?qualifier=live"} {
				code, body := b.get(path)
				if code != 200 {
					t.Fatalf("%s: %d\n%s", path, code, body)
				}
				if strings.Contains(body, fnSecret) || strings.Contains(body, "/orders/host") {
					t.Fatalf("%s shows an environment value on GET:\n%s", path, body)
				}
			}
			code, body = b.get("/console/functions/orders")
			for _, want := range []string{"DB_PASSWORD", "DB_HOST", "hidden until you reveal it", "Reveal environment", "app.handler",
				"role/orders-exec", "arn:aws:kms:us-east-1:123456789012:key/", "first release", ">live<"} {
				if !strings.Contains(body, want) {
					t.Errorf("the function page lacks %q", want)
				}
			}
			if t.Failed() {
				t.Fatalf("%d\n%s", code, body)
			}
		})
	}
}

// revealPage posts the function page's reveal form.
func revealPage(t *testing.T, b *browser, path string) string {
	t.Helper()
	b.get(path)
	code, _, body := b.post(path+"/reveal", nil)
	if code != 200 {
		t.Fatalf("reveal: %d\n%s", code, body)
	}
	return body
}

// TestFunctionRevealAsTheAPIAnswers: the reveal POST shows what
// GetFunctionConfiguration answers the caller: masked values and a note
// naming sealbox:RevealEnvironment for a user that may decrypt but not
// reveal; the values, references as written, for one that may reveal.
func TestFunctionRevealAsTheAPIAnswers(t *testing.T) {
	s := sealtest.Start(t)
	ordersFunction(t, s)
	reader, revealer := fnReaders(t, s)

	b := newBrowser(t, s)
	b.signIn(reader)
	code, body := b.get("/console/functions/orders")
	if code != 200 || strings.Count(body, fnMasked) != 2 {
		t.Fatalf("the reader's page should show both values masked: %d\n%s", code, body)
	}
	body = revealPage(t, b, "/console/functions/orders")
	if strings.Contains(body, fnSecret) || strings.Contains(body, "/orders/host") {
		t.Fatalf("the reader sees a value after reveal:\n%s", body)
	}
	if strings.Count(body, fnMasked) != 2 || !strings.Contains(body, "you lack <code>sealbox:RevealEnvironment</code>") {
		t.Fatalf("the reader's reveal should answer masked values and say why:\n%s", body)
	}

	b = newBrowser(t, s)
	b.signIn(revealer)
	body = revealPage(t, b, "/console/functions/orders")
	if !strings.Contains(body, `<code class="value">`+fnSecret+`</code>`) {
		t.Fatalf("the revealer does not see the value:\n%s", body)
	}
	if !strings.Contains(body, `<code class="value">`+fnReference+`</code> <span class="tag">reference</span>`) {
		t.Fatalf("the reference is not shown as written and marked:\n%s", body)
	}
	if strings.Contains(body, fnMasked) || strings.Contains(body, "sealbox:RevealEnvironment</code>") {
		t.Fatalf("the revealer's answer is masked or says it may not reveal:\n%s", body)
	}
	// A version's environment is revealed through the qualifier.
	b.get("/console/functions/orders?qualifier=1")
	code, _, body = b.post("/console/functions/orders/reveal", url.Values{"qualifier": {"1"}})
	if code != 200 || !strings.Contains(body, fnSecret) || !strings.Contains(body, "Function orders:1") {
		t.Fatalf("reveal of version 1: %d\n%s", code, body)
	}

	// Without the form's token the reveal is refused and shows nothing.
	code, _, body = b.do("POST", "/console/functions/orders/reveal", url.Values{"csrf": {"forged"}})
	if code != http.StatusForbidden || strings.Contains(body, fnSecret) {
		t.Fatalf("reveal without the token: %d\n%s", code, body)
	}

	// Each reveal was the revealer's own GetFunctionConfiguration, by the
	// console.
	n := 0
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		ui, _ := e["userIdentity"].(map[string]any)
		if strings.HasPrefix(e["eventName"].(string), "GetFunctionConfiguration") && e["userAgent"] == console.UserAgent && ui["arn"] == "arn:aws:iam::123456789012:user/revealer" {
			n++
		}
	}
	if n < 3 {
		t.Fatalf("%d audited GetFunctionConfiguration calls by the revealer through the console, want at least 3", n)
	}
}

// TestFunctionsListPaginates: the list shows 50 functions and a link to the
// next page with Lambda's marker, which shows the rest.
func TestFunctionsListPaginates(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	role := sealtest.Must[*iam.CreateRoleOutput](t, "CreateRole")(s.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("exec"),
		AssumeRolePolicyDocument: aws.String(execTrust)}))
	for i := range 53 {
		sealtest.Must[*lambda.CreateFunctionOutput](t, "CreateFunction")(s.Lambda().CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(fmt.Sprintf("fn%02d", i)), Role: role.Role.Arn, Runtime: lambdatypes.RuntimePython312,
			Handler: aws.String("app.handler"), Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK\x05\x06" + strings.Repeat("\x00", 18))}}))
	}
	b := newBrowser(t, s)
	b.signIn(admin())
	row := regexp.MustCompile(`href="/console/functions/fn\d\d"`)
	code, body := b.get("/console/functions")
	next := regexp.MustCompile(`href="(/console/functions\?marker=[^"]+)">Next page`).FindStringSubmatch(body)
	if code != 200 || len(row.FindAllString(body, -1)) != 50 || next == nil {
		t.Fatalf("first page: %d, %d rows, next %v\n%s", code, len(row.FindAllString(body, -1)), next, body)
	}
	code, body = b.get(next[1])
	if n := len(row.FindAllString(body, -1)); code != 200 || n != 3 || strings.Contains(body, "Next page") {
		t.Fatalf("second page: %d, %d rows (53 functions in all)\n%s", code, n, body)
	}
}
