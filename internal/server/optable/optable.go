// Package optable holds the operation tables of the services sealbox
// serves over AWS JSON 1.1, AWS Query and REST-JSON (KMS, Parameter Store,
// Secrets Manager, Lambda, IAM, STS, CloudTrail): each operation's name,
// whether it changes state, and the method that serves it.
// internal/server registers them; they live apart from it so that their
// fuzzers (fuzz_test.go) build a small fuzzing binary: go test -fuzz
// instruments every package the test binary links, and the coverage it
// ships for each input grows with it.
package optable

import (
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/functions"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/secrets"
)

// KMS is the KMS operation table: each served operation, whether it
// changes state (CloudTrail's readOnly), and the method that serves it;
// kms.Tracked notes a cryptographic operation's keys for GetKeyLastUsage.
func KMS(k *kms.Service) *awsapi.Service {
	return &awsapi.Service{
		Name:          "kms",
		EventSource:   "kms.amazonaws.com",
		InternalError: "KMSInternalException",
		Operations: []awsapi.Operation{
			awsapi.Write("CreateKey", k.CreateKey),
			awsapi.Read("DescribeKey", k.DescribeKey),
			awsapi.Read("ListKeys", k.ListKeys),
			awsapi.Write("UpdateKeyDescription", k.UpdateKeyDescription),
			awsapi.Write("EnableKey", k.EnableKey),
			awsapi.Write("DisableKey", k.DisableKey),
			awsapi.Write("ScheduleKeyDeletion", k.ScheduleKeyDeletion),
			awsapi.Write("CancelKeyDeletion", k.CancelKeyDeletion),
			awsapi.Write("TagResource", k.TagResource),
			awsapi.Write("UntagResource", k.UntagResource),
			awsapi.Read("ListResourceTags", k.ListResourceTags),
			awsapi.Read("GetKeyPolicy", k.GetKeyPolicy),
			awsapi.Write("PutKeyPolicy", k.PutKeyPolicy),
			awsapi.Read("ListKeyPolicies", k.ListKeyPolicies),
			awsapi.Write("CreateAlias", k.CreateAlias),
			awsapi.Write("UpdateAlias", k.UpdateAlias),
			awsapi.Write("DeleteAlias", k.DeleteAlias),
			awsapi.Read("ListAliases", k.ListAliases),
			awsapi.Read("Encrypt", kms.Tracked(k, "Encrypt", k.Encrypt)),
			awsapi.Read("Decrypt", kms.Tracked(k, "Decrypt", k.Decrypt)),
			awsapi.Read("ReEncrypt", kms.Tracked(k, "ReEncrypt", k.ReEncrypt)),
			awsapi.Read("GenerateDataKey", kms.Tracked(k, "GenerateDataKey", k.GenerateDataKey)),
			awsapi.Read("GenerateDataKeyWithoutPlaintext", kms.Tracked(k, "GenerateDataKeyWithoutPlaintext", k.GenerateDataKeyWithoutPlaintext)),
			awsapi.Read("GenerateRandom", k.GenerateRandom),
			awsapi.Write("EnableKeyRotation", k.EnableKeyRotation),
			awsapi.Write("DisableKeyRotation", k.DisableKeyRotation),
			awsapi.Read("GetKeyRotationStatus", k.GetKeyRotationStatus),
			awsapi.Write("RotateKeyOnDemand", k.RotateKeyOnDemand),
			awsapi.Read("GetParametersForImport", k.GetParametersForImport),
			awsapi.Write("ImportKeyMaterial", k.ImportKeyMaterial),
			awsapi.Write("DeleteImportedKeyMaterial", k.DeleteImportedKeyMaterial),
			awsapi.Read("ListKeyRotations", k.ListKeyRotations),
			awsapi.Write("CreateGrant", k.CreateGrant),
			awsapi.Read("ListGrants", k.ListGrants),
			awsapi.Read("ListRetirableGrants", k.ListRetirableGrants),
			awsapi.Write("RetireGrant", k.RetireGrant),
			awsapi.Write("RevokeGrant", k.RevokeGrant),
			awsapi.Read("GetPublicKey", k.GetPublicKey),
			awsapi.Read("Sign", kms.Tracked(k, "Sign", k.Sign)),
			awsapi.Read("Verify", kms.Tracked(k, "Verify", k.Verify)),
			awsapi.Read("GenerateMac", kms.Tracked(k, "GenerateMac", k.GenerateMac)),
			awsapi.Read("VerifyMac", kms.Tracked(k, "VerifyMac", k.VerifyMac)),
			awsapi.Read("DeriveSharedSecret", kms.Tracked(k, "DeriveSharedSecret", k.DeriveSharedSecret)),
			awsapi.Read("GenerateDataKeyPair", kms.Tracked(k, "GenerateDataKeyPair", k.GenerateDataKeyPair)),
			awsapi.Read("GenerateDataKeyPairWithoutPlaintext", kms.Tracked(k, "GenerateDataKeyPairWithoutPlaintext", k.GenerateDataKeyPairWithoutPlaintext)),
			awsapi.Write("ReplicateKey", k.ReplicateKey),
			awsapi.Write("UpdatePrimaryRegion", k.UpdatePrimaryRegion),
			awsapi.Read("GetKeyLastUsage", k.GetKeyLastUsage),
		},
	}
}

