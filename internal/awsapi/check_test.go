package awsapi

import (
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
