package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestRunAsAssumedRole runs the crypto operations (signing and MACs among
// them) as an assumed role, each request decided through the key policy's
// delegation and the role's policy.
func TestRunAsAssumedRole(t *testing.T) {
	s := sealtest.Start(t)
	ops := []Op{Ceiling, Encrypt, Decrypt, GenerateDataKey, SignECCP256, VerifyECCP256, GenerateMac}
	cfg := Config{Endpoint: s.URL, Region: "us-east-1", Credentials: adminPair, Ops: ops,
		Concurrency: []int{2}, Duration: 150 * time.Millisecond, Warmup: 0}
	creds, arn, err := AssumeRole(context.Background(), cfg)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || !strings.HasPrefix(arn, "arn:aws:sts::123456789012:assumed-role/sealbox-bench-") {
		t.Fatalf("AssumeRole = %s as %s", creds.AccessKeyID, arn)
	}
	cfg.Credentials = creds
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run as %s: %v", arn, err)
	}
	for _, r := range rep.Results {
		if r.Requests == 0 || r.Errors != 0 {
			t.Fatalf("%s: %d requests, %d errors (%v)", r.Op, r.Requests, r.Errors, r.ErrorKinds)
		}
	}
}

// TestRunParameterStore drives the Parameter Store operations against a
// real server, with a tree among other parameters.
func TestRunParameterStore(t *testing.T) {
	s := sealtest.Start(t)
	cfg := Config{Endpoint: s.URL, Region: "us-east-1", Credentials: adminPair, Ops: SSMOps,
		Concurrency: []int{2}, Duration: 150 * time.Millisecond, Warmup: 0, TreeSize: 30, TotalParameters: 60}
	rep, err := Run(context.Background(), cfg)
	if rep != nil {
		for _, r := range rep.Results {
			if r.Requests == 0 || r.Errors != 0 {
				t.Errorf("%s: %d requests, %d errors (%v)", r.Op, r.Requests, r.Errors, r.ErrorKinds)
			}
		}
	}
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestRunSecretsManager drives the Secrets Manager operations.
func TestRunSecretsManager(t *testing.T) {
	s := sealtest.Start(t)
	// No warm-up in these tests: every request that starts within the
	// window counts, so a loaded machine (a BatchGetSecretValue of 20
	// secrets under the race detector can outlast a short warm-up and the
	// whole window) still measures at least one request per worker.
	cfg := Config{Endpoint: s.URL, Region: "us-east-1", Credentials: adminPair, Ops: SecretsOps,
		Concurrency: []int{2}, Duration: 150 * time.Millisecond, Warmup: 0}
	rep, err := Run(context.Background(), cfg)
	if rep != nil {
		for _, r := range rep.Results {
			if r.Requests == 0 || r.Errors != 0 {
				t.Errorf("%s: %d requests, %d errors (%v)", r.Op, r.Requests, r.Errors, r.ErrorKinds)
			}
		}
	}
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
}
