package secrets

import (
	"context"

	"github.com/sealbox/sealbox/internal/secrets/password"
)

// randomSuffix is the 6 random characters AWS appends to a secret's name in
// its ARN: letters and digits, as a password without punctuation.
func randomSuffix() string {
	s, err := password.Generate(password.Options{Length: 6, ExcludePunctuation: true})
	if err != nil {
		panic(err) // the options are valid
	}
	return s
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
	length := password.DefaultLength
	if in.PasswordLength != nil {
		length = int(*in.PasswordLength)
	}
	pw, err := password.Generate(password.Options{Length: length, ExcludeCharacters: in.ExcludeCharacters,
		ExcludeNumbers: in.ExcludeNumbers, ExcludePunctuation: in.ExcludePunctuation, ExcludeUppercase: in.ExcludeUppercase,
		ExcludeLowercase: in.ExcludeLowercase, IncludeSpace: in.IncludeSpace,
		RequireEachIncludedType: in.RequireEachIncludedType == nil || *in.RequireEachIncludedType})
	if err != nil {
		return nil, err
	}
	return &GetRandomPasswordResponse{RandomPassword: pw}, nil
}
