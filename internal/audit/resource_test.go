package audit_test

import (
	"testing"

	"github.com/sealbox/sealbox/internal/audit"
)

func TestResourceName(t *testing.T) {
	cases := map[string]string{
		"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab": "1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:kms:us-east-1:123456789012:alias/app":                                "alias/app",
		"arn:aws:ssm:us-east-1:123456789012:parameter/app/db":                         "/app/db",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf":              "db-AbCdEf",
		"arn:aws:lambda:us-east-1:123456789012:function:orders":                       "orders",
		"arn:aws:iam::123456789012:role/deploy":                                       "deploy",
		"not an arn":                                                                  "",
	}
	for arn, want := range cases {
		if got := audit.ResourceName(arn); got != want {
			t.Errorf("ResourceName(%q) = %q, want %q", arn, got, want)
		}
	}
}
