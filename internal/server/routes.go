package server

import (
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/kms"
)

// kmsService is the KMS operation table: each served operation, whether it
// changes state (CloudTrail's readOnly), and the method that serves it.
func kmsService(k *kms.Service) *awsapi.Service {
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
			awsapi.Read("Encrypt", k.Encrypt),
			awsapi.Read("Decrypt", k.Decrypt),
			awsapi.Read("ReEncrypt", k.ReEncrypt),
			awsapi.Read("GenerateDataKey", k.GenerateDataKey),
			awsapi.Read("GenerateDataKeyWithoutPlaintext", k.GenerateDataKeyWithoutPlaintext),
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
			awsapi.Read("Sign", k.Sign),
			awsapi.Read("Verify", k.Verify),
			awsapi.Read("GenerateMac", k.GenerateMac),
			awsapi.Read("VerifyMac", k.VerifyMac),
			awsapi.Read("DeriveSharedSecret", k.DeriveSharedSecret),
			awsapi.Read("GenerateDataKeyPair", k.GenerateDataKeyPair),
			awsapi.Read("GenerateDataKeyPairWithoutPlaintext", k.GenerateDataKeyPairWithoutPlaintext),
		},
	}
}
