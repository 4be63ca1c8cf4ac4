package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/operator"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/server"
)

func withShamir(c *config.Config) { c.RootKey = "shamir" }

// operator calls an unsigned operator endpoint and returns the status and
// the body.
func opHTTP(t *testing.T, srv *sealtest.Server, method, path, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func sealStatus(t *testing.T, srv *sealtest.Server) server.SealStatus {
	t.Helper()
	code, body := opHTTP(t, srv, http.MethodGet, server.OperatorSealStatusPath, "")
	var st server.SealStatus
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("GET seal-status = %d %s", code, body)
	}
	return st
}

// unseal gives share and wants status want; it returns the answer's body.
func unseal(t *testing.T, srv *sealtest.Server, share string, want int) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"Key": share})
	code, body := opHTTP(t, srv, http.MethodPost, server.OperatorUnsealPath, string(b))
	if code != want {
		t.Fatalf("POST unseal = %d %s, want %d", code, body, want)
	}
	return body
}

func initShamir(t *testing.T, srv *sealtest.Server, shares, threshold int) []string {
	t.Helper()
	b, _ := json.Marshal(map[string]int{"KeyShares": shares, "KeyThreshold": threshold})
	code, body := opHTTP(t, srv, http.MethodPost, server.OperatorInitPath, string(b))
	var out server.InitResponse
	if code != http.StatusOK || json.Unmarshal([]byte(body), &out) != nil || len(out.Keys) != shares {
		t.Fatalf("POST init = %d %s, want %d shares", code, body, shares)
	}
	return out.Keys
}

// sealServer calls Sealbox.SealServer signed with creds and returns the
// status and the body.
func sealServer(t *testing.T, srv *sealtest.Server, creds aws.Credentials) (int, string) {
	t.Helper()
	body := []byte("{}")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Sealbox.SealServer")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sealbox", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var adminCreds = aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}

// wantSealed checks that every API answers 503 ServiceUnavailable in its
// protocol's shape, and the probes and the console say sealed.
func wantSealed(t *testing.T, srv *sealtest.Server) {
	t.Helper()
	ctx := context.Background()
	_, err := srv.KMS().ListKeys(ctx, &kms.ListKeysInput{})
	sealtest.APIErrorContaining(t, "KMS ListKeys (sealed)", err, "ServiceUnavailable", 503, "sealed")
	_, err = srv.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db")})
	sealtest.APIError(t, "SSM GetParameter (sealed)", err, "ServiceUnavailable", 503)
	_, err = srv.IAM().ListUsers(ctx, &iam.ListUsersInput{})
	sealtest.APIErrorContaining(t, "IAM ListUsers (sealed)", err, "ServiceUnavailable", 503, "sealed")
	_, err = srv.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	sealtest.APIError(t, "STS GetCallerIdentity (sealed)", err, "ServiceUnavailable", 503)
	_, err = srv.Lambda().ListFunctions(ctx, &lambda.ListFunctionsInput{})
	sealtest.APIErrorContaining(t, "Lambda ListFunctions (sealed)", err, "ServiceUnavailable", 503, "sealed")

	for path, want := range map[string]struct {
		code int
		body string
	}{
		"/healthz":  {200, "ok"},
		"/readyz":   {503, "not ready: sealed"},
		"/console/": {503, "This server is sealed"},
		"/metrics":  {503, ""},
	} {
		code, body := opHTTP(t, srv, http.MethodGet, path, "")
		if code != want.code || !strings.Contains(body, want.body) {
			t.Errorf("GET %s while sealed = %d %q, want %d with %q", path, code, body, want.code, want.body)
		}
	}
	if st := sealStatus(t, srv); !st.Sealed {
		t.Errorf("seal-status = %+v, want sealed", st)
	}
}

