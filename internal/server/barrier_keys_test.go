package server_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/operator"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealboxcall"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/server"
)

func operatorCall(t *testing.T, s *sealtest.Server, cfg aws.Config, op string, in, out any) error {
	t.Helper()
	cfg.HTTPClient = s.HTTPClient()
	return sealboxcall.Call(context.Background(), cfg, s.URL, op, in, out)
}

func wantOperatorError(t *testing.T, err error, code string) {
	t.Helper()
	var e *sealboxcall.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

// TestRotateWithRewrapUnderLoadLosesNothing rotates the barrier key of a
// running server with a rewrap, rotates again and rekeys to a new root key
// file, all while clients write parameters, then reads every parameter
// back, also after a restart with the new root key.
func TestRotateWithRewrapUnderLoadLosesNothing(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	admin := s.AWSConfig("us-east-1")
	client := s.SSM()
	for i := range 300 {
		if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(fmt.Sprintf("/before/p%03d", i)),
			Value: aws.String(fmt.Sprint("before ", i)), Type: types.ParameterTypeSecureString}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		wg      sync.WaitGroup
		stop    atomic.Bool
		mu      sync.Mutex
		written = map[string]string{}
	)
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				name, value := fmt.Sprintf("/during/w%d/p%03d", w, i%100), fmt.Sprintf("w%d %d", w, i)
				if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
					Type: types.ParameterTypeSecureString, Overwrite: aws.Bool(true)}); err != nil {
					t.Errorf("PutParameter during rotation: %v", err)
					return
				}
				mu.Lock()
				written[name] = value
				mu.Unlock()
			}
		}()
	}
	var rot operator.RotateBarrierKeyOutput
	if err := operatorCall(t, s, admin, "RotateBarrierKey", operator.RotateBarrierKeyInput{Rewrap: true}, &rot); err != nil {
		t.Fatal(err)
	}
	if rot.Term != 2 || rot.Rewrap == nil || rot.Rewrap.State != operator.RewrapRunning {
		t.Fatalf("RotateBarrierKey = %+v", rot)
	}
	var st operator.GetBarrierStatusOutput
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err := operatorCall(t, s, admin, "GetBarrierStatus", operator.GetBarrierStatusInput{}, &st); err != nil {
			t.Fatal(err)
		}
		if st.Rewrap != nil && st.Rewrap.State != operator.RewrapRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A second rotation while writes go on.
	if err := operatorCall(t, s, admin, "RotateBarrierKey", operator.RotateBarrierKeyInput{}, &rot); err != nil || rot.Term != 3 {
		t.Fatalf("second RotateBarrierKey = %+v, %v", rot, err)
	}
	// And a rekey to a new root key file, while writes go on.
	newKey := filepath.Join(t.TempDir(), "new-root.key")
	var rk operator.RekeyRootKeyOutput
	if err := operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "file",
		Settings: map[string]string{"root-key-file": newKey}}, &rk); err != nil {
		t.Fatalf("RekeyRootKey during writes: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if st.Rewrap == nil || st.Rewrap.State != operator.RewrapCompleted || st.Rewrap.Rewrapped < 300 || st.Term != 2 || st.Provider != "file" {
		t.Fatalf("GetBarrierStatus after the rewrap = %+v (rewrap %+v)", st, st.Rewrap)
	}
	check := func() {
		t.Helper()
		for i := range 300 {
			name := fmt.Sprintf("/before/p%03d", i)
			out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
			if err != nil || *out.Parameter.Value != fmt.Sprint("before ", i) {
				t.Fatalf("GetParameter(%s) = %v", name, err)
			}
		}
		if len(written) == 0 {
			t.Fatal("no write happened during the rotation")
		}
		for name, value := range written {
			out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
			if err != nil || *out.Parameter.Value != value {
				t.Fatalf("GetParameter(%s) = %v, want %q", name, err, value)
			}
		}
	}
	check()
	s.Stop()
	s.Config.RootKey, s.Config.RootKeyFile = "file", newKey
	s.Restart()
	client = s.SSM()
	check()
	var ended bool
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["eventName"] == "RewrapBarrierKeys" {
			d, _ := e["serviceEventDetails"].(map[string]any)
			ended = d["state"] == operator.RewrapCompleted && d["term"] == float64(2) && d["rewrapped"].(float64) >= 300
		}
	}
	if !ended {
		t.Error("no RewrapBarrierKeys event of the completed rewrap on the audit trail")
	}
	if err := operatorCall(t, s, admin, "GetBarrierStatus", operator.GetBarrierStatusInput{}, &st); err != nil || st.Term != 3 || st.Terms != 3 {
		t.Fatalf("GetBarrierStatus after restart = %+v, %v", st, err)
	}
}

