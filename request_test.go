package sealbox_test

import (
	"context"
	"testing"

	"github.com/sealbox/sealbox"
)

func TestRequestVia(t *testing.T) {
	r := &sealbox.Request{Region: "eu-west-1", Principal: sealbox.Principal{ARN: "arn:aws:iam::123456789012:user/a"}}
	r.AddResource("AWS::SSM::Parameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/p")
	v := r.Via("ssm")
	if v.ViaService != "ssm.eu-west-1.amazonaws.com" || v.Principal != r.Principal || len(v.Resources) != 0 {
		t.Fatalf("Via = %+v", v)
	}
	v.AddResource("AWS::KMS::Key", "k")
	if r.ViaService != "" || len(r.Resources) != 1 {
		t.Fatalf("Via changed the caller's request: %+v", r)
	}
}

// TestRequestViaContext: ViaContext carries the copy Via makes, in a
// context that still answers the parent's values and cancellation.
func TestRequestViaContext(t *testing.T) {
	r := &sealbox.Request{Region: "eu-west-1", Principal: sealbox.Principal{ARN: "arn:aws:iam::123456789012:user/a"}}
	r.AddResource("AWS::SecretsManager::Secret", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s")
	r.SetAuditParameter("secretId", "s")
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(sealbox.NewContext(context.Background(), r), key{}, "v"))
	ctx := r.ViaContext(parent, "secretsmanager")
	v := sealbox.MustRequest(ctx)
	want := *r.Via("secretsmanager")
	if v == r || v.ViaService != want.ViaService || v.Principal != want.Principal || v.Region != want.Region ||
		len(v.Resources) != 0 || len(v.AuditParameters) != 0 {
		t.Fatalf("ViaContext's request = %+v, want %+v", v, want)
	}
	v.AddResource("AWS::KMS::Key", "k")
	if r.ViaService != "" || len(r.Resources) != 1 {
		t.Fatalf("ViaContext changed the caller's request: %+v", r)
	}
	if ctx.Value(key{}) != "v" {
		t.Fatal("ViaContext lost the parent's values")
	}
	cancel()
	if ctx.Err() == nil {
		t.Fatal("ViaContext did not follow the parent's cancellation")
	}
}

func TestMustRequest(t *testing.T) {
	r := &sealbox.Request{AccountID: "210987654321", Region: "eu-west-1"}
	if got := sealbox.MustRequest(sealbox.NewContext(context.Background(), r)); got != r {
		t.Fatalf("MustRequest(ctx with %p) = %p", r, got)
	}
	defer func() {
		if p := recover(); p != sealbox.ErrNoRequest {
			t.Fatalf("MustRequest(context.Background()) panicked with %v, want ErrNoRequest", p)
		}
	}()
	r = sealbox.MustRequest(context.Background())
	t.Fatalf("MustRequest(context.Background()) = %+v, want a panic", r)
}