func TestShamirSealedUnsealSealRestart(t *testing.T) {
	ctx := context.Background()
	srv := sealtest.Start(t, withShamir)
	wantSealed(t, srv)
	if st := sealStatus(t, srv); st.Initialized || st.Type != "shamir" {
		t.Fatalf("seal-status before init = %+v, want not initialized, shamir", st)
	}
	if body := unseal(t, srv, base64.StdEncoding.EncodeToString(make([]byte, 33)), 400); !strings.Contains(body, "NotInitialized") {
		t.Errorf("unseal before init = %s, want NotInitialized", body)
	}
	// Bad init requests are refused with 4xx, never 500.
	for _, body := range []string{`{"KeyShares":5,"KeyThreshold":6}`, `{"KeyShares":300,"KeyThreshold":3}`, `{"KeyShares":3,"KeyThreshold":1}`,
		`{"KeyShares":5,"KeyThreshold":3,"Extra":1}`, `{"KeyShares":"5"}`, `not json`, `{} {}`, strings.Repeat(" ", 5000) + "{}"} {
		if code, answer := opHTTP(t, srv, http.MethodPost, server.OperatorInitPath, body); code < 400 || code > 499 {
			t.Errorf("POST init %.40q = %d %s, want 4xx", body, code, answer)
		}
	}

	shares := initShamir(t, srv, 5, 3)
	if code, body := opHTTP(t, srv, http.MethodPost, server.OperatorInitPath, `{"KeyShares":5,"KeyThreshold":3}`); code != 400 || !strings.Contains(body, "AlreadyInitialized") {
		t.Errorf("second init = %d %s, want 400 AlreadyInitialized", code, body)
	}
	wantSealed(t, srv)

	// Two shares: still sealed, 2/3; a share again and a non-share do not count.
	unseal(t, srv, shares[0], 200)
	if body := unseal(t, srv, shares[0], 400); !strings.Contains(body, "DuplicateShare") {
		t.Errorf("the same share again = %s, want DuplicateShare", body)
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if body := unseal(t, srv, bad, 400); !strings.Contains(body, "InvalidShare") {
			t.Errorf("unseal %q = %s, want InvalidShare", bad, body)
		}
	}
	unseal(t, srv, shares[1], 200)
	if st := sealStatus(t, srv); !st.Sealed || st.Progress != 2 || st.T != 3 || st.N != 5 {
		t.Fatalf("seal-status after 2 shares = %+v, want sealed, 2 of 3 (5 shares)", st)
	}
	wantSealed(t, srv)

	// A wrong third share: refused, the attempt starts over.
	forged, _ := base64.StdEncoding.DecodeString(shares[2])
	forged[0] ^= 0xff
	if body := unseal(t, srv, base64.StdEncoding.EncodeToString(forged), 400); !strings.Contains(body, "WrongShares") {
		t.Errorf("a forged third share = %s, want WrongShares", body)
	}
	if st := sealStatus(t, srv); !st.Sealed || st.Progress != 0 {
		t.Fatalf("seal-status after wrong shares = %+v, want sealed, progress 0", st)
	}
	wantSealed(t, srv)

	// Reset drops what was given.
	unseal(t, srv, shares[3], 200)
	if code, body := opHTTP(t, srv, http.MethodPost, server.OperatorUnsealPath, `{"Reset":true}`); code != 200 || !strings.Contains(body, `"Progress":0`) {
		t.Errorf("reset = %d %s, want progress 0", code, body)
	}

	for _, i := range []int{0, 1, 2} {
		unseal(t, srv, shares[i], 200)
	}
	if st := sealStatus(t, srv); st.Sealed {
		t.Fatalf("seal-status after 3 shares = %+v, want unsealed", st)
	}
	if code, body := opHTTP(t, srv, http.MethodGet, "/readyz", ""); code != 200 {
		t.Errorf("GET /readyz unsealed = %d %s, want 200", code, body)
	}
	sealtest.Must[*ssm.PutParameterOutput](t, "PutParameter")(srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/app/db"), Value: aws.String("s3cret-value"), Type: ssmtypes.ParameterTypeSecureString}))

	// A restart is sealed again; any three other shares unseal it.
	srv.Restart()
	wantSealed(t, srv)
	for _, i := range []int{4, 2, 3} {
		unseal(t, srv, shares[i], 200)
	}
	got := sealtest.Must[*ssm.GetParameterOutput](t, "GetParameter")(srv.SSM().GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String("/app/db"), WithDecryption: aws.Bool(true)}))
	if aws.ToString(got.Parameter.Value) != "s3cret-value" {
		t.Fatalf("GetParameter after restart and unseal = %q", aws.ToString(got.Parameter.Value))
	}

	// A caller without sealbox:SealServer is refused; the server serves on.
	reader := srv.NewUser(t, "reader", "kms:ListKeys")
	if code, body := sealServer(t, srv, reader); code != 400 || !strings.Contains(body, "AccessDenied") {
		t.Fatalf("SealServer as reader = %d %s, want 400 AccessDenied", code, body)
	}
	sealtest.Must[*kms.ListKeysOutput](t, "ListKeys after a refused seal")(srv.KMS().ListKeys(ctx, &kms.ListKeysInput{}))
	if code, body := sealServer(t, srv, adminCreds); code != 200 || !strings.Contains(body, `"Sealed":true`) {
		t.Fatalf("SealServer as admin = %d %s, want 200 sealed", code, body)
	}
	wantSealed(t, srv)
	if code, body := sealServer(t, srv, adminCreds); code != 503 {
		t.Errorf("SealServer while sealed = %d %s, want 503", code, body)
	}

	// Unsealed again, with the services built before.
	for _, i := range []int{1, 3, 4} {
		unseal(t, srv, shares[i], 200)
	}
	got = sealtest.Must[*ssm.GetParameterOutput](t, "GetParameter after seal and unseal")(srv.SSM().GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String("/app/db"), WithDecryption: aws.Bool(true)}))
	if aws.ToString(got.Parameter.Value) != "s3cret-value" {
		t.Fatalf("GetParameter after seal and unseal = %q", aws.ToString(got.Parameter.Value))
	}

	// Every operator action is on the trail, written once unsealed.
	srv.Srv.FlushAudit()
	count := map[string]int{}
	failed := map[string]int{}
	for _, e := range sealtest.AuditEvents(t, srv.Dir) {
		if e["eventSource"] != "sealbox" {
			continue
		}
		name, _ := e["eventName"].(string)
		count[name]++
		if e["errorCode"] != nil {
			failed[name]++
		}
	}
	// Unseal: 1 before init, 2 + 1 duplicate + 2 invalid + 1 wrong, 1 + reset, 3, 3 after
	// the restart, 3 after the seal.
	if count["InitializeBarrier"] != 1 || count["SealServer"] != 2 || count["Unseal"] < 15 || failed["Unseal"] < 4 || failed["SealServer"] != 1 {
		t.Errorf("operator events = %v (failed %v), want InitializeBarrier 1, SealServer 2 (1 denied), Unseal >= 15 (>= 4 failed)", count, failed)
	}

	// A server stopped while sealed stops cleanly (the log is checked
	// below).
	if code, body := sealServer(t, srv, adminCreds); code != 200 {
		t.Fatalf("SealServer = %d %s", code, body)
	}
	// No share anywhere: not in the trail, the log or the raw store.
	srv.Stop()
	var files []string
	filepath.WalkDir(srv.Dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	for l := range strings.SplitSeq(srv.Logs.String(), "\n") {
		if strings.Contains(l, "level=ERROR") {
			t.Errorf("logged: %s", l)
		}
	}
	if len(files) < 3 {
		t.Fatalf("data folder holds %d files, want the store, the trail, ...", len(files))
	}
	// The trail's key, forgotten at each seal and recalled at each
	// unseal, signed everything, and the trail verifies.
	keys, _ := audit.ReadPublicKeys(filepath.Join(srv.Dir, "audit", audit.PublicKeyFile))
	rep, err := audit.VerifyFiles(filepath.Join(srv.Dir, "audit"), keys, audit.VerifyOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Unsigned != 0 || rep.Events == 0 {
		t.Errorf("VerifyFiles after seals and unseals: %d events, %d unsigned, %d problems %v", rep.Events, rep.Unsigned, len(rep.Problems), rep.Problems)
	}
	for _, share := range shares {
		raw, _ := base64.StdEncoding.DecodeString(share)
		if strings.Contains(srv.Logs.String(), share) {
			t.Errorf("the log holds a share")
		}
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if bytes.Contains(b, []byte(share)) || bytes.Contains(b, raw) || bytes.Contains(b, raw[:16]) {
				t.Errorf("%s holds a share", f)
			}
		}
	}
}

