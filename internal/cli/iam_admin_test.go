package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealtest"
)

var credLine = regexp.MustCompile(`(?m)^aws_access_key_id = (AKIA[A-Z0-9]{16})\naws_secret_access_key = (\S{40})$`)

// readCreds returns the pair in a shared-credentials text.
func readCreds(t *testing.T, text string) aws.Credentials {
	t.Helper()
	m := credLine.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no access key pair in:\n%s", text)
	}
	return aws.Credentials{AccessKeyID: m[1], SecretAccessKey: m[2]}
}

// noPreset starts a test server without a preset administrator: the data
// folder's own is used.
func noPreset(c *config.Config) { c.AdminAccessKeyID, c.AdminSecretAccessKey = "", primitive.Secret{} }

func callerARN(t *testing.T, s *sealtest.Server, creds aws.Credentials) (string, error) {
	t.Helper()
	who, err := sts.NewFromConfig(s.AWSConfigAs("us-east-1", creds)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(who.Arn), nil
}

// TestRootCredentials: break glass on a stopped server makes a root key,
// prints it once, and records it on the audit trail; on a running server
// it is refused.
func TestRootCredentials(t *testing.T) {
	s := sealtest.Start(t, noPreset)
	code, _, errOut := runMain(t, nil, "iam", "root-credentials", "--data", s.Dir)
	if code == 0 || !strings.Contains(errOut, "stop the server first") {
		t.Fatalf("root-credentials on a running server = exit %d, %q; want a refusal", code, errOut)
	}
	s.Stop()
	code, out, errOut := runMain(t, nil, "iam", "root-credentials", "--data", s.Dir)
	if code != 0 {
		t.Fatalf("root-credentials = exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "[sealbox-root]\n") {
		t.Errorf("root-credentials printed %q, want a sealbox-root profile", out)
	}
	root := readCreds(t, out)
	if strings.Contains(errOut, root.SecretAccessKey) {
		t.Errorf("the secret was printed to stderr too")
	}
	var found bool
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["eventName"] != "CreateAccessKey" || e["userAgent"] != "sealbox iam root-credentials" {
			continue
		}
		found = true
		who := e["userIdentity"].(map[string]any)
		add, _ := e["additionalEventData"].(map[string]any)
		if who["type"] != "Root" || who["arn"] != "arn:aws:iam::123456789012:root" || add["breakGlass"] != true {
			t.Errorf("break-glass event = %v", e)
		}
		if raw, _ := json.Marshal(e); bytes.Contains(raw, []byte(root.SecretAccessKey)) {
			t.Errorf("the audit event holds the secret: %s", raw)
		}
	}
	if !found {
		t.Errorf("no CreateAccessKey event of sealbox iam root-credentials on the audit trail")
	}

	s.Restart()
	arn, err := callerARN(t, s, root)
	if err != nil || arn != "arn:aws:iam::123456789012:root" {
		t.Fatalf("GetCallerIdentity with the break-glass key = %q, %v; want the root", arn, err)
	}
	code, _, errOut = runMain(t, nil, "iam", "root-credentials", "--data", filepath.Join(t.TempDir(), "none"))
	if code == 0 || !strings.Contains(errOut, "no sealbox data folder") {
		t.Errorf("root-credentials without a data folder = exit %d, %q", code, errOut)
	}
}

// TestMigrateAdmin: a data folder of the version before the admin user
// keeps working with the root's key, logs how to move once, and
// 'sealbox iam migrate-admin' moves it: the user admin, its key in the
// credentials file, the root's key deleted once confirmed.
func TestMigrateAdmin(t *testing.T) {
	dir := t.TempDir()
	legacy := aws.Credentials{AccessKeyID: "AKIAOLDROOTKEY000001", SecretAccessKey: "oldrootsecretoldrootsecretoldrootsecret0"}
	sealtest.LegacyRootAdmin(t, dir, legacy.AccessKeyID, legacy.SecretAccessKey)

	s := sealtest.Start(t, sealtest.WithDir(dir), noPreset)
	if arn, err := callerARN(t, s, legacy); err != nil || arn != "arn:aws:iam::123456789012:root" {
		t.Fatalf("the legacy root key = %q, %v; want it working as the root", arn, err)
	}
	if n := strings.Count(s.Logs.String(), "sealbox iam migrate-admin"); n != 1 {
		t.Errorf("the log says how to move %d times, want once:\n%s", n, s.Logs.String())
	}
	s.Stop()

	// Declined: the user is made and is the administrator; the root's
	// key stays.
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"iam", "migrate-admin", "--data", dir}, Env{Stdout: &out, Stderr: &errb,
		Stdin: strings.NewReader("n\n"), Getenv: envOf(nil)})
	if code != 0 || !strings.Contains(out.String(), "Kept the root's access key(s) "+legacy.AccessKeyID) {
		t.Fatalf("migrate-admin (declined) = exit %d\n%s%s", code, out.String(), errb.String())
	}
	cred, err := os.ReadFile(filepath.Join(dir, "admin-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	admin := readCreds(t, string(cred))
	if admin.AccessKeyID == legacy.AccessKeyID || !strings.Contains(string(cred), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "admin-credentials")) {
		t.Fatalf("admin-credentials after the move =\n%s", cred)
	}

	// Confirmed with --yes: the root's key goes.
	code, out2, errOut := runMain(t, nil, "iam", "migrate-admin", "--data", dir, "--yes")
	if code != 0 || !strings.Contains(out2, "already is the IAM user admin") || !strings.Contains(out2, "Deleted the root's access key(s) "+legacy.AccessKeyID) {
		t.Fatalf("migrate-admin --yes = exit %d\n%s%s", code, out2, errOut)
	}

	s.Restart()
	if arn, err := callerARN(t, s, admin); err != nil || arn != "arn:aws:iam::123456789012:user/admin" {
		t.Fatalf("the new admin key = %q, %v; want the IAM user admin", arn, err)
	}
	if _, err := callerARN(t, s, legacy); err == nil {
		t.Fatalf("the root's key still works after migrate-admin --yes")
	}
	if n := strings.Count(s.Logs.String(), "sealbox iam migrate-admin"); n != 1 {
		t.Errorf("after the move, the log says how to move again (%d times in all)", n)
	}
	att, err := iam.NewFromConfig(s.AWSConfigAs("us-east-1", admin)).ListAttachedUserPolicies(context.Background(), &iam.ListAttachedUserPoliciesInput{UserName: aws.String("admin")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "AdministratorAccess" {
		t.Fatalf("admin's policies = %+v, %v", att, err)
	}
	var names []string
	for _, e := range sealtest.AuditEvents(t, dir) {
		if e["userAgent"] == "sealbox iam migrate-admin" {
			names = append(names, e["eventName"].(string))
		}
	}
	if got := strings.Join(names, ","); got != "CreateUser,AttachUserPolicy,CreateAccessKey,DeleteAccessKey" {
		t.Errorf("migrate-admin's audit events = %s", got)
	}
}

// TestServerBusyPort: a busy address is refused before the data folder is
// made.
func TestServerBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := filepath.Join(t.TempDir(), "data")
	code, _, errOut := runMain(t, nil, "server", "--listen", ln.Addr().String(), "--data", data)
	if code == 0 || !strings.Contains(errOut, "failed to listen") {
		t.Fatalf("server on a busy port = exit %d, %q; want a listen error", code, errOut)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a busy port left the data folder %s behind (%v)", data, err)
	}
}
