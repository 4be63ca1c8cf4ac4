package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestQueryListKeysRefused: through a real server, a Query list element
// not numbered from 1 (Tags.member.0, negative, overflowing, malformed
// keys) is a ValidationError (400) on IAM and STS, and nothing is done:
// the tag is not silently dropped.
func TestQueryListKeysRefused(t *testing.T) {
	s := sealtest.Start(t)
	st, body := queryCall(t, s, "iam", "", "Action=CreateUser&Version=2010-05-08&UserName=u")
	if st != 200 {
		t.Fatalf("CreateUser = %d %s", st, body)
	}
	for _, tc := range []struct{ service, form, param string }{
		{"iam", "Action=TagUser&Version=2010-05-08&UserName=u&Tags.member.0.Key=team&Tags.member.0.Value=red", "Tags.member.0"},
		{"iam", "Action=TagUser&Version=2010-05-08&UserName=u&Tags.member.1.Key=a&Tags.member.1.Value=b&Tags.member.-1.Key=team&Tags.member.-1.Value=red", "Tags.member.-1"},
		{"iam", "Action=TagUser&Version=2010-05-08&UserName=u&Tags.member.4294967297.Key=team&Tags.member.4294967297.Value=red", "Tags.member.4294967297"},
		{"iam", "Action=TagUser&Version=2010-05-08&UserName=u&Tags.member.1x.Key=team&Tags.member.1x.Value=red", "Tags.member.1x"},
		{"iam", "Action=UntagUser&Version=2010-05-08&UserName=u&TagKeys.memberz.1=team", "TagKeys.memberz"},
		{"sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s1&TransitiveTagKeys.member.0=team", "TransitiveTagKeys.member.0"},
	} {
		st, body := queryCall(t, s, tc.service, "", tc.form)
		if st != 400 || !strings.Contains(body, "<Code>ValidationError</Code>") || !strings.Contains(body, "Parameter "+tc.param+" is not a well-formed") {
			t.Errorf("%s %s = %d %s, want 400 ValidationError naming %s", tc.service, tc.form, st, body, tc.param)
		}
	}
	st, body = queryCall(t, s, "iam", "", "Action=ListUserTags&Version=2010-05-08&UserName=u")
	if st != 200 || strings.Contains(body, "<Key>") {
		t.Fatalf("ListUserTags after the refusals = %d %s, want no tags", st, body)
	}
}

// TestQueryOversizedBody: an IAM or STS body over the cap answers 413
// RequestEntityTooLarge in the Query error shape, as the JSON protocols
// answer 413 RequestEntityTooLargeException.
func TestQueryOversizedBody(t *testing.T) {
	s := sealtest.Start(t)
	for _, service := range []string{"iam", "sts"} {
		form := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}, "Pad": {strings.Repeat("a", 2<<20)}}.Encode()
		if service == "iam" {
			form = url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}, "Pad": {strings.Repeat("a", 2<<20)}}.Encode()
		}
		st, body := queryCall(t, s, service, "", form)
		if st != 413 || !strings.Contains(body, "<ErrorResponse") || !strings.Contains(body, "<Code>RequestEntityTooLarge</Code>") {
			t.Errorf("%s with a 2 MiB body = %d %.300s, want 413 RequestEntityTooLarge", service, st, body)
		}
	}
	// As aws-sdk-go-v2 sees it.
	_, err := s.IAM().CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String("big"), PolicyDocument: aws.String(strings.Repeat(" ", 2<<20))})
	sealtest.APIError(t, "CreatePolicy(2 MiB document)", err, "RequestEntityTooLarge", 413)
}