// Several servers on one PostgreSQL share the barrier's keyring; with
// shamir each is unsealed on its own, as in Vault: unsealing one leaves
// the other sealed, and the other, once unsealed with other shares, reads
// what the first wrote.
func TestShamirPostgresEachServerUnsealed(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	c := sealtest.StartCluster(t, 2, withShamir)
	a, b := c.Servers[0], c.Servers[1]
	ctx := context.Background()
	shares := initShamir(t, a, 3, 2)
	if st := sealStatus(t, b); !st.Initialized || !st.Sealed || st.T != 2 || st.N != 3 {
		t.Fatalf("seal-status of the other server after init = %+v, want initialized, sealed, 2 of 3", st)
	}
	unseal(t, a, shares[0], 200)
	unseal(t, a, shares[1], 200)
	sealtest.Must[*ssm.PutParameterOutput](t, "PutParameter on a")(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/shared/db"), Value: aws.String("pg-shared-value"), Type: ssmtypes.ParameterTypeSecureString}))
	wantSealed(t, b)
	// A sealed server does not campaign: a, the one unsealed, leads.
	if lead := c.Leader(t); lead != a {
		t.Fatalf("leader = %s, want a (%s): b is sealed", lead.URL, a.URL)
	}
	unseal(t, b, shares[2], 200)
	if st := sealStatus(t, b); !st.Sealed || st.Progress != 1 {
		t.Fatalf("seal-status of b after one share = %+v, want sealed, 1 of 2", st)
	}
	unseal(t, b, shares[0], 200)
	got := sealtest.Must[*ssm.GetParameterOutput](t, "GetParameter on b")(b.SSM().GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String("/shared/db"), WithDecryption: aws.Bool(true)}))
	if aws.ToString(got.Parameter.Value) != "pg-shared-value" {
		t.Fatalf("GetParameter on b = %q, want a's value", aws.ToString(got.Parameter.Value))
	}
	// Sealing one leaves the other serving.
	if code, body := sealServer(t, a, adminCreds); code != 200 {
		t.Fatalf("SealServer on a = %d %s", code, body)
	}
	wantSealed(t, a)
	// a stepped down when sealed: b takes the background work over.
	if !sealtest.Eventually(t, 10*time.Second, func() bool { return b.Srv.Leading() && !a.Srv.Leading() }) {
		t.Errorf("after a sealed: a leads %v, b leads %v; want b alone", a.Srv.Leading(), b.Srv.Leading())
	}
	sealtest.Must[*ssm.GetParameterOutput](t, "GetParameter on b after a sealed")(b.SSM().GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String("/shared/db"), WithDecryption: aws.Bool(true)}))
	for _, s := range c.Servers {
		for l := range strings.SplitSeq(s.Logs.String(), "\n") {
			if strings.Contains(l, "level=ERROR") {
				t.Errorf("logged: %s", l)
			}
		}
	}
}

