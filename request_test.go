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
