package awsapi

import (
	"context"
	"fmt"
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

// TestUnsignedNeedsModelSaying: Register refuses to serve unsigned an
// operation whose model does not say AWS takes it without a signature.
func TestUnsignedNeedsModelSaying(t *testing.T) {
	type in struct{}
	type out struct{}
	fn := func(context.Context, *in) (*out, error) { return &out{}, nil }
	register := func(op Operation) (msg string) {
		defer func() {
			if p := recover(); p != nil {
				msg = fmt.Sprint(p)
			}
		}()
		NewRouter(Config{}).Register(&Service{Name: "sts", Operations: []Operation{op}})
		return ""
	}
	if msg := register(Read("AssumeRole", fn).WithoutSignature()); !strings.Contains(msg, "authtype") {
		t.Errorf("Register(sts AssumeRole unsigned) panic = %q, want one about authtype", msg)
	}
	if msg := register(Read("AssumeRoleWithWebIdentity", fn).WithoutSignature()); msg != "" {
		t.Errorf("Register(sts AssumeRoleWithWebIdentity unsigned) panic = %q, want none", msg)
	}
}
