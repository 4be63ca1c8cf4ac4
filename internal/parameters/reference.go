package parameters

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/secrets"
)

// Secrets is what Parameter Store needs of Secrets Manager to answer
// GetParameter and GetParameters on /aws/reference/secretsmanager/<secret-id>:
// one GetSecretValue, made as the caller with ViaService
// ssm.<region>.amazonaws.com.
type Secrets interface {
	GetSecretValue(ctx context.Context, in *secrets.GetSecretValueRequest) (*secrets.GetSecretValueResponse, error)
}

// referencePrefix names a Secrets Manager secret through Parameter Store.
const referencePrefix = "/aws/reference/secretsmanager/"

// isReference reports whether name is a reference to a secret.
func isReference(name string) bool { return strings.HasPrefix(name, referencePrefix) }

// errReferenceSyntax is AWS's answer to a reference with more than one
// selector, or an empty one; note its two spaces before "<name>".
func errReferenceSyntax() error {
	return errValidation("Invalid parameter name. Please use correct syntax for referencing a version/label  <name>:<version/label>")
}

// reference answers a reference to a secret as Parameter Store does: the
// secret's value (AWSCURRENT, or the version id or staging label after a
// ':') as a SecureString of version 0 whose ARN is the secret's, with
// SourceResult, the GetSecretValue answer. WithDecryption must be true.
// The caller needs action (ssm:GetParameter or ssm:GetParameters) on the
// reference and secretsmanager:GetSecretValue on the secret, which is read
// as the caller, on whose behalf Parameter Store calls Secrets Manager.
func (s *Service) reference(ctx context.Context, action, name string, decrypt bool) (*Parameter, error) {
	r := sealbox.MustRequest(ctx)
	id, sel, hasSel := strings.Cut(strings.TrimPrefix(name, referencePrefix), ":")
	if id == "" || hasSel && (sel == "" || strings.Contains(sel, ":")) {
		return nil, errReferenceSyntax()
	}
	if !decrypt {
		return nil, errValidation("WithDecryption flag must be True for retrieving a Secret Manager secret.")
	}
	arn := requestARN(r, strings.TrimSuffix(referencePrefix, "/")+"/"+id)
	if err := s.authorize(ctx, action, arn, nil, nil); err != nil {
		return nil, err
	}
	if s.secrets == nil {
		return nil, errValidation("Invalid Request to Secrets Manager")
	}
	in := &secrets.GetSecretValueRequest{SecretId: id}
	if hasSel {
		if versionIDLike(sel) {
			in.VersionId = sel
		} else {
			in.VersionStage = sel
		}
	}
	via := r.Via("ssm")
	out, err := s.secrets.GetSecretValue(sealbox.NewContext(ctx, via), in)
	for _, res := range via.Resources {
		r.AddResource(res.Type, res.ARN)
	}
	if err != nil {
		e, ok := sealbox.AsError(err)
		switch {
		case !ok || e.Server || e.Code == "AccessDeniedException":
			return nil, err
		case e.Code == "ResourceNotFoundException":
			shown := "null"
			if hasSel {
				shown = ":" + sel
			}
			return nil, sealbox.Errorf("ParameterNotFound", "An error occurred (ParameterNotFound) when referencing Secrets Manager: Secret %s%s not found.", strings.TrimPrefix(referencePrefix, "/")+id, shown)
		default:
			return nil, errValidation("Invalid Request to Secrets Manager")
		}
	}
	src, _ := json.Marshal(struct {
		ARN           string   `json:"ARN"`
		Name          string   `json:"name"`
		VersionID     string   `json:"versionId"`
		SecretString  *string  `json:"secretString,omitempty"`
		SecretBinary  []byte   `json:"secretBinary,omitempty"`
		VersionStages []string `json:"versionStages"`
		CreatedDate   string   `json:"createdDate"`
	}{out.ARN, out.Name, out.VersionId, out.SecretString, out.SecretBinary, out.VersionStages, out.CreatedDate.UTC().Format(time.RFC3339)})
	p := &Parameter{Name: referencePrefix + id, Type: typeSecureString, ARN: out.ARN, LastModifiedDate: out.CreatedDate, SourceResult: string(src)}
	if out.SecretString != nil {
		p.Value = *out.SecretString
	}
	if hasSel {
		p.Selector = ":" + sel
	}
	return p, nil
}

// versionIDLike reports whether a selector names a version id (32 to 64
// characters of letters, digits and hyphens) rather than a staging label.
func versionIDLike(s string) bool {
	if len(s) < 32 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}
