package server

import (
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/kms"
)

// kmsService is the KMS operation table: each served operation, whether it
// changes state (CloudTrail's readOnly), and the method that serves it;
// kms.Tracked notes a cryptographic operation's keys for GetKeyLastUsage.
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
