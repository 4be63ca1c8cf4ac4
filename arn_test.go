package sealbox_test

import (
	"errors"
	"testing"

	"github.com/sealbox/sealbox"
)

func TestParseARN(t *testing.T) {
	for _, c := range []struct {
		in   string
		want sealbox.ARN
	}{
		{"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab", sealbox.ARN{Partition: "aws", Service: "kms", Region: "us-east-1", AccountID: "123456789012", Resource: "key/1234abcd-12ab"}},
		{"arn:aws:ssm:eu-west-1:1:parameter/a:b:c", sealbox.ARN{Partition: "aws", Service: "ssm", Region: "eu-west-1", AccountID: "1", Resource: "parameter/a:b:c"}},
		{"arn:aws:iam::123456789012:role/r", sealbox.ARN{Partition: "aws", Service: "iam", AccountID: "123456789012", Resource: "role/r"}},
		{"arn:aws-cn:kms:cn-north-1::", sealbox.ARN{Partition: "aws-cn", Service: "kms", Region: "cn-north-1"}},
	} {
		got, err := sealbox.ParseARN(c.in)
		if err != nil || got != c.want || got.String() != c.in {
			t.Errorf("ParseARN(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "alias/x", "1234abcd-12ab", "arn:aws:kms:us-east-1:123456789012", "arn::kms:r:1:key/x", "arn:aws::r:1:x", "ARN:aws:kms:r:1:key/x", "urn:aws:kms:r:1:key/x"} {
		if a, err := sealbox.ParseARN(bad); !errors.Is(err, sealbox.ErrInvalidARN) {
			t.Errorf("ParseARN(%q) = %+v, %v; want ErrInvalidARN", bad, a, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { sealbox.ParseARN("arn:aws:kms:us-east-1:123456789012:key/x") }); n != 0 {
		t.Errorf("ParseARN allocates %v times, want 0", n)
	}
}