// SSM is the Parameter Store operation table (AWS JSON 1.1,
// X-Amz-Target AmazonSSM.<Op>): each served operation, whether it changes
// state (CloudTrail's readOnly), and the method that serves it.
func SSM(p *parameters.Service) *awsapi.Service {
	return &awsapi.Service{
		Name:          "ssm",
		EventSource:   "ssm.amazonaws.com",
		InternalError: "InternalServerError",
		Operations: []awsapi.Operation{
			awsapi.Write("PutParameter", p.PutParameter),
			awsapi.Read("GetParameter", p.GetParameter),
			awsapi.Read("GetParameters", p.GetParameters),
			awsapi.Read("GetParametersByPath", p.GetParametersByPath),
			awsapi.Read("DescribeParameters", p.DescribeParameters),
			awsapi.Read("GetParameterHistory", p.GetParameterHistory),
			awsapi.Write("LabelParameterVersion", p.LabelParameterVersion),
			awsapi.Write("UnlabelParameterVersion", p.UnlabelParameterVersion),
			awsapi.Write("DeleteParameter", p.DeleteParameter),
			awsapi.Write("DeleteParameters", p.DeleteParameters),
			awsapi.Write("AddTagsToResource", p.AddTagsToResource),
			awsapi.Write("RemoveTagsFromResource", p.RemoveTagsFromResource),
			awsapi.Read("ListTagsForResource", p.ListTagsForResource),
		},
	}
}

// Secrets is the Secrets Manager operation table (AWS JSON 1.1,
// X-Amz-Target secretsmanager.<Op>): each served operation, whether it
// changes state (CloudTrail's readOnly: Get*, List*, Describe*, BatchGet*,
// ValidateResourcePolicy and GetRandomPassword are reads), and the method
// that serves it.
func Secrets(s *secrets.Service) *awsapi.Service {
	return &awsapi.Service{
		Name:          "secretsmanager",
		EventSource:   "secretsmanager.amazonaws.com",
		InternalError: "InternalServiceError",
		Operations: []awsapi.Operation{
			awsapi.Write("CreateSecret", s.CreateSecret),
			awsapi.Read("DescribeSecret", s.DescribeSecret),
			awsapi.Read("GetSecretValue", s.GetSecretValue),
			awsapi.Read("BatchGetSecretValue", s.BatchGetSecretValue),
			awsapi.Write("PutSecretValue", s.PutSecretValue),
			awsapi.Write("UpdateSecret", s.UpdateSecret),
			awsapi.Write("UpdateSecretVersionStage", s.UpdateSecretVersionStage),
			awsapi.Read("ListSecrets", s.ListSecrets),
			awsapi.Read("ListSecretVersionIds", s.ListSecretVersionIds),
			awsapi.Write("DeleteSecret", s.DeleteSecret),
			awsapi.Write("RestoreSecret", s.RestoreSecret),
			awsapi.Write("TagResource", s.TagResource),
			awsapi.Write("UntagResource", s.UntagResource),
			awsapi.Read("GetResourcePolicy", s.GetResourcePolicy),
			awsapi.Write("PutResourcePolicy", s.PutResourcePolicy),
			awsapi.Write("DeleteResourcePolicy", s.DeleteResourcePolicy),
			awsapi.Read("ValidateResourcePolicy", s.ValidateResourcePolicy),
			awsapi.Read("GetRandomPassword", s.GetRandomPassword),
			awsapi.Write("RotateSecret", s.RotateSecret),
			awsapi.Write("CancelRotateSecret", s.CancelRotateSecret),
			awsapi.Write("ReplicateSecretToRegions", s.ReplicateSecretToRegions),
			awsapi.Write("RemoveRegionsFromReplication", s.RemoveRegionsFromReplication),
			awsapi.Write("StopReplicationToReplica", s.StopReplicationToReplica),
		},
	}
}

