package functions_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/lambdarun/lambdatest"
	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sealboxBin.dir != "" {
		os.RemoveAll(sealboxBin.dir)
	}
	os.Exit(code)
}

var sealboxBin struct {
	sync.Once
	dir, path string
	err       error
}

// sealboxBinary builds cmd/sealbox once per test binary: the server's
// LambdaAgent, which starts environments with extensions and runs as the
// Parameters and Secrets extension in them (the test binary is neither).
func sealboxBinary(t testing.TB) string {
	t.Helper()
	sealboxBin.Do(func() {
		sealboxBin.dir, sealboxBin.err = os.MkdirTemp("", "sealbox-functions-bin-")
		if sealboxBin.err != nil {
			return
		}
		sealboxBin.path = filepath.Join(sealboxBin.dir, "sealbox")
		if b, err := exec.Command("go", "build", "-o", sealboxBin.path, "github.com/sealbox/sealbox/cmd/sealbox").CombinedOutput(); err != nil {
			sealboxBin.err = fmt.Errorf("go build ./cmd/sealbox: %v\n%s", err, b)
		}
	})
	if sealboxBin.err != nil {
		t.Fatal(sealboxBin.err)
	}
	return sealboxBin.path
}

// startWithExtension starts a server that runs functions, and the
// Parameters and Secrets extension as the sealbox binary.
func startWithExtension(t testing.TB, opts ...sealtest.Option) *sealtest.Server {
	t.Helper()
	lambdatest.Emulator(t) // skips without it, before building sealbox
	if os.Geteuid() != 0 {
		if os.Getenv("SEALBOX_LAMBDA_TESTS") == "1" {
			t.Fatal("the extension's tests need root (a mount namespace per execution environment)")
		}
		t.Skip("the extension's tests need root (a mount namespace per execution environment)")
	}
	bin := sealboxBinary(t)
	return startRunner(t, append([]sealtest.Option{func(c *config.Config) { c.LambdaAgent = bin }}, opts...)...)
}

// extensionLayer is the layer of the Parameters and Secrets extension, as
// AWS publishes it.
const extensionLayerARN = "arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:12"

// deployWithExtension creates the test function with the extension's
// layer, executed by roleARN.
func deployWithExtension(t *testing.T, c *lambda.Client, name, roleARN string) {
	t.Helper()
	must[*lambda.CreateFunctionOutput](t, "CreateFunction "+name)(c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: aws.String(roleARN), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Timeout: aws.Int32(5), Code: &types.FunctionCode{ZipFile: lambdatest.FunctionZip(t)}, Layers: []string{extensionLayerARN}}))
}

func invokeExt(t *testing.T, c *lambda.Client, name, action, secret string, seconds float64) answer {
	t.Helper()
	p, _ := json.Marshal(map[string]any{"action": action, "secret_id": secret, "seconds": seconds})
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: p, LogType: types.LogTypeTail})
	if err != nil {
		t.Errorf("Invoke %s %s: %v", name, action, err)
		return answer{}
	}
	var a answer
	if out.FunctionError != nil || json.Unmarshal(out.Payload, &a) != nil {
		t.Errorf("Invoke %s %s = %v %s", name, action, aws.ToString(out.FunctionError), out.Payload)
	}
	lambdatest.OnHost(&a)
	return a
}

// functionProcesses are the live processes of the function's execution
// environments: those whose environment names it (the emulator, the
// bootstrap, the extension: the emulator hands its environment on).
func functionProcesses(name string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	want := []byte("\x00AWS_LAMBDA_FUNCTION_NAME=" + name + "\x00")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(append([]byte{0}, env...), want) {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); err != nil || i < 0 || bytes.HasPrefix(stat[i+1:], []byte(" Z")) {
			continue // gone, or a zombie: dead
		}
		out = append(out, pid)
	}
	return out
}

