package secrets_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/sealtest"
)

const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// TestGetRandomPassword checks every option statistically: the classes
// required are present in every password, the excluded ones never.
func TestGetRandomPassword(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	classes := map[string]string{"lower": "abcdefghijklmnopqrstuvwxyz", "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "digit": "0123456789", "punct": punctuation, "space": " "}
	has := func(pw, class string) bool { return strings.ContainsAny(pw, classes[class]) }
	for _, tc := range []struct {
		name     string
		in       secretsmanager.GetRandomPasswordInput
		length   int
		present  []string // in every password
		absent   []string // in none
		excluded string
	}{
		{"defaults", secretsmanager.GetRandomPasswordInput{}, 32, []string{"lower", "upper", "digit", "punct"}, []string{"space"}, ""},
		{"short, every type", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4)}, 4, []string{"lower", "upper", "digit", "punct"}, []string{"space"}, ""},
		{"no punctuation", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(20), ExcludePunctuation: aws.Bool(true)}, 20, []string{"lower", "upper", "digit"}, []string{"punct"}, ""},
		{"digits only", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(12), ExcludePunctuation: aws.Bool(true), ExcludeUppercase: aws.Bool(true), ExcludeLowercase: aws.Bool(true)}, 12, []string{"digit"}, []string{"lower", "upper", "punct"}, ""},
		{"no numbers, space", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(64), ExcludeNumbers: aws.Bool(true), IncludeSpace: aws.Bool(true)}, 64, []string{"lower", "upper", "punct"}, []string{"digit"}, ""},
		{"exclude characters", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(50), ExcludeCharacters: aws.String("abcABC012!\"#")}, 50, []string{"lower", "upper", "digit", "punct"}, nil, "abcABC012!\"#"},
		{"not each type", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(1), RequireEachIncludedType: aws.Bool(false)}, 1, nil, []string{"space"}, ""},
		{"long", secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4096)}, 4096, []string{"lower", "upper", "digit", "punct"}, []string{"space"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			for i := 0; i < 50; i++ {
				pw := *must[*secretsmanager.GetRandomPasswordOutput](t, "GetRandomPassword")(c.GetRandomPassword(ctx, &tc.in)).RandomPassword
				if len(pw) != tc.length {
					t.Fatalf("length %d, want %d", len(pw), tc.length)
				}
				for _, p := range tc.present {
					if !has(pw, p) {
						t.Fatalf("%q has no %s character", pw, p)
					}
				}
				for _, a := range tc.absent {
					if has(pw, a) {
						t.Fatalf("%q has a %s character", pw, a)
					}
				}
				if tc.excluded != "" && strings.ContainsAny(pw, tc.excluded) {
					t.Fatalf("%q has an excluded character of %q", pw, tc.excluded)
				}
				seen[pw] = true
			}
			if tc.length >= 12 && len(seen) != 50 {
				t.Fatalf("50 passwords of %d characters held %d distinct", tc.length, len(seen))
			}
		})
	}
	// Every character of the alphabet turns up: the choice is uniform enough.
	pw := *must[*secretsmanager.GetRandomPasswordOutput](t, "GetRandomPassword 4096")(c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4096)})).RandomPassword
	for _, ch := range classes["lower"] + classes["upper"] + classes["digit"] + punctuation {
		if !strings.ContainsRune(pw, ch) {
			t.Fatalf("4,096 characters held no %q", ch)
		}
	}
	_, err := c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(3)})
	wantMessage(t, "length 3 with four required types", err, "InvalidParameterException", "Password length is too short based on the required types.")
	_, err = c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{ExcludeNumbers: aws.Bool(true), ExcludePunctuation: aws.Bool(true), ExcludeUppercase: aws.Bool(true), ExcludeLowercase: aws.Bool(true)})
	wantAPIError(t, "everything excluded", err, "InvalidParameterException")
	_, err = c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4097)})
	if err == nil {
		t.Fatal("PasswordLength 4097 accepted")
	}
}
