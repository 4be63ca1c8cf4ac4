package main

// packages are the service packages that get a types_gen.go, each with the
// operations it serves (the ones internal/server registers for it) and the
// wire-fidelity decisions its hand-written types used to make.
var packages = []pkg{
	{
		Dir: "internal/kms", Name: "kms",
		Services: []service{{"kms", ops(`CancelKeyDeletion CreateAlias CreateGrant CreateKey Decrypt DeleteAlias
			DescribeKey DisableKey DisableKeyRotation EnableKey EnableKeyRotation Encrypt GenerateDataKey
			GenerateDataKeyWithoutPlaintext GenerateRandom GetKeyPolicy GetKeyRotationStatus ListAliases ListGrants
			ListKeyPolicies ListKeyRotations ListKeys ListResourceTags ListRetirableGrants PutKeyPolicy ReEncrypt
			RetireGrant RevokeGrant RotateKeyOnDemand ScheduleKeyDeletion TagResource UntagResource UpdateAlias
			UpdateKeyDescription`)}},
		Emit: map[string]string{
			"AliasListEntry":                          "AliasArn AliasName",
			"CancelKeyDeletionResponse":               "KeyId",
			"CreateGrantResponse":                     "GrantId GrantToken",
			"CreateKeyResponse":                       "KeyMetadata",
			"DecryptResponse":                         "EncryptionAlgorithm KeyId Plaintext",
			"DescribeKeyResponse":                     "KeyMetadata",
			"EncryptResponse":                         "CiphertextBlob EncryptionAlgorithm KeyId",
			"GenerateDataKeyResponse":                 "CiphertextBlob KeyId Plaintext",
			"GenerateDataKeyWithoutPlaintextResponse": "CiphertextBlob KeyId",
			"GenerateRandomResponse":                  "Plaintext",
			"GetKeyPolicyResponse":                    "Policy PolicyName",
			"GetKeyRotationStatusResponse":            "KeyId KeyRotationEnabled",
			"GrantListEntry":                          "GrantId GranteePrincipal IssuingAccount KeyId Operations",
			"KeyListEntry":                            "KeyArn KeyId",
			"KeyMetadata": "AWSAccountId Arn CustomerMasterKeySpec Description Enabled EncryptionAlgorithms KeyId KeyManager " +
				"KeySpec KeyState KeyUsage MultiRegion Origin",
			"ListAliasesResponse":         "Aliases Truncated",
			"ListGrantsResponse":          "Grants Truncated",
			"ListKeyPoliciesResponse":     "PolicyNames Truncated",
			"ListKeyRotationsResponse":    "Rotations Truncated",
			"ListKeysResponse":            "Keys Truncated",
			"ListResourceTagsResponse":    "Tags Truncated",
			"ReEncryptResponse":           "CiphertextBlob DestinationEncryptionAlgorithm KeyId SourceEncryptionAlgorithm SourceKeyId",
			"RotateKeyOnDemandResponse":   "KeyId",
			"RotationsListEntry":          "KeyId KeyMaterialId KeyMaterialState",
			"ScheduleKeyDeletionResponse": "KeyId KeyState PendingWindowInDays",
			"Tag":                         "TagKey TagValue",
		},
	},
}