// A server whose root key unseals at start has no shares: the operator's
// endpoints say so with a 4xx, and SealServer refuses (it could not be
// unsealed again without a restart).
func TestOperatorEndpointsWithoutShamir(t *testing.T) {
	srv := sealtest.Start(t)
	if st := sealStatus(t, srv); st.Type != "file" || !st.Initialized || st.Sealed {
		t.Errorf("seal-status = %+v, want file, initialized, unsealed", st)
	}
	if code, body := opHTTP(t, srv, http.MethodPost, server.OperatorInitPath, `{"KeyShares":5,"KeyThreshold":3}`); code != 400 || !strings.Contains(body, "NotShamir") {
		t.Errorf("init = %d %s, want 400 NotShamir", code, body)
	}
	if body := unseal(t, srv, base64.StdEncoding.EncodeToString(make([]byte, 33)), 400); !strings.Contains(body, "NotShamir") {
		t.Errorf("unseal = %s, want NotShamir", body)
	}
	if code, body := sealServer(t, srv, adminCreds); code != 400 || !strings.Contains(body, "ValidationException") {
		t.Errorf("SealServer = %d %s, want 400 ValidationException", code, body)
	}
	sealtest.Must[*kms.ListKeysOutput](t, "ListKeys after a refused seal")(srv.KMS().ListKeys(context.Background(), &kms.ListKeysInput{}))
}

