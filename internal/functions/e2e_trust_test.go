package functions_test

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/lambdarun/lambdatest"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// member is one entry of a crafted package: a file of the given mode,
// or a symbolic link to content; declared, when not 0, is the
// uncompressed size its headers claim.
type member struct {
	name     string
	mode     fs.FileMode
	content  []byte
	declared uint64
}

// craftZip writes a package as an attacker may: stored entries, sizes
// declared as given.
func craftZip(t *testing.T, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(m.content),
			CompressedSize64: uint64(len(m.content)), UncompressedSize64: uint64(len(m.content))}
		h.SetMode(m.mode)
		if m.declared != 0 {
			h.UncompressedSize64 = m.declared
		}
		w, err := z.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(m.content)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testBootstrap is the test function's executable, out of its package.
func testBootstrap(t *testing.T) []byte {
	t.Helper()
	pkg := lambdatest.FunctionZip(t)
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func deployZip(t *testing.T, c *lambda.Client, name, roleARN string, pkg []byte) {
	t.Helper()
	must[*lambda.CreateFunctionOutput](t, "CreateFunction "+name)(c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(roleARN), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Timeout: aws.Int32(3), Code: &types.FunctionCode{ZipFile: pkg}}))
}

// TestInvokePackageCannotWriteOutsideItsFolder: the server unpacks an
// uploaded package as root. A package whose symbolic link "out" names a
// folder outside, followed by a link "out/planted", must not make
// <folder>/planted (a link anywhere on the host, /etc/cron.d included),
// and its Invoke is refused; a package whose links stay inside runs.
func TestInvokePackageCannotWriteOutsideItsFolder(t *testing.T) {
	s := startRunner(t)
	c := s.Lambda()
	exec := newRole(t, s, "fn-exec", "")
	bootstrap := testBootstrap(t)
	outside := t.TempDir()
	planted := filepath.Join(outside, "planted")

	deployZip(t, c, "escapes", exec.ARN, craftZip(t,
		member{name: "bootstrap", mode: 0o755, content: bootstrap},
		member{name: "out", mode: fs.ModeSymlink | 0o777, content: []byte(outside)},
		member{name: "out/planted", mode: fs.ModeSymlink | 0o777, content: []byte("/etc/hostname")}))
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("escapes"), Payload: payload("env")})
	if _, serr := os.Lstat(planted); serr == nil {
		os.Remove(planted)
		t.Fatalf("Invoke of the package unpacked a link at %s, outside its folder (Invoke: %v)", planted, err)
	}
	// Lambda's answer to a package it cannot unpack, naming the entry,
	// not a folder of the host.
	wantError(t, "Invoke of a package that leaves its folder", err, "InvalidZipFileException", 502)
	if msg := err.Error(); !strings.Contains(msg, "out/planted") || strings.Contains(msg, os.TempDir()) {
		t.Errorf("Invoke of a package that leaves its folder: %q, want the entry named and no folder of the host", msg)
	}

	// Links that stay inside: bootstrap a link to bin/fn.
	deployZip(t, c, "links", exec.ARN, craftZip(t,
		member{name: "bin/fn", mode: 0o755, content: bootstrap},
		member{name: "bootstrap", mode: fs.ModeSymlink | 0o777, content: []byte("bin/fn")}))
	if out, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("links"), Payload: payload("env")}); out.FunctionError != nil || a.Name != "links" {
		t.Fatalf("Invoke of a package with a link inside = %v %+v", out.FunctionError, a)
	}
}

