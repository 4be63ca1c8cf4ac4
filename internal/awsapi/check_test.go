package awsapi

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/awsapi/model"
)

func TestCheckShapeFindsMismatches(t *testing.T) {
	m := model.Load("kms")
	type good struct {
		KeyId               string
		Plaintext           []byte
		EncryptionContext   map[string]string
		GrantTokens         []string
		EncryptionAlgorithm string
		DryRun              bool
	}
	if p := checkShape(m, reflect.TypeFor[good](), m.InputShape("Encrypt"), "Encrypt"); len(p) != 0 {
		t.Fatalf("checkShape(good) = %v, want none", p)
	}
	type typo struct {
		KeyID     string // the model says KeyId
		Plaintext string // the model says blob
	}
	p := checkShape(m, reflect.TypeFor[typo](), m.InputShape("Encrypt"), "Encrypt")
	if len(p) != 2 || !strings.Contains(p[0]+p[1], "KeyID: no such member") || !strings.Contains(p[0]+p[1], "want []byte") {
		t.Fatalf("checkShape(typo) = %v", p)
	}
}

func TestCheckTypesFindsAMismatchedOperation(t *testing.T) {
	type encryptInput struct {
		KeyId     string
		Plaintext []byte
	}
	type encryptOutput struct {
		KeyID string // the model says KeyId
	}
	svc := &Service{Name: "kms", Operations: []Operation{
		Read("Encrypt", func(context.Context, *encryptInput) (*encryptOutput, error) { return nil, nil }),
		Read("NoSuchOperation", func(context.Context, *encryptInput) (*encryptOutput, error) { return nil, nil }),
	}}
	p := CheckTypes(svc)
	if len(p) != 2 || !strings.Contains(p[0], "Encrypt output.KeyID: no such member") || !strings.Contains(p[1], "NoSuchOperation: no such operation") {
		t.Fatalf("CheckTypes = %q, want the output's KeyID and the unknown operation", p)
	}
}