// TestBarrierKeyOperationsAreDeniedWithoutPermission: a user with every
// other permission cannot rotate, rekey or read the barrier's status, and
// nothing changes.
func TestBarrierKeyOperationsAreDeniedWithoutPermission(t *testing.T) {
	s := sealtest.Start(t)
	user := s.AWSConfigAs("us-east-1", s.NewUser(t, "ops", "ssm:*", "kms:*", "secretsmanager:*", "sealbox:GetChanges"))
	before := keyringBytes(t, s)
	for op, in := range map[string]any{
		"GetBarrierStatus": operator.GetBarrierStatusInput{},
		"RotateBarrierKey": operator.RotateBarrierKeyInput{Rewrap: true},
		"RekeyRootKey":     operator.RekeyRootKeyInput{Provider: "passphrase", Passphrase: "a long enough passphrase"},
	} {
		wantOperatorError(t, operatorCall(t, s, user, op, in, &struct{}{}), "AccessDeniedException")
	}
	s.Stop()
	if after := keyringBytes(t, s); after != before {
		t.Fatal("a denied call changed the keyring")
	}
	s.Restart()
	// Allowed one action, the user can do that one only.
	s2 := s.AWSConfigAs("us-east-1", s.NewUser(t, "rotator", "sealbox:RotateBarrierKey"))
	var rot operator.RotateBarrierKeyOutput
	if err := operatorCall(t, s, s2, "RotateBarrierKey", operator.RotateBarrierKeyInput{}, &rot); err != nil || rot.Term != 2 {
		t.Fatalf("RotateBarrierKey allowed = %+v, %v", rot, err)
	}
	wantOperatorError(t, operatorCall(t, s, s2, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "passphrase", Passphrase: "a long enough passphrase"}, &struct{}{}), "AccessDeniedException")
}

// keyringBytes reads the raw keyring record from the stopped server's data
// folder file (the keyring is stored in the clear).
func keyringBytes(t *testing.T, s *sealtest.Server) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir, "sealbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), `{"version":`)
	if i < 0 {
		t.Fatal("no keyring record in the data file")
	}
	j := strings.IndexByte(string(b[i:]), '}')
	return string(b[i : i+j])
}

// TestRekeyToAPassphraseThenBackToAFile moves a running server's keyring
// from its root key file to a passphrase: the server must then start with
// the passphrase, the old key file opens nothing, and the passphrase is in
// no log, audit event or raw byte.
func TestRekeyToAPassphraseThenBackToAFile(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	admin := s.AWSConfig("us-east-1")
	if _, err := s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/db/password"), Value: aws.String("hunter2-value"),
		Type: types.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	wantOperatorError(t, operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "passphrase", Passphrase: "short"}, &struct{}{}), "ValidationException")
	wantOperatorError(t, operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "file", Settings: map[string]string{"root-key-file": "relative.key"}}, &struct{}{}), "ValidationException")
	wantOperatorError(t, operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "hsm-of-dreams"}, &struct{}{}), "ValidationException")
	const pass = "correct horse battery staple"
	var out operator.RekeyRootKeyOutput
	if err := operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "passphrase", Passphrase: pass}, &out); err != nil || out.Provider != "passphrase" {
		t.Fatalf("RekeyRootKey = %+v, %v", out, err)
	}
	s.Stop()
	// The old provider is refused by name.
	if _, err := server.Open(ctx, s.Config, server.Options{}); !errors.As(err, new(*barrier.ProviderMismatchError)) {
		t.Fatalf("start with the old root key file after a rekey = %v, want a provider mismatch", err)
	}
	s.Config.RootKey = "passphrase"
	s.Config.Passphrase = primitive.NewSecret([]byte("not the passphrase"))
	if _, err := server.Open(ctx, s.Config, server.Options{}); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("start with a wrong passphrase = %v", err)
	}
	s.Config.Passphrase = primitive.NewSecret([]byte(pass))
	s.Restart()
	got, err := s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/db/password"), WithDecryption: aws.Bool(true)})
	if err != nil || *got.Parameter.Value != "hunter2-value" {
		t.Fatalf("GetParameter after the rekey = %v", err)
	}
	// And back to a new key file.
	newKey := filepath.Join(t.TempDir(), "new-root.key")
	if err := operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "file", Settings: map[string]string{"root-key-file": newKey}}, &out); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	s.Config.RootKey, s.Config.RootKeyFile, s.Config.Passphrase = "file", newKey, primitive.Secret{}
	s.Restart()
	if got, err = s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/db/password"), WithDecryption: aws.Bool(true)}); err != nil || *got.Parameter.Value != "hunter2-value" {
		t.Fatalf("GetParameter after the second rekey = %v", err)
	}
	s.Stop()
	// The passphrase is nowhere: logs, audit events, the data folder.
	if strings.Contains(s.Logs.String(), pass) {
		t.Error("the passphrase is in the server's log")
	}
	var rekeys int
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["eventName"] == "RekeyRootKey" {
			rekeys++
		}
	}
	if rekeys < 2 {
		t.Errorf("%d RekeyRootKey audit events, want at least 2", rekeys)
	}
	filepath.WalkDir(s.Dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), pass) {
				t.Errorf("the passphrase is in %s", path)
			}
		}
		return nil
	})
}
