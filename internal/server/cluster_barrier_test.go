package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/operator"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestClusterBarrierRotationReachesEveryServer: two servers on one
// PostgreSQL. A rotation on one is learnt by the other through the change
// log (it then seals under the new term too), values cross both ways, a
// rewrap on one keeps everything readable on both, and after a rekey on
// one the other refuses to rotate with the old keyring key (a conflict it
// can act on) while still serving every value.
func TestClusterBarrierRotationReachesEveryServer(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	c := sealtest.StartCluster(t, 2)
	a, b := c.Servers[0], c.Servers[1]
	ctx := context.Background()
	put := func(s *sealtest.Server, name, value string) {
		t.Helper()
		if _, err := s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
			Type: types.ParameterTypeSecureString, Overwrite: aws.Bool(true)}); err != nil {
			t.Fatalf("PutParameter(%s): %v", name, err)
		}
	}
	get := func(s *sealtest.Server, name string) string {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			out, err := s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
			if err == nil {
				return *out.Parameter.Value
			}
			if time.Now().After(deadline) {
				t.Fatalf("GetParameter(%s): %v", name, err)
			}
		}
	}
	for i := range 20 {
		put(a, fmt.Sprintf("/old/p%02d", i), fmt.Sprint("old ", i))
	}
	var rot operator.RotateBarrierKeyOutput
	if err := operatorCall(t, a, a.AWSConfig("us-east-1"), "RotateBarrierKey", operator.RotateBarrierKeyInput{}, &rot); err != nil || rot.Term != 2 {
		t.Fatalf("RotateBarrierKey on a = %+v, %v", rot, err)
	}
	// b learns term 2 from the change log, without a restart.
	var st operator.GetBarrierStatusOutput
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := operatorCall(t, b, b.AWSConfig("us-east-1"), "GetBarrierStatus", operator.GetBarrierStatusInput{}, &st); err != nil {
			t.Fatal(err)
		}
		if st.Terms == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b holds %d terms 10 s after a's rotation, want 2", st.Terms)
		}
	}
	put(b, "/new/from-b", "b under term 2")
	put(a, "/new/from-a", "a under term 2")
	if get(a, "/new/from-b") != "b under term 2" || get(b, "/new/from-a") != "a under term 2" || get(b, "/old/p07") != "old 7" {
		t.Fatal("a value did not cross between the servers after the rotation")
	}
	if err := operatorCall(t, a, a.AWSConfig("us-east-1"), "RotateBarrierKey", operator.RotateBarrierKeyInput{Rewrap: true}, &rot); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := operatorCall(t, a, a.AWSConfig("us-east-1"), "GetBarrierStatus", operator.GetBarrierStatusInput{}, &st); err != nil {
			t.Fatal(err)
		}
		if st.Rewrap != nil && st.Rewrap.State != operator.RewrapRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rewrap did not end within 30 s")
		}
	}
	if st.Rewrap.State != operator.RewrapCompleted {
		t.Fatalf("rewrap = %+v", st.Rewrap)
	}
	for i := range 20 {
		if got := get(b, fmt.Sprintf("/old/p%02d", i)); got != fmt.Sprint("old ", i) {
			t.Fatalf("b reads %q after a's rewrap", got)
		}
	}
	// A rekey on a: b keeps serving, and refuses a rotation with its stale
	// keyring key instead of overwriting the rekeyed keyring.
	var rk operator.RekeyRootKeyOutput
	if err := operatorCall(t, a, a.AWSConfig("us-east-1"), "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "file",
		Settings: map[string]string{"root-key-file": c.RootKeyFile}}, &rk); err != nil {
		t.Fatal(err)
	}
	wantOperatorError(t, operatorCall(t, b, b.AWSConfig("us-east-1"), "RotateBarrierKey", operator.RotateBarrierKeyInput{}, &rot), "ConflictException")
	if get(b, "/new/from-a") != "a under term 2" {
		t.Fatal("b lost a value after a's rekey")
	}
	// Restarted, b unwraps the rekeyed keyring with the (same) root key file.
	b.Restart()
	if err := operatorCall(t, b, b.AWSConfig("us-east-1"), "RotateBarrierKey", operator.RotateBarrierKeyInput{}, &rot); err != nil || rot.Term != 4 {
		t.Fatalf("RotateBarrierKey on b after its restart = %+v, %v", rot, err)
	}
	put(b, "/newest", "term 4")
	if get(a, "/newest") != "term 4" {
		t.Fatal("a did not read b's value under term 4")
	}
}
