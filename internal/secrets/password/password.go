// Package password generates random passwords the way Secrets Manager's
// GetRandomPassword does: from lower- and uppercase letters, digits and
// punctuation, less what the caller excludes, with crypto/rand. The
// service's GetRandomPassword and the built-in rotators use it.
package password

import (
	"crypto/rand"
	"math/big"
	"strings"

	"github.com/sealbox/sealbox"
)

// The character classes of GetRandomPassword, as its documentation lists
// them.
const (
	lowercase   = "abcdefghijklmnopqrstuvwxyz"
	uppercase   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

	// DefaultLength is GetRandomPassword's length when the caller names
	// none.
	DefaultLength = 32
)

// Options are GetRandomPassword's parameters.
type Options struct {
	Length                                                 int // from 1 to 4096
	ExcludeCharacters                                      string
	ExcludeNumbers                                         bool
	ExcludePunctuation, ExcludeUppercase, ExcludeLowercase bool
	IncludeSpace                                           bool
	// RequireEachIncludedType asks for at least one character of each
	// class included (the space is not required).
	RequireEachIncludedType bool
}

func errInvalidParameter(msg string) error {
	return sealbox.Errorf("InvalidParameterException", "%s", msg)
}

// randIndex returns a uniform random integer in [0, n) from crypto/rand.
func randIndex(n int) int {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("password: crypto/rand failed: " + err.Error()) // the kernel's CSPRNG does not fail
	}
	return int(i.Int64())
}

// Generate returns a password of o.Length characters from lower- and
// uppercase letters, digits and punctuation, less the classes excluded and
// o.ExcludeCharacters, plus the space with o.IncludeSpace. Invalid options
// are an InvalidParameterException, worded as GetRandomPassword words it.
func Generate(o Options) (string, error) {
	length := o.Length
	if length < 1 || length > 4096 {
		return "", errInvalidParameter("PasswordLength must be between 1 and 4096.")
	}
	keep := func(set string, excluded bool) string {
		if excluded {
			return ""
		}
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(o.ExcludeCharacters, r) {
				return -1
			}
			return r
		}, set)
	}
	var classes []string // the classes required, when RequireEachIncludedType
	all := ""
	for _, c := range []string{keep(lowercase, o.ExcludeLowercase), keep(uppercase, o.ExcludeUppercase),
		keep(digits, o.ExcludeNumbers), keep(punctuation, o.ExcludePunctuation)} {
		if c != "" {
			classes = append(classes, c)
			all += c
		}
	}
	all += keep(" ", !o.IncludeSpace)
	if all == "" {
		return "", errInvalidParameter("The password can't be generated: every character type is excluded.")
	}
	if !o.RequireEachIncludedType {
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
