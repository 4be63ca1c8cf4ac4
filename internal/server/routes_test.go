package server

import (
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/authz"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/changes/hub"
	"github.com/sealbox/sealbox/internal/cloudtrail"
	"github.com/sealbox/sealbox/internal/functions"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/operator"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/secrets"
	"github.com/sealbox/sealbox/internal/server/optable"
)

// TestReadOnlyAsCloudTrail keeps each operation's readOnly flag as
// CloudTrail records it: the reads of IAM (Get*, List*, Simulate*), of SSM
// (Get*, Describe*, List*), of KMS (Describe*, Get*, List*, and the
// cryptographic operations) and of Secrets Manager (Get*, List*,
// Describe*, BatchGet*, ValidateResourcePolicy, GetRandomPassword), and
// every STS operation served (AssumeRole events are readOnly: true).
func TestReadOnlyAsCloudTrail(t *testing.T) {
	kmsReads := map[string]bool{"Encrypt": true, "Decrypt": true, "ReEncrypt": true, "GenerateDataKey": true,
		"GenerateDataKeyWithoutPlaintext": true, "GenerateRandom": true, "Sign": true, "Verify": true, "GenerateMac": true,
		"VerifyMac": true, "DeriveSharedSecret": true, "GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true}
	secretsReads := map[string]bool{"BatchGetSecretValue": true, "ValidateResourcePolicy": true}
	for _, svc := range []*awsapi.Service{
		optable.KMS(&kms.Service{}),
		optable.IAM(&iamapi.Service{}, &authz.Simulator{}),
		optable.STS(&stsapi.Service{}),
		optable.SSM(&parameters.Service{}),
		optable.Secrets(&secrets.Service{}),
	} {
		for _, op := range svc.Operations {
			want := svc.Name == "sts" || kmsReads[op.Name] || svc.Name == "secretsmanager" && secretsReads[op.Name]
			for _, prefix := range []string{"Get", "List", "Describe", "Simulate"} {
				want = want || strings.HasPrefix(op.Name, prefix)
			}
			if op.ReadOnly != want {
				t.Errorf("%s %s ReadOnly = %v, want %v", svc.Name, op.Name, op.ReadOnly, want)
			}
		}
	}
}

// everyService is every operation table the server registers, over
// zero services (the tables only name the methods).
func everyService() []*awsapi.Service {
	return []*awsapi.Service{
		optable.KMS(&kms.Service{}),
		optable.IAM(&iamapi.Service{}, &authz.Simulator{}),
		optable.STS(&stsapi.Service{}),
		optable.SSM(&parameters.Service{}),
		optable.Secrets(&secrets.Service{}),
		optable.Lambda(&functions.Service{}),
		changesService(&hub.Service{}, &operator.Service{}, &operatorAPI{}),
		optable.CloudTrail(&cloudtrail.Service{}),
	}
}

// TestOperationsMatchModels holds the Go types of every operation the
// server registers to its service's model (awsapi.CheckTypes): the
// generated wire types and the hand-written ones of CloudTrail and
// sealbox's own service alike. Register no longer checks them at start.
func TestOperationsMatchModels(t *testing.T) {
	for _, svc := range everyService() {
		if problems := awsapi.CheckTypes(svc); len(problems) > 0 {
			t.Errorf("awsapi.CheckTypes(%s) = %q, want none", svc.Name, problems)
		}
	}
}

// TestOnlyWebIdentityIsUnsigned: of every operation the server registers,
// STS's AssumeRoleWithWebIdentity alone is served without a signature (its
// token is the credential, as AWS's model says: authtype "none").
func TestOnlyWebIdentityIsUnsigned(t *testing.T) {
	for _, svc := range everyService() {
		for _, op := range svc.Operations {
			want := svc.Name == "sts" && op.Name == "AssumeRoleWithWebIdentity"
			if op.Unsigned != want {
				t.Errorf("%s %s Unsigned = %v, want %v", svc.Name, op.Name, op.Unsigned, want)
			}
		}
	}
}