// TestCreateFunctionRefusesWrappedSizes: the unzipped limit is checked on
// the sizes a ZIP declares; declared sizes that wrap around 2^64 when
// summed must not pass it as a small package.
func TestCreateFunctionRefusesWrappedSizes(t *testing.T) {
	s := sealtest.Start(t)
	c := s.Lambda()
	execRole(t, s)
	pkg := craftZip(t,
		member{name: "bootstrap", mode: 0o755, content: []byte("#!/bin/sh\n"), declared: 1<<64 - 1},
		member{name: "b", mode: 0o644, content: []byte("ab"), declared: 2})
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("wraps"), Role: aws.String(roleARN),
		Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: pkg}})
	wantError(t, "CreateFunction of a package whose declared sizes wrap", err, "InvalidParameterValueException", 400)
	// UpdateFunctionCode takes the same check.
	deployZip(t, c, "wraps", roleARN, craftZip(t, member{name: "bootstrap", mode: 0o755, content: []byte("x")}))
	_, err = c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("wraps"), ZipFile: pkg})
	wantError(t, "UpdateFunctionCode of a package whose declared sizes wrap", err, "InvalidParameterValueException", 400)
}

// TestFunctionsCannotReadEachOther: a function's code must not read
// another function's environment (its decrypted variables and its role
// session's credentials, in /proc/PID/environ) nor its folder, as it
// could when every function ran as one user (nobody).
func TestFunctionsCannotReadEachOther(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a server not run as root runs every function as its own user")
	}
	s := startRunner(t)
	c := s.Lambda()
	exec := newRole(t, s, "fn-exec", "")
	deploy(t, c, "victim", exec.ARN, "", map[string]string{"DB_PASSWORD": "victim-secret"})
	deploy(t, c, "attacker", exec.ARN, "", map[string]string{"DB_ENDPOINT": "attacker"})
	_, v := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("victim"), Payload: payload("env")})
	if v.Secret != "victim-secret" {
		t.Fatalf("the victim saw %+v", v)
	}
	proc := "/proc/" + strconv.Itoa(v.PID)
	for _, path := range []string{proc + "/environ", proc + "/cwd/bootstrap", filepath.Dir(v.TmpDir) + "/task/bootstrap"} {
		_, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("attacker"), Payload: []byte(`{"action":"env","path":"` + path + `"}`)})
		if a.Readable == nil || *a.Readable {
			t.Errorf("another function (uid %d) read the victim's (uid %d) %s", a.UID, v.UID, path)
		}
		if a.UID == 0 || a.UID == v.UID {
			t.Errorf("the functions ran as uid %d and %d, want two users, neither root", v.UID, a.UID)
		}
	}
}

