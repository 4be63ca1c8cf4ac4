package secrets

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
)

// The character classes of GetRandomPassword, as its documentation lists
// them.
const (
	lowercase   = "abcdefghijklmnopqrstuvwxyz"
	uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

	defaultPasswordLength = 32
)

// randIndex returns a uniform random integer in [0, n) from crypto/rand.
func randIndex(n int) int {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("secrets: crypto/rand failed: " + err.Error()) // the kernel's CSPRNG does not fail
	}
	return int(i.Int64())
}

// randomSuffix is the 6 random characters AWS appends to a secret's name in
// its ARN.
func randomSuffix() string {
	const alphabet = lowercase + uppercase + digits
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[randIndex(len(alphabet))]
	}
	return string(b)
}

// GetRandomPassword generates a password of PasswordLength characters (32
// by default) from lower- and uppercase letters, digits and punctuation,
// less the classes excluded and ExcludeCharacters, plus the space with
// IncludeSpace. Unless RequireEachIncludedType is false, it holds at least
// one character of each included class (the space is not required).
func (s *Service) GetRandomPassword(ctx context.Context, in *GetRandomPasswordRequest) (*GetRandomPasswordResponse, error) {
	if err := s.authorize(ctx, "GetRandomPassword", "*", nil, nil); err != nil {
		return nil, err
	}
	pw, err := generatePassword(in)
	if err != nil {
		return nil, err
	}
	return &GetRandomPasswordResponse{RandomPassword: pw}, nil
}

// generatePassword is GetRandomPassword without the authorization: the
// built-in rotator uses it too.
func generatePassword(in *GetRandomPasswordRequest) (string, error) {
	length := defaultPasswordLength
	if in.PasswordLength != nil {
		length = int(*in.PasswordLength)
	}
	if length < 1 || length > 4096 {
		return "", errInvalidParameter("PasswordLength must be between 1 and 4096.")
	}
	keep := func(set string, excluded bool) string {
		if excluded {
			return ""
		}
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(in.ExcludeCharacters, r) {
				return -1
			}
			return r
		}, set)
	}
	var classes []string // the classes required, when RequireEachIncludedType
	all := ""
	for _, c := range []string{keep(lowercase, in.ExcludeLowercase), keep(uppercase, in.ExcludeUppercase),
		keep(digits, in.ExcludeNumbers), keep(punctuation, in.ExcludePunctuation)} {
		if c != "" {
			classes = append(classes, c)
			all += c
		}
	}
	all += keep(" ", !in.IncludeSpace)
	if all == "" {
		return "", errInvalidParameter("The password can't be generated: every character type is excluded.")
	}
	require := in.RequireEachIncludedType == nil || *in.RequireEachIncludedType
	if !require {
		classes = nil
	}
	if length < len(classes) {
		return "", errInvalidParameter("Password length is too short based on the required types.")
	}
	pw := make([]byte, length)
	for i := range pw {
		pw[i] = all[randIndex(len(all))]
	}
	// One character of each required class, at distinct random positions.
	positions := make([]int, length)
	for i := range positions {
		positions[i] = i
	}
	for i, c := range classes {
		j := i + randIndex(length-i)
		positions[i], positions[j] = positions[j], positions[i]
		pw[positions[i]] = c[randIndex(len(c))]
	}
	return string(pw), nil
}
