package authz

import (
	"context"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
)

// taggedIDs is fakeIDs with the caller's tags.
type taggedIDs struct {
	fakeIDs
	tags map[string]string
}

func (f *taggedIDs) PrincipalTags(context.Context, sealbox.Principal) (map[string]string, error) {
	return f.tags, nil
}

// The keys the caller's side of a call fixes (its tags, its address, the
// Region, the time, the calling service) are the authorizer's: a service's
// condition map that names them (by a bug, or from a caller's input)
// changes no decision, and is not written.
func TestServiceConditionsCannotClaimCallerKeys(t *testing.T) {
	allowIf := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":` + cond + `}]}`
	}
	r := &sealbox.Request{Region: "us-east-1", Partition: "aws", AccountID: "123456789012", SourceIP: "10.0.0.1",
		Principal: sealbox.Principal{Type: "IAMUser", ARN: "arn:aws:iam::123456789012:user/bob", AccountID: "123456789012", UserName: "bob"}}
	for _, tc := range []struct {
		name   string
		policy string
		claim  map[string][]string // what the service's map says
		via    string
		allow  bool
	}{
		{"a tag the caller has", allowIf(`{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`), nil, "", true},
		{"a tag claimed", allowIf(`{"StringEquals":{"aws:PrincipalTag/team":"red"}}`),
			map[string][]string{"aws:principaltag/team": {"red"}}, "", false},
		{"a tag the caller lacks, claimed", allowIf(`{"Null":{"aws:PrincipalTag/level":"false"}}`),
			map[string][]string{"aws:principaltag/level": {"admin"}}, "", false},
		{"a policy variable of a claimed tag", allowIf(`{"StringEquals":{"secretsmanager:ResourceTag/team":"${aws:PrincipalTag/team}"}}`),
			map[string][]string{"aws:principaltag/team": {"red"}, "secretsmanager:resourcetag/team": {"red"}}, "", false},
		{"the caller's address", allowIf(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), nil, "", true},
		{"an address claimed", allowIf(`{"IpAddress":{"aws:SourceIp":"192.168.0.0/16"}}`),
			map[string][]string{"aws:sourceip": {"192.168.1.1"}}, "", false},
		{"a Region claimed", allowIf(`{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`),
			map[string][]string{"aws:requestedregion": {"eu-west-1"}}, "", false},
		{"TLS claimed", allowIf(`{"Bool":{"aws:SecureTransport":"true"}}`),
			map[string][]string{"aws:securetransport": {"true"}}, "", false},
		{"a service call claimed", allowIf(`{"Bool":{"aws:ViaAWSService":"true"}}`),
			map[string][]string{"aws:viaawsservice": {"true"}, "aws:calledvia": {"ssm.amazonaws.com"}}, "", false},
		{"a time claimed", allowIf(`{"DateLessThan":{"aws:CurrentTime":"2001-01-01T00:00:00Z"}}`),
			map[string][]string{"aws:currenttime": {"2000-01-01T00:00:00Z"}}, "", false},
		{"the calling service", allowIf(`{"ForAnyValue:StringEquals":{"aws:CalledVia":"secretsmanager.amazonaws.com"}}`), nil,
			"secretsmanager.us-east-1.amazonaws.com", true},
		{"another calling service claimed", allowIf(`{"ForAnyValue:StringEquals":{"aws:CalledVia":"ssm.amazonaws.com"}}`),
			map[string][]string{"aws:calledvia": {"ssm.amazonaws.com"}}, "secretsmanager.us-east-1.amazonaws.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids := &taggedIDs{fakeIDs: fakeIDs{policies: []identity.PolicyDoc{{Source: "arn:aws:iam::123456789012:user/bob#inline@h", Document: tc.policy}}},
				tags: map[string]string{"team": "blue"}}
			a := New(ids, nil, nil, nil)
			call := *r
			call.ViaService = tc.via
			before := len(tc.claim)
			err := a.Authorize(sealbox.NewContext(context.Background(), &call),
				&sealbox.AccessQuery{Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf", Context: tc.claim})
			if allowed := err == nil; allowed != tc.allow {
				t.Fatalf("allowed %v (%v), want %v", allowed, err, tc.allow)
			}
			if len(tc.claim) != before {
				t.Errorf("the service's map was written: %v", tc.claim)
			}
		})
	}
}