// waitNoProcesses waits until no process of the function is left.
func waitNoProcesses(t *testing.T, name string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		left := functionProcesses(name)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after its environments were stopped, %s's processes %v are still running", within, name, left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// portFree reports whether the loopback port is free now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// TestInvokeThroughTheExtension: a function that lists the Parameters and
// Secrets extension's layer reads a secret through it, as AWS's
// documentation shows (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, the session
// token as X-Aws-Parameters-Secrets-Token), its execution role allowed
// only secretsmanager:GetSecretValue as in AWS: cold, warm (the same
// process), a new value seen by the next invocation (the agent follows
// the change feed: the environment stays warm), a wrong token refused by
// the agent; two environments at once, each its extension on its own port
// (the first 2773); after DeleteFunction none of their processes is left.
func TestInvokeThroughTheExtension(t *testing.T) {
	free2773 := portFree(2773)
	s := startWithExtension(t)
	c := s.Lambda()
	sm := s.SecretsManager()
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("app/db"), SecretString: aws.String("first-value")}))
	exec := newRole(t, s, "ext-exec", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*"}]}`)
	deployWithExtension(t, c, "reader", exec.ARN)

	start := time.Now()
	cold := invokeExt(t, c, "reader", "extension", "app/db", 0)
	t.Logf("cold invocation through the extension: %v", time.Since(start))
	if cold.ExtStatus != 200 || cold.ExtValue != "first-value" || cold.Count != 1 || cold.UID == 0 {
		t.Fatalf("cold invocation: %+v, want the extension's 200 first-value, count 1, not root", cold)
	}
	if free2773 && cold.ExtPort != "2773" {
		t.Errorf("the first environment's extension is on port %s, want 2773 (it was free)", cold.ExtPort)
	}
	start = time.Now()
	warm := invokeExt(t, c, "reader", "extension", "app/db", 0)
	t.Logf("warm invocation through the extension: %v", time.Since(start))
	if warm.ExtStatus != 200 || warm.ExtValue != "first-value" || warm.Count != 2 || warm.PID != cold.PID {
		t.Fatalf("warm invocation: %+v, want 200 first-value from the same process (count 2, pid %d)", warm, cold.PID)
	}

	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("app/db"), SecretString: aws.String("second-value")}))
	// The agent's cache (TTL 300 s) is evicted by the change feed, within
	// its latency: a few warm invocations.
	deadline := time.Now().Add(10 * time.Second)
	for {
		a := invokeExt(t, c, "reader", "extension", "app/db", 0)
		if a.PID != cold.PID {
			t.Fatalf("the environment was restarted (pid %d, was %d): the new value must reach the warm one's extension", a.PID, cold.PID)
		}
		if a.ExtStatus == 200 && a.ExtValue == "second-value" {
			break
		}
		if time.Now().After(deadline) || t.Failed() {
			t.Fatalf("after PutSecretValue the extension still answers %+v", a)
		}
		time.Sleep(50 * time.Millisecond)
	}

	if bad := invokeExt(t, c, "reader", "extension-bad-token", "app/db", 0); bad.ExtStatus != 403 || bad.ExtValue != "" {
		t.Errorf("a read with a wrong token: %+v, want the agent's 403 and no value", bad)
	}

	// Two invocations at once: the warm environment and a new one.
	var wg sync.WaitGroup
	both := make([]answer, 2)
	for i := range both {
		wg.Add(1)
		go func() {
			defer wg.Done()
			both[i] = invokeExt(t, c, "reader", "extension", "app/db", 1)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, a := range both {
		if a.ExtStatus != 200 || a.ExtValue != "second-value" {
			t.Errorf("concurrent invocation: %+v, want 200 second-value", a)
		}
	}
	if both[0].PID == both[1].PID || both[0].ExtPort == both[1].ExtPort || both[0].ExtPort == "" {
		t.Fatalf("concurrent invocations ran in %+v and %+v: want two environments, their extensions on two ports", both[0], both[1])
	}
	if n := s.Srv.Runner().Environments(); n != 2 {
		t.Errorf("%d environments, want 2", n)
	}
	// Each environment: the emulator, the bootstrap, the extension.
	if procs := functionProcesses("reader"); len(procs) != 6 {
		t.Errorf("the function's processes are %v, want 6 (2 × emulator, bootstrap, extension)", procs)
	}

	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("reader")}))
	waitNoProcesses(t, "reader", 10*time.Second)
	for _, a := range both {
		if p, _ := strconv.Atoi(a.ExtPort); !portFree(p) {
			t.Errorf("port %d is still taken after DeleteFunction", p)
		}
	}
}

// TestExtensionEnvironmentReaped: an environment with the extension that
// idles out is stopped whole (no process left), as is one the server's
// Close stops.
func TestExtensionEnvironmentReaped(t *testing.T) {
	s := startWithExtension(t, func(c *config.Config) { c.LambdaIdle = 500 * time.Millisecond })
	c := s.Lambda()
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("app/key"), SecretString: aws.String("key-value")}))
	exec := newRole(t, s, "ext-exec", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)
	deployWithExtension(t, c, "idler", exec.ARN)
	if a := invokeExt(t, c, "idler", "extension", "app/key", 0); a.ExtStatus != 200 || a.ExtValue != "key-value" {
		t.Fatalf("invocation: %+v, want 200 key-value", a)
	}
	if procs := functionProcesses("idler"); len(procs) != 3 {
		t.Errorf("the function's processes are %v, want 3 (emulator, bootstrap, extension)", procs)
	}
	waitNoProcesses(t, "idler", 10*time.Second)
	if n := s.Srv.Runner().Environments(); n != 0 {
		t.Errorf("%d environments after the idle time, want 0", n)
	}

	deployWithExtension(t, c, "closed", exec.ARN)
	if a := invokeExt(t, c, "closed", "extension", "app/key", 0); a.ExtStatus != 200 {
		t.Fatalf("invocation: %+v, want 200", a)
	}
	if err := s.Srv.Runner().Close(); err != nil {
		t.Fatal(err)
	}
	if left := functionProcesses("closed"); len(left) != 0 {
		t.Errorf("after the runner's Close, the processes %v are still running", left)
	}
}
