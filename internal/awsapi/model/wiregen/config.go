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
	{
		Dir: "internal/parameters", Name: "parameters",
		Services: []service{{"ssm", ops(`AddTagsToResource DeleteParameter DeleteParameters DescribeParameters
			GetParameter GetParameterHistory GetParameters GetParametersByPath LabelParameterVersion
			ListTagsForResource PutParameter RemoveTagsFromResource UnlabelParameterVersion`)}},
		Emit: map[string]string{
			"DeleteParametersResult":        "DeletedParameters InvalidParameters",
			"DescribeParametersResult":      "Parameters",
			"GetParameterHistoryResult":     "Parameters",
			"GetParameterResult":            "Parameter",
			"GetParametersByPathResult":     "Parameters",
			"GetParametersResult":           "InvalidParameters Parameters",
			"LabelParameterVersionResult":   "InvalidLabels ParameterVersion",
			"ListTagsForResourceResult":     "TagList",
			"Parameter":                     "ARN Name Type Version",
			"ParameterHistory":              "DataType Labels Name Policies Tier Type Value Version",
			"ParameterInlinePolicy":         "PolicyStatus PolicyText PolicyType",
			"ParameterMetadata":             "ARN DataType Name Policies Tier Type Version",
			"PutParameterResult":            "Tier Version",
			"Tag":                           "Key Value",
			"UnlabelParameterVersionResult": "InvalidLabels RemovedLabels",
		},
		// An absent member and an empty one mean different things here.
		Types: map[string]string{
			"LabelParameterVersionRequest.ParameterVersion": "*int64",
			"PutParameterRequest.AllowedPattern":            "*string",
			"PutParameterRequest.Description":               "*string",
			"PutParameterRequest.Policies":                  "*string",
			"PutParameterRequest.Value":                     "*string",
		},
	},
}