// TestQualifiedARNsAreAuthorizedApart: a grant on an alias covers that
// alias alone, not the function, its other versions or $LATEST, in
// every form a name may take; a full ARN of another account never
// reaches this account's function; a tag condition decides on the
// function's own tags.
func TestQualifiedARNsAreAuthorizedApart(t *testing.T) {
	s := sealtest.Start(t)
	c := s.Lambda()
	execRole(t, s)
	deployZip(t, c, "orders", roleARN, craftZip(t, member{name: "bootstrap", mode: 0o755, content: []byte("x")}))
	must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	must[*lambda.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"),
		Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	fnARN := "arn:aws:lambda:us-east-1:123456789012:function:orders"
	live := newRole(t, s, "live-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["lambda:GetFunctionConfiguration","lambda:InvokeFunction"],"Resource":"`+fnARN+`:live"}]}`)
	lc := lambdaAs(s, live)
	for _, name := range []string{"orders:live", fnARN + ":live", "123456789012:function:orders:live"} {
		must[*lambda.GetFunctionConfigurationOutput](t, "GetFunctionConfiguration "+name)(lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)}))
		out := must[*lambda.InvokeOutput](t, "Invoke DryRun "+name)(lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeDryRun}))
		if out.StatusCode != 204 {
			t.Errorf("Invoke DryRun %s = %d", name, out.StatusCode)
		}
	}
	for _, name := range []string{"orders", "orders:1", "orders:$LATEST", fnARN, fnARN + ":1", "123456789012:function:orders"} {
		_, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
		wantError(t, "GetFunctionConfiguration "+name+", allowed on the alias only", err, "AccessDeniedException", 403)
		_, err = lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeDryRun})
		wantError(t, "Invoke "+name+", allowed on the alias only", err, "AccessDeniedException", 403)
	}
	// The Qualifier member is the same name as a qualified FunctionName.
	_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1"), InvocationType: types.InvocationTypeDryRun})
	wantError(t, "Invoke with Qualifier 1, allowed on the alias only", err, "AccessDeniedException", 403)

	// Another account's ARN names another function: a grant on it is
	// no grant on this one, and the administrator does not reach this
	// one through it.
	other := "arn:aws:lambda:us-east-1:999999999999:function:orders"
	foreign := newRole(t, s, "foreign", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"`+other+`*"}]}`)
	_, err = lambdaAs(s, foreign).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(other)})
	wantError(t, "GetFunctionConfiguration of another account's ARN", err, "ResourceNotFoundException", 404)
	_, err = lambdaAs(s, foreign).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders")})
	wantError(t, "GetFunctionConfiguration of this account's function, allowed on another's", err, "AccessDeniedException", 403)
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(other), InvocationType: types.InvocationTypeDryRun})
	wantError(t, "Invoke of another account's ARN", err, "ResourceNotFoundException", 404)

	// A tag condition: the function's tags decide, not the request's.
	tagged := newRole(t, s, "blue-team", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*",
		"Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}]}`)
	tc := lambdaAs(s, tagged)
	_, err = tc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeDryRun})
	wantError(t, "Invoke of an untagged function, allowed on team blue's", err, "AccessDeniedException", 403)
	must[*lambda.TagResourceOutput](t, "TagResource red")(c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(fnARN), Tags: map[string]string{"team": "red"}}))
	_, err = tc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeDryRun})
	wantError(t, "Invoke of team red's function, allowed on team blue's", err, "AccessDeniedException", 403)
	must[*lambda.TagResourceOutput](t, "TagResource blue")(c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(fnARN), Tags: map[string]string{"team": "blue"}}))
	must[*lambda.InvokeOutput](t, "Invoke DryRun of team blue's function")(tc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeDryRun}))

	// Concurrency is the function's: not an alias's, and not for a reader.
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("orders:live"), ReservedConcurrentExecutions: aws.Int32(1)})
	wantError(t, "PutFunctionConcurrency of an alias", err, "InvalidParameterValueException", 400)
	_, err = lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("orders"), ReservedConcurrentExecutions: aws.Int32(0)})
	wantError(t, "PutFunctionConcurrency by a caller allowed on the alias", err, "AccessDeniedException", 403)
}

// TestExtensionTokenIsTheSessionToken: environments share the host's
// loopback, so the extension's token is all that keeps another
// function's code from reading secrets as this function's role. It is
// the role session's token, as AWS's extension's is, whatever the
// configuration says: a variable AWS_TOKEN (aws-secretsmanager-agent's,
// which whoever configures the function can set to a value others know)
// must not replace it.
func TestExtensionTokenIsTheSessionToken(t *testing.T) {
	s := startWithExtension(t)
	c := s.Lambda()
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("app/db"), SecretString: aws.String("role-only")}))
	exec := newRole(t, s, "ext-exec", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*"}]}`)
	deployWithExtension(t, c, "reader", exec.ARN)
	must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration AWS_TOKEN")(setEnv(c, "reader", map[string]string{"AWS_TOKEN": "known-to-all"}))

	a := invokeExt(t, c, "reader", "extension", "app/db", 0)
	if a.ExtStatus != 200 || a.ExtValue != "role-only" {
		t.Fatalf("the function with its session token: %+v, want 200 role-only", a)
	}
	// Another local process, with the configured value.
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+a.ExtPort+"/secretsmanager/get?secretId=app/db", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", "known-to-all")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the extension answered a request with the configured AWS_TOKEN: %d %s, want 403", resp.StatusCode, body)
	}
}
