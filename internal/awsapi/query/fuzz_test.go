package query_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/query"
)

// FuzzDecode feeds arbitrary form strings to Decode for several inputs: it
// must not panic, a failure must be the malformed-value error or the
// malformed-list-key one, and a success
// must be a value the shared path (JSON, Validate, Redact) takes as it is.
func FuzzDecode(f *testing.F) {
	for _, seed := range []struct{ op, form string }{
		{"SimulatePrincipalPolicy", "ContextEntries.member.1.ContextKeyName=a&ContextEntries.member.1.ContextKeyValues.member.1=b&MaxItems=1"},
		{"CreateRole", "RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.2.Key=&MaxSessionDuration=3600"},
		{"ListUsers", "Marker=x&MaxItems=abc"},
		{"UpdateAccountPasswordPolicy", "RequireSymbols=true&HardExpiry=FALSE&MinimumPasswordLength=99999999999"},
		{"UntagRole", "TagKeys=&TagKeys.member.3=x&TagKeys.member.1=y"},
		{"Everything", "Attrs.entry.1.key=a&Attrs.entry.1.value=b&NamedMap.entry.2.Name=n&NamedMap.entry.2.Val.Child.Child.Id=x&When=2026-11-23T10:00:00Z&Data=AAE%3D"},
		{"Everything", "Matrix.member.1.member.1=a&Matrix.member.2=&Flat.1=x&Entry.2=y&FlatAttrs.1.key=k&Ratio=1e308&Big=-9223372036854775808"},
		{"Everything", "Items.1.Tags.1=a&Names.2=b&Str=%FF&Count=1&When=1795428000.5"},
		{"AssumeRole", "PolicyArns.member.1.arn=a&DurationSeconds=900&Tags.member.1.Key=k"},
	} {
		f.Add(seed.op, seed.form)
	}
	iam, sts, test := model.Load("iam"), model.Load("sts"), testModel(f)
	ec2 := ec2Model(f)
	f.Fuzz(func(t *testing.T, op, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		targets := []struct {
			m  *model.Service
			op string
		}{{test, "Everything"}, {ec2, "Everything"}, {sts, "AssumeRole"}, {iam, "SimulatePrincipalPolicy"}}
		if iam.Operations[op] != nil {
			targets = append(targets, struct {
				m  *model.Service
				op string
			}{iam, op})
		}
		for _, tg := range targets {
			in := tg.m.InputShape(tg.op)
			v, err := query.Decode(form, tg.m, in)
			if err != nil {
				if e, ok := sealbox.AsError(err); !ok || (e.Code != query.MalformedCode && e.Code != query.ValidationCode) {
					t.Fatalf("%s: error %v", tg.op, err)
				}
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: %v does not marshal: %v", tg.op, v, err)
			}
			back := decodeJSON(t, b)
			if !sameValue(back, v) {
				t.Fatalf("%s: %v changes through JSON: %s", tg.op, v, b)
			}
			tg.m.Validate(in, v)
			tg.m.Redact(in, v)
		}
	})
}
