package secrets_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// filterCase is one ListSecrets call and the names it must answer, in
// creation order.
type filterCase struct {
	name    string
	filters []types.Filter
	want    []string
}

func one(key types.FilterNameStringType, values ...string) []types.Filter {
	return []types.Filter{{Key: key, Values: values}}
}

// runFilters creates secrets (name, description, tags), a second apart, and
// runs the cases.
func runFilters(t *testing.T, secrets []*secretsmanager.CreateSecretInput, cases []filterCase) {
	t.Helper()
	s := sealtest.Start(t)
	c := s.SecretsManager()
	for _, in := range secrets {
		in.SecretString = aws.String("s")
		must[*secretsmanager.CreateSecretOutput](t, "CreateSecret "+*in.Name)(c.CreateSecret(ctx, in))
		s.Clock.Advance(time.Second)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := must[*secretsmanager.ListSecretsOutput](t, "ListSecrets")(c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: tc.filters}))
			if got := names(out.SecretList); !equal(got, tc.want) {
				t.Fatalf("ListSecrets(%s) = %v, want %v", show(tc.filters), got, tc.want)
			}
		})
	}
}

func show(fs []types.Filter) string {
	out := ""
	for _, f := range fs {
		out += string(f.Key) + "=" + `"` + joinQuoted(f.Values) + `" `
	}
	return out
}

func joinQuoted(v []string) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += `","`
		}
		s += x
	}
	return s
}

func secret(name, description string, tags ...string) *secretsmanager.CreateSecretInput {
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name)}
	if description != "" {
		in.Description = aws.String(description)
	}
	for i := 0; i+1 < len(tags); i += 2 {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
	}
	return in
}

// The cases of moto's AWS-verified tests of ListSecrets' filters
// (tests/test_secretsmanager/test_list_secrets.py), ported: what AWS
// answers, with a fixed suffix for their random one. The "all" key breaks
// the value into words (at spaces, at /_+=.@- and where the case changes:
// "SecretFTag" is secret, f, tag; "COMPANYthings" is compan, ythings) and
// each must start a word of the name, the description or a tag's key or
// value, in any case; a name with two different separators gives no words.

func TestListSecretsAllFilterAsAWS(t *testing.T) { // test_with_all_filter
	const u = "x7k2p9"
	first, second, third := "SecretOne"+u, "SecretTwo"+u, "Thirdsecret"+u
	tagKey, tagValue, none := "SecretFTag"+u, "SecretFValue"+u, "none"+u
	all := types.FilterNameStringTypeAll
	runFilters(t, []*secretsmanager.CreateSecretInput{
		secret(first, ""), secret(second, "DescTwo"), secret(third, ""),
		secret(tagKey, "", "1", "foo"), secret(tagValue, "", "foo", "v"), secret(none, ""),
	}, []filterCase{
		{"full match", one(all, "SecretOne"), []string{first}},
		{"in tags", one(all, "foo"), []string{tagKey, tagValue}},
		{"starts with a full word", one(all, "Secret"), []string{first, second, tagKey, tagValue}},
		{"lower case", one(all, "secret"), []string{first, second, tagKey, tagValue}},
		{"inside a word", one(all, "ret"), nil},
		{"start of a word", one(all, "sec"), []string{first, second, tagKey, tagValue}},
		{"unknown", one(all, "SomeSecret"), nil},
		{"a description's word", one(all, "d"), []string{second}},
		{"two words, both", one(all, "d t"), []string{second}},
		{"parts that start with t", one(all, "t"), []string{second, third, tagKey}},
	})
}

func TestListSecretsAllFilterSpecialCharactersAsAWS(t *testing.T) { // test_with_all_filter_special_characters
	const u = "x7k2p9"
	special := []string{"prod/AppBeta/" + u, "prod_AppBeta_" + u, "prod+AppBeta+" + u, "prod=AppBeta=" + u,
		"prod.AppBeta." + u, "prod@AppBeta@" + u, "prod-AppBeta-" + u}
	dashSlash, full, partial := "prod-AppBeta/"+u, "uat/COMPANY/"+u, "uat/COMPANYthings/"+u
	var secrets []*secretsmanager.CreateSecretInput
	for _, n := range append(append([]string{}, special...), dashSlash, full, partial) {
		secrets = append(secrets, secret(n, ""))
	}
	all := types.FilterNameStringTypeAll
	runFilters(t, secrets, []filterCase{
		{"a camel-case word pair", one(all, "AppBeta"), special},
		{"its second word", one(all, "Beta"), special},
		{"two values", one(all, "AppBeta", "prod"), special},
		{"a separator alone", one(all, "+"), nil},
		{"the suffix", one(all, u), append(append([]string{}, special...), full, partial)},
		{"an upper-case word", one(all, "company"), []string{full}},
		{"not a word", one(all, "things"), nil},
		{"split before the last capital", one(all, "Ythings"), []string{partial}},
		// The name filter matches the whole name, separators and all.
		{"by name", one(types.FilterNameStringTypeName, "prod-AppBeta/"), []string{dashSlash}},
	})
}

func TestListSecretsDuplicateFilterKeysAsAWS(t *testing.T) { // test_with_duplicate_filter_keys
	desc := types.FilterNameStringTypeDescription
	runFilters(t, []*secretsmanager.CreateSecretInput{
		secret("foo", "one two"), secret("bar", "one"), secret("baz", "two"), secret("qux", "unrelated"),
	}, []filterCase{
		{"two filters of one key: both", append(one(desc, "one"), one(desc, "two")...), []string{"foo"}},
	})
}

func TestListSecretsDescriptionWordsAsAWS(t *testing.T) { // test_with_filter_with_value_with_multiple_words
	desc := types.FilterNameStringTypeDescription
	runFilters(t, []*secretsmanager.CreateSecretInput{
		secret("foo", "one two"), secret("bar", "one and two"), secret("baz", "one"), secret("qux", "two"), secret("none", "unrelated"),
	}, []filterCase{
		{"both words", one(desc, "one two"), []string{"foo", "bar"}},
		{"word starts", one(desc, "o t"), []string{"foo", "bar"}},
		{"one word start", one(desc, "t"), []string{"foo", "bar", "qux"}},
		{"any case", one(desc, "ONE TWO"), []string{"foo", "bar"}},
		// "!" negates: no word starts with o.
		{"negated", one(desc, "!o"), []string{"qux", "none"}},
		{"a value or a negation", one(desc, "one", "!two"), []string{"foo", "bar", "baz", "none"}},
	})
}