// Lambda is the Lambda operation table (AWS REST-JSON under
// /2015-03-31/ and /2017-03-31/tags/): each served operation, whether it
// changes state (CloudTrail's readOnly: Get*, List* and sealbox's
// GetFunctionEnvironment are reads), and the method that serves it.
// Invoke runs the function's code (internal/lambdarun).
func Lambda(fn *functions.Service) *awsapi.Service {
	return &awsapi.Service{
		Name:          "lambda",
		EventSource:   "lambda.amazonaws.com",
		InternalError: "ServiceException",
		// CreateFunction and UpdateFunctionCode take a ZIP of up to 50 MB
		// in the body, base64: Lambda's limit, "Request must be smaller
		// than 69905067 bytes".
		MaxBody:  69905066,
		TooLarge: "RequestTooLargeException",
		Operations: []awsapi.Operation{
			awsapi.Write("CreateFunction", fn.CreateFunction),
			awsapi.Read("GetFunction", fn.GetFunction),
			awsapi.Read("GetFunctionConfiguration", fn.GetFunctionConfiguration),
			awsapi.Write("UpdateFunctionConfiguration", fn.UpdateFunctionConfiguration),
			awsapi.Write("UpdateFunctionCode", fn.UpdateFunctionCode),
			awsapi.Read("ListFunctions", fn.ListFunctions),
			awsapi.Write("DeleteFunction", fn.DeleteFunction),
			awsapi.Write("PublishVersion", fn.PublishVersion),
			awsapi.Read("ListVersionsByFunction", fn.ListVersionsByFunction),
			awsapi.Write("CreateAlias", fn.CreateAlias),
			awsapi.Read("GetAlias", fn.GetAlias),
			awsapi.Write("UpdateAlias", fn.UpdateAlias),
			awsapi.Read("ListAliases", fn.ListAliases),
			awsapi.Write("DeleteAlias", fn.DeleteAlias),
			awsapi.Write("TagResource", fn.TagResource),
			awsapi.Write("UntagResource", fn.UntagResource),
			awsapi.Read("ListTags", fn.ListTags),
			awsapi.Read("GetFunctionEnvironment", fn.GetFunctionEnvironment),
			// Invoke's answer is the function's, and its log (LogResult)
			// whatever the function printed: recorded as CloudTrail
			// records the data event, without them.
			awsapi.Write("Invoke", fn.Invoke).WithoutResponseElements(),
			awsapi.Write("PutFunctionConcurrency", fn.PutFunctionConcurrency),
			awsapi.Read("GetFunctionConcurrency", fn.GetFunctionConcurrency),
			awsapi.Write("DeleteFunctionConcurrency", fn.DeleteFunctionConcurrency),
			awsapi.Write("AddPermission", fn.AddPermission),
			awsapi.Write("RemovePermission", fn.RemovePermission),
			awsapi.Read("GetPolicy", fn.GetPolicy),
			awsapi.Write("PutFunctionEventInvokeConfig", fn.PutFunctionEventInvokeConfig),
			awsapi.Write("UpdateFunctionEventInvokeConfig", fn.UpdateFunctionEventInvokeConfig),
			awsapi.Read("GetFunctionEventInvokeConfig", fn.GetFunctionEventInvokeConfig),
			awsapi.Write("DeleteFunctionEventInvokeConfig", fn.DeleteFunctionEventInvokeConfig),
			awsapi.Read("ListFunctionEventInvokeConfigs", fn.ListFunctionEventInvokeConfigs),
		},
	}
}
