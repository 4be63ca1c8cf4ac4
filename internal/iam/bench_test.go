package iam

import (
	"errors"
	"strings"
	"testing"
)

// benchPolicy is a typical function role policy: three statements, one
// condition.
const benchPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/app:*"},
    {"Sid": "Params", "Effect": "Allow", "Action": ["ssm:GetParameter*"], "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/app/*"},
    {"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:123456789012:key/*",
     "Condition": {"StringEquals": {"kms:EncryptionContext:PARAMETER_ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"}}}
  ]
}`

func benchRequest() *Request {
	r := req(app, "kms:Decrypt", keyARN)
	r.Set("kms:EncryptionContext:PARAMETER_ARN", "arn:aws:ssm:us-east-1:123456789012:parameter/app/db")
	r.Set("aws:SourceIp", "10.0.0.1")
	r.Set("kms:CallerAccount", acct)
	r.Set("aws:SecureTransport", "true")
	return r
}

func BenchmarkEvaluate(b *testing.B) {
	p := mustParse(b, benchPolicy, KindIdentity)
	r := benchRequest()
	if got, sid := p.Evaluate(r); got != Allow || sid != "Decrypt" {
		b.Fatalf("Evaluate() = %v, %q, want Allow, Decrypt", got, sid)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(r)
	}
}

func BenchmarkDecide(b *testing.B) {
	identity := []*Policy{mustParse(b, benchPolicy, KindIdentity)}
	key := mustParse(b, defaultKeyPolicy, KindKey)
	r := benchRequest()
	if d := Decide(&Facts{Identity: identity, Resource: key}, r); !d.Allowed {
		b.Fatalf("Decide() = %+v, want allowed", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		Decide(&Facts{Identity: identity, Resource: key}, r)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(benchPolicy, KindIdentity); err != nil {
			b.Fatal(err)
		}
	}
}

// Evaluate and Decide run on every request: they must not allocate, with
// conditions of every family, policy variables, derived keys and
// NotPrincipal.
func TestEvaluateDoesNotAllocate(t *testing.T) {
	identity := []*Policy{
		mustParse(t, benchPolicy, KindIdentity),
		mustParse(t, stmt(
			`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"${aws:userid}/*"},"NumericLessThan":{"s3:max-keys":"10"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00+02:00"}}}`,
			`{"Effect":"Deny","NotAction":"kms:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}`,
			`{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:role/*"},"Null":{"aws:TokenIssueTime":"false"}}}`,
		), KindIdentity),
	}
	resource := mustParse(t, stmt(
		`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:role/app","123456789012","arn:aws:sts::123456789012:assumed-role/app/i-0abc"]},"Action":"kms:*","Resource":"*"}`,
		`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"AssumedRole"}}}`,
	), KindKey)
	r := benchRequest()
	r.Set("aws:TagKeys", "a", "b")
	r.Set("aws:CurrentTime", "2024-05-01T10:00:00+01:00")
	r.Set("aws:TokenIssueTime", "2024-05-01T09:00:00Z")
	r.Set("s3:prefix", "x")
	r.Set("s3:max-keys", "5")
	for _, action := range []string{"kms:Decrypt", "s3:GetObject", "logs:PutLogEvents"} {
		r.Action = action
		allocs := testing.AllocsPerRun(100, func() {
			for _, p := range identity {
				p.Evaluate(r)
			}
			resource.Evaluate(r)
			Decide(&Facts{Identity: identity, Resource: resource}, r)
			Decide(&Facts{Identity: identity, Session: identity[:1], Resource: resource, Grant: MatchGrantee("arn:aws:iam::123456789012:root", &r.Principal)}, r)
		})
		if allocs != 0 {
			t.Errorf("Evaluate and Decide for %s allocate %v times per run, want 0", action, allocs)
		}
	}
}

// FuzzParse: Parse never panics; a policy it accepts evaluates, for any
// principal, action, resource and context, without panicking; a policy it
// refuses comes with a message.
func FuzzParse(f *testing.F) {
	seeds := []string{
		defaultKeyPolicy, benchPolicy, keyPolicyDenyAll, trustDeploy, secretPolicyDeny,
		stmt(allowAll), stmt(allowAllFor),
		stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","444455556666"]},"NotAction":"s3:*","NotResource":"arn:aws:s3:::b/${aws:username, 'x'}/*"}`),
		stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["${*}a?"]},"NumericGreaterThan":{"k:n":1e3},"DateEquals":{"k:d":"2020-02-29T10:00:00.123-05:00"},"IpAddress":{"k:i":"::ffff:10.0.0.0/104"},"BinaryEquals":{"k:b":"AAEC"},"Null":{"k:x":true}}}`),
		`{"Statement":{"Effect":"Allow","Action":"a:b","Resource":"arn:aws:s3:::${x"}}`,
		`{"Version":"2012-10-17","Statement":[[[[`,
	}
	for _, s := range seeds {
		f.Add(s, "kms:Decrypt", keyARN, "aws:TagKeys", "a")
	}
	principals := []Principal{alice, root, app, lamb, bob, audit, {}}
	f.Fuzz(func(t *testing.T, doc, action, resource, key, value string) {
		for kind := KindIdentity; kind <= KindTrust; kind++ {
			p, err := Parse(doc, kind)
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Message == "" || p != nil {
					t.Fatalf("Parse(%q, %v) = %v, %#v: want a nil policy and a *ParseError with a message", doc, kind, p, err)
				}
				continue
			}
			for _, pr := range principals {
				r := &Request{Principal: pr, Action: action, Resource: resource}
				r.Set(key, value)
				r.Set(strings.ToLower(value), key, value)
				e, _ := p.Evaluate(r)
				if e > Deny {
					t.Fatalf("Evaluate() = %d, not an Effect", e)
				}
				var identity []*Policy
				var resourcePolicy *Policy
				if kind == KindIdentity {
					identity = []*Policy{p}
				} else {
					resourcePolicy = p
				}
				d := Decide(&Facts{Identity: identity, Resource: resourcePolicy}, r)
				if d.Allowed && (e == Deny) {
					t.Fatalf("Decide() allowed a request the policy denies: %+v", d)
				}
				_ = d.Message(r)
				// The simulator's explanation agrees with Evaluate, and
				// names statements written in the document.
				deny, allow := p.Matches(nil, r, Deny), p.Matches(nil, r, Allow)
				if (e == Deny) != (len(deny) > 0) || (e == Allow && len(allow) == 0) {
					t.Fatalf("Evaluate() = %v; Matches: deny %v, allow %v", e, deny, allow)
				}
				for _, sp := range append(deny, allow...) {
					if sp.Start < 0 || sp.End > len(doc) || sp.Start >= sp.End || doc[sp.Start] != '{' || doc[sp.End-1] != '}' {
						t.Fatalf("statement span %v in %q is not an object", sp, doc)
					}
				}
			}
		}
	})
}

// A Policy is shared by every request: evaluating it from many goroutines is
// safe (run with -race).
func TestConcurrentEvaluate(t *testing.T) {
	identity := []*Policy{mustParse(t, benchPolicy, KindIdentity)}
	key := mustParse(t, defaultKeyPolicy, KindKey)
	r := benchRequest()
	done := make(chan Decision)
	for range 8 {
		go func() {
			var d Decision
			for range 200 {
				d = Decide(&Facts{Identity: identity, Resource: key}, r)
			}
			done <- d
		}()
	}
	for range 8 {
		if d := <-done; !d.Allowed {
			t.Errorf("Decide() = %+v from a goroutine, want allowed", d)
		}
	}
}