// A data folder sealed by another root-key provider is refused at start
// with --root-key shamir, not at the first share.
func TestShamirRefusesAnotherProvidersFolder(t *testing.T) {
	srv := sealtest.Start(t)
	srv.Stop()
	cfg := srv.Config
	cfg.RootKey = "shamir"
	_, err := server.Open(context.Background(), cfg, server.Options{})
	var mismatch *barrier.ProviderMismatchError
	if !errors.As(err, &mismatch) || mismatch.Sealed != "file" {
		t.Fatalf("Open(--root-key shamir) over a file-sealed folder = %v, want a ProviderMismatchError naming file", err)
	}
}

// A running server rekeyed to shamir answers the new shares once; started
// again with --root-key shamir it is sealed, and a threshold of those
// shares unseals it with its data. Shares out of bounds are refused and
// change nothing.
func TestRekeyToShamir(t *testing.T) {
	srv := sealtest.Start(t)
	ctx := context.Background()
	admin := srv.AWSConfig("us-east-1")
	sealtest.Must[*ssm.PutParameterOutput](t, "PutParameter")(srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/rekeyed/db"), Value: aws.String("rekeyed-value"), Type: ssmtypes.ParameterTypeSecureString}))
	n, bad := int32(3), int32(1)
	wantOperatorError(t, operatorCall(t, srv, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "shamir"}, &struct{}{}), "ValidationException")
	wantOperatorError(t, operatorCall(t, srv, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "shamir", KeyShares: &n, KeyThreshold: &bad}, &struct{}{}), "ValidationException")
	threshold := int32(2)
	var out operator.RekeyRootKeyOutput
	if err := operatorCall(t, srv, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "shamir", KeyShares: &n, KeyThreshold: &threshold}, &out); err != nil || out.Provider != "shamir" || len(out.Shares) != 3 {
		t.Fatalf("RekeyRootKey to shamir 3/2 = %+v, %v; want 3 shares", out, err)
	}
	srv.Stop()
	srv.Config.RootKey = "shamir"
	srv.Restart()
	wantSealed(t, srv)
	if st := sealStatus(t, srv); !st.Initialized || st.T != 2 || st.N != 3 {
		t.Fatalf("seal-status after the rekey = %+v, want initialized, 2 of 3", st)
	}
	unseal(t, srv, out.Shares[2], 200)
	unseal(t, srv, out.Shares[0], 200)
	got := sealtest.Must[*ssm.GetParameterOutput](t, "GetParameter")(srv.SSM().GetParameter(ctx, &ssm.GetParameterInput{
		Name: aws.String("/rekeyed/db"), WithDecryption: aws.Bool(true)}))
	if aws.ToString(got.Parameter.Value) != "rekeyed-value" {
		t.Fatalf("GetParameter after rekey and unseal = %q", aws.ToString(got.Parameter.Value))
	}
	for _, share := range out.Shares {
		if strings.Contains(srv.Logs.String(), share) {
			t.Errorf("the log holds a share")
		}
		for _, e := range sealtest.AuditEvents(t, srv.Dir) {
			if b, _ := json.Marshal(e); bytes.Contains(b, []byte(share)) {
				t.Errorf("audit event %s holds a share", e["eventName"])
			}
		}
	}
}

// The commands that open a stopped server's store cannot collect shares:
// they say so rather than name an unknown provider.
func TestRootKeyProviderShamirIsOnlineOnly(t *testing.T) {
	cfg := config.Default()
	cfg.RootKey = "shamir"
	if p, err := server.RootKeyProvider(context.Background(), cfg, nil); p != nil || err == nil || !strings.Contains(err.Error(), "sealbox operator unseal") {
		t.Errorf("RootKeyProvider(shamir) = %v, %v; want an error naming sealbox operator unseal", p, err)
	}
}
