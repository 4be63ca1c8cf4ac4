package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
)

// auditCalls makes a key, and has a role's session encrypt under it and be
// refused a decrypt with it; it returns the key's ARN and the role.
func auditCalls(t *testing.T, s *sealtest.Server) (string, sealtest.Role) {
	t.Helper()
	ctx := context.Background()
	k := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))
	role := s.NewRole(t, "orders", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}`, "fn")
	c := kms.NewFromConfig(s.AWSConfigAs("us-east-1", role.Creds))
	sealtest.Must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: k.KeyMetadata.Arn, Plaintext: []byte("x")}))
	blob := sealtest.Must[*kms.EncryptOutput](t, "Encrypt")(s.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: k.KeyMetadata.Arn, Plaintext: []byte("y")}))
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob.CiphertextBlob}); err == nil {
		t.Fatal("the role decrypted without kms:Decrypt")
	}
	return *k.KeyMetadata.Arn, role
}

func TestAuditTailFiles(t *testing.T) {
	s := sealtest.Start(t)
	keyARN, role := auditCalls(t, s)
	keyID := keyARN[strings.LastIndexByte(keyARN, '/')+1:]
	cases := []struct {
		name  string
		args  []string
		want  []string // one substring per line, in order
		avoid string
	}{
		{"the role's calls", []string{"--principal", role.ARN}, []string{"ok  ", "kms:Encrypt", role.Session, keyARN}, "kms:CreateKey"},
		{"by session name", []string{"--principal", "fn", "--action", "kms:Encrypt"}, []string{"kms:Encrypt"}, "AccessDenied"},
		{"an action", []string{"--action", "kms:Decrypt"}, []string{"AccessDenied", "kms:Decrypt", role.Session}, "kms:Encrypt"},
		{"a wildcard action", []string{"--action", "kms:*crypt", "--principal", role.ARN}, []string{"kms:Encrypt", "kms:Decrypt"}, "CreateKey"},
		{"a resource by id", []string{"--resource", keyID, "--action", "CreateKey"}, []string{"kms:CreateKey", "arn:aws:iam::123456789012:user/admin"}, "Encrypt"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"audit", "tail", "--data", s.Dir}, tc.args...)
			code, out, errOut := runMain(t, nil, args...)
			if code != 0 {
				t.Fatalf("sealbox %s = exit %d: %s", strings.Join(args, " "), code, errOut)
			}
			if tc.avoid != "" && strings.Contains(out, tc.avoid) {
				t.Fatalf("sealbox %s printed %q:\n%s", strings.Join(args, " "), tc.avoid, out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) == 0 || lines[0] == "" {
				t.Fatalf("sealbox %s printed nothing", strings.Join(args, " "))
			}
			joined := strings.Join(lines, "\n")
			for _, w := range tc.want {
				if !strings.Contains(joined, w) {
					t.Fatalf("sealbox %s =\n%s\nwant %q in it", strings.Join(args, " "), out, w)
				}
			}
		})
	}
	// --json prints the CloudTrail records; --limit the last ones.
	code, out, _ := runMain(t, nil, "audit", "tail", "--data", s.Dir, "--json", "--limit", "2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], `{"eventVersion":"1.08"`) || !strings.Contains(lines[1], `"eventName":"Decrypt"`) {
		t.Fatalf("sealbox audit tail --json --limit 2 = exit %d:\n%s\nwant the last 2 records, Decrypt last", code, out)
	}
}

// TestAuditTailFollowsFiles: tail -f prints each new event at the next
// tick of its clock. The test moves the clock and waits for the line.
func TestAuditTailFollowsFiles(t *testing.T) {
	s := sealtest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := clock.NewFake(time.Now())
	var errOut sealtest.Buffer
	printed := lineWriter{make(chan string, 4)}
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"audit", "tail", "-f", "--interval", "10ms", "--data", s.Dir, "--action", "kms:GenerateRandom"},
			Env{Stdout: printed, Stderr: &errOut, Getenv: envOf(nil), Clock: clk})
	}()
	// Once tail -f waits on its ticker it has read the files as they were.
	wait, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := clk.WaitTimers(wait, 1); err != nil {
		t.Fatalf("sealbox audit tail -f did not start following: %v; stderr: %s", err, errOut.String())
	}
	for i := 1; i <= 2; i++ {
		sealtest.Must[*kms.GenerateRandomOutput](t, "GenerateRandom")(s.KMS().GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)}))
		clk.Advance(10 * time.Millisecond)
		select {
		case line := <-printed.lines:
			if !strings.Contains(line, "kms:GenerateRandom") {
				t.Fatalf("sealbox audit tail -f printed %q after call %d, want its kms:GenerateRandom", line, i)
			}
		case <-wait.Done():
			t.Fatalf("sealbox audit tail -f printed nothing after call %d and a tick; stderr: %s", i, errOut.String())
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("sealbox audit tail -f ended with exit %d: %s", code, errOut.String())
	}
	if len(printed.lines) != 0 {
		t.Fatalf("sealbox audit tail -f printed more: %q", <-printed.lines)
	}
}

// lineWriter hands each write (a printed line) to the test.
type lineWriter struct{ lines chan string }

func (w lineWriter) Write(p []byte) (int, error) {
	w.lines <- string(p)
	return len(p), nil
}

func TestAuditTailServer(t *testing.T) {
	s := sealtest.Start(t)
	keyARN, role := auditCalls(t, s)
	t.Setenv("AWS_ACCESS_KEY_ID", sealtest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sealtest.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_REGION", "us-east-1")
	code, out, errOut := runMain(t, nil, "audit", "tail", "--endpoint", s.URL, "--resource", keyARN, "--principal", role.ARN)
	if code != 0 {
		t.Fatalf("sealbox audit tail --endpoint = exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "kms:Encrypt") || !strings.Contains(lines[1], "AccessDenied") {
		t.Fatalf("sealbox audit tail --endpoint of the role's calls on the key =\n%s\nwant its Encrypt, then its denied Decrypt", out)
	}
}

// TestAuditVerify: a stopped server's trail verifies from the files and the
// store; altered, it does not, and says where; a public key put in place of
// the server's is caught with --store.
func TestAuditVerify(t *testing.T) {
	s := sealtest.Start(t)
	auditCalls(t, s)
	s.Stop() // its last digests are signed as it stops
	code, out, errOut := runMain(t, nil, "audit", "verify", "--data", s.Dir, "--store")
	if code != 0 || !strings.Contains(out, "files: 1 files, ") || !strings.Contains(out, "store: ") || strings.Count(out, ": OK") != 3 || !strings.Contains(out, "files against the store: 1 files, ") {
		t.Fatalf("sealbox audit verify --store of an untouched trail = exit %d:\n%s%s\nwant files and store OK", code, out, errOut)
	}

	// One line altered.
	files, _ := filepath.Glob(filepath.Join(s.Dir, "audit", "*.jsonl"))
	b, _ := os.ReadFile(files[0])
	lines := strings.Split(string(b), "\n")
	lines[3] = strings.Replace(lines[3], `"readOnly":`, `"readOnly": `, 1)
	os.WriteFile(files[0], []byte(strings.Join(lines, "\n")), 0o600)
	code, out, _ = runMain(t, nil, "audit", "verify", "--data", s.Dir)
	if code != 1 || !strings.Contains(out, filepath.Base(files[0])+" line 4: altered") {
		t.Fatalf("sealbox audit verify after line 4 was altered = exit %d:\n%s\nwant exit 1 and the line named", code, out)
	}
	os.WriteFile(files[0], b, 0o600)

	// Someone's own key beside the server's.
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	f, _ := os.OpenFile(filepath.Join(s.Dir, "audit", "public-key.pem"), os.O_APPEND|os.O_WRONLY, 0)
	pem.Encode(f, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
	f.Close()
	code, out, _ = runMain(t, nil, "audit", "verify", "--data", s.Dir, "--store")
	if code != 1 || !strings.Contains(out, "holds a key the server does not hold") {
		t.Fatalf("sealbox audit verify --store with a foreign public key = exit %d:\n%s\nwant it caught", code, out)
	}
}

func TestAuditVerifyWhileTheServerRuns(t *testing.T) {
	s := sealtest.Start(t)
	auditCalls(t, s)
	code, _, errOut := runMain(t, nil, "audit", "verify", "--data", s.Dir, "--store")
	if code != 1 || !strings.Contains(errOut, "stop it to check the store") {
		t.Fatalf("sealbox audit verify --store on a running server's folder = exit %d: %s; want it to say why not", code, errOut)
	}
	// The files verify while it runs; what is not signed yet is counted.
	code, out, errOut := runMain(t, nil, "audit", "verify", "--data", s.Dir)
	if code != 0 || !strings.Contains(out, "not signed yet") {
		t.Fatalf("sealbox audit verify of a running server's files = exit %d:\n%s%s", code, out, errOut)
	}
}

// TestAuditVerifyDigestsRemoved is issue 14's first attack as an attacker
// with the stopped server's disk makes it: a line's sourceIPAddress and
// userIdentity.arn rewritten, the digests folder deleted. verify with the
// pinned key names the missing folder; --store names the edited line, as
// the files and the store no longer agree.
func TestAuditVerifyDigestsRemoved(t *testing.T) {
	s := sealtest.Start(t)
	auditCalls(t, s)
	s.Stop()
	pinned := filepath.Join(t.TempDir(), "pinned.pem")
	b, _ := os.ReadFile(filepath.Join(s.Dir, "audit", "public-key.pem"))
	os.WriteFile(pinned, b, 0o600)

	files, _ := filepath.Glob(filepath.Join(s.Dir, "audit", "*.jsonl"))
	data, _ := os.ReadFile(files[0])
	lines := strings.Split(string(data), "\n")
	i := len(lines) - 2 // the last event, the denied Decrypt
	lines[i] = strings.Replace(lines[i], `"sourceIPAddress":"127.0.0.1"`, `"sourceIPAddress":"10.9.8.7"`, 1)
	lines[i] = strings.Replace(lines[i], `assumed-role/orders/fn`, `assumed-role/orders/someone-else`, 1)
	os.WriteFile(files[0], []byte(strings.Join(lines, "\n")), 0o600)
	os.RemoveAll(filepath.Join(s.Dir, "audit", "digests"))

	code, out, _ := runMain(t, nil, "audit", "verify", "--data", s.Dir, "--public-key", pinned)
	if code != 1 || !strings.Contains(out, "the digests folder") || !strings.Contains(out, "is missing") {
		t.Fatalf("sealbox audit verify --public-key after the digests folder was deleted = exit %d:\n%s\nwant exit 1 and the folder named", code, out)
	}
	code, out, _ = runMain(t, nil, "audit", "verify", "--data", s.Dir, "--store")
	want := fmt.Sprintf("%s line %d: differs: not in the store: Decrypt", filepath.Base(files[0]), i+1)
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "not in the files: Decrypt") {
		t.Fatalf("sealbox audit verify --store after a line was edited = exit %d:\n%s\nwant exit 1 and %q", code, out, want)
	}
}

// TestAuditVerifyWarnsOfAnUnpinnedKey: with neither --public-key nor
// --fingerprint nor --store, verify can only use the key file beside the
// trail, which an attacker could have replaced; it says so loudly. A
// fingerprint that is not the file's key is refused.
func TestAuditVerifyWarnsOfAnUnpinnedKey(t *testing.T) {
	s := sealtest.Start(t)
	auditCalls(t, s)
	s.Stop()
	code, out, errOut := runMain(t, nil, "audit", "verify", "--data", s.Dir)
	if code != 0 || !strings.Contains(errOut, "WARNING: checking with") || !strings.Contains(out, "WARNING: the public key is not pinned") {
		t.Fatalf("sealbox audit verify without a pinned key = exit %d:\n%s%s\nwant OK with a loud warning", code, out, errOut)
	}
	code, _, errOut = runMain(t, nil, "audit", "verify", "--data", s.Dir, "--fingerprint", strings.Repeat("ab", 32))
	if code == 0 || !strings.Contains(errOut, "holds no key with fingerprint") {
		t.Fatalf("sealbox audit verify --fingerprint <another key> = exit %d: %s; want it refused", code, errOut)
	}
}

// TestAuditPublicKey prints the key from the store; verify pinned to it
// passes, and catches a public-key.pem replaced by someone's own key.
func TestAuditPublicKey(t *testing.T) {
	s := sealtest.Start(t)
	auditCalls(t, s)
	s.Stop()
	code, out, errOut := runMain(t, nil, "audit", "public-key", "--data", s.Dir)
	if code != 0 || !strings.Contains(out, "BEGIN PUBLIC KEY") || !strings.Contains(out, "Fingerprint: ") {
		t.Fatalf("sealbox audit public-key = exit %d:\n%s%s", code, out, errOut)
	}
	pinned := filepath.Join(t.TempDir(), "pinned.pem")
	os.WriteFile(pinned, []byte(out), 0o600)
	if code, out, _ := runMain(t, nil, "audit", "verify", "--data", s.Dir, "--public-key", pinned); code != 0 || strings.Contains(out, "WARNING") {
		t.Fatalf("sealbox audit verify --public-key <the printed key> = exit %d:\n%s", code, out)
	}
	// Someone's own key in place of the server's, and digests signed with
	// it: the pinned key refuses them.
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	os.WriteFile(filepath.Join(s.Dir, "audit", "public-key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644)
	if code, _, _ := runMain(t, nil, "audit", "verify", "--data", s.Dir, "--public-key", pinned); code != 0 {
		t.Fatalf("sealbox audit verify --public-key <pinned> with public-key.pem replaced = exit %d; want OK (the pinned key is used)", code)
	}
	if code, _, _ := runMain(t, nil, "audit", "verify", "--data", s.Dir); code == 0 {
		t.Fatal("sealbox audit verify with public-key.pem replaced, unpinned = exit 0; want the digests refused")
	}
}

// TestAuditVerifyStoreBlockEdited: an event edited inside a block in the
// store (by someone holding the root key) is named by its sequence number
// against the digests, and against the files event by event.
func TestAuditVerifyStoreBlockEdited(t *testing.T) {
	s := sealtest.Start(t)
	auditCalls(t, s)
	s.EditStore(t, func(tx store.Tx) error {
		var key string
		var block []byte
		tx.Scan("audit/e/", "", func(k string, v []byte) error {
			if key == "" {
				key, block = k, append([]byte(nil), v...)
			}
			return nil
		})
		block, err := audit.UnpackBlock(block)
		if err != nil {
			t.Fatal(err)
		}
		edited := strings.Replace(string(block), `"sourceIPAddress":"127.0.0.1"`, `"sourceIPAddress":"10.9.8.7"`, 1)
		if edited == string(block) {
			t.Fatal("no event to edit in the newest block")
		}
		return tx.Put(key, audit.PackBlock(nil, []byte(edited)))
	})
	s.Stop()
	code, out, _ := runMain(t, nil, "audit", "verify", "--data", s.Dir, "--store")
	if code != 1 || !regexp.MustCompile(`store seq \d+: altered`).MatchString(out) || !regexp.MustCompile(`store seq \d+: differs: not in the files`).MatchString(out) ||
		!strings.Contains(out, "differs: not in the store") {
		t.Fatalf("sealbox audit verify --store after an event in a block was edited = exit %d:\n%s\nwant it named against the digests and the files", code, out)
	}
}

// TestAuditVerifyAfterRestarts: the checks raise nothing on an honest
// trail: a server stopped and started again, with calls between, verifies
// clean from the files, the store and the files against the store.
func TestAuditVerifyAfterRestarts(t *testing.T) {
	s := sealtest.Start(t)
	auditCalls(t, s)
	for i := 0; i < 3; i++ {
		s.Restart()
		sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(context.Background(), &kms.ListKeysInput{}))
	}
	s.Stop()
	code, out, errOut := runMain(t, nil, "audit", "verify", "--data", s.Dir, "--store")
	if code != 0 || strings.Count(out, ": OK") != 3 {
		t.Fatalf("sealbox audit verify --store after 3 restarts = exit %d:\n%s%s\nwant all OK", code, out, errOut)
	}
	if strings.Contains(s.Logs.String(), "tampering detected") {
		t.Fatalf("an honest restart was reported as tampering:\n%s", s.Logs.String())
	}
}
