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
			UpdateKeyDescription
			DeriveSharedSecret GenerateDataKeyPair GenerateDataKeyPairWithoutPlaintext GenerateMac GetPublicKey Sign Verify
			VerifyMac
			DeleteImportedKeyMaterial GetParametersForImport ImportKeyMaterial
			GetKeyLastUsage ReplicateKey UpdatePrimaryRegion`)}},
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
			"KeyMetadata": "AWSAccountId Arn Description Enabled KeyId KeyManager " +
				"KeySpec KeyState KeyUsage MultiRegion Origin",
			"ListAliasesResponse":         "Aliases Truncated",
			"ListGrantsResponse":          "Grants Truncated",
			"ListKeyPoliciesResponse":     "PolicyNames Truncated",
			"ListKeyRotationsResponse":    "Rotations Truncated",
			"ListKeysResponse":            "Keys Truncated",
			"ListResourceTagsResponse":    "Tags Truncated",
			"ReEncryptResponse":           "CiphertextBlob DestinationEncryptionAlgorithm KeyId SourceEncryptionAlgorithm SourceKeyId",
			"RotateKeyOnDemandResponse":   "KeyId",
			"VerifyResponse":              "KeyId SignatureValid SigningAlgorithm",
			"VerifyMacResponse":           "KeyId MacAlgorithm MacValid",
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
	{
		Dir: "internal/secrets", Name: "secrets",
		Services: []service{{"secretsmanager", ops(`BatchGetSecretValue CancelRotateSecret CreateSecret
			DeleteResourcePolicy DeleteSecret DescribeSecret GetRandomPassword GetResourcePolicy GetSecretValue
			ListSecretVersionIds ListSecrets PutResourcePolicy PutSecretValue RemoveRegionsFromReplication
			ReplicateSecretToRegions RestoreSecret RotateSecret StopReplicationToReplica TagResource UntagResource
			UpdateSecret UpdateSecretVersionStage ValidateResourcePolicy`)}},
		Emit: map[string]string{
			"APIErrorType":                         "ErrorCode Message",
			"BatchGetSecretValueResponse":          "Errors SecretValues",
			"CancelRotateSecretResponse":           "ARN Name",
			"CreateSecretResponse":                 "ARN Name",
			"DeleteResourcePolicyResponse":         "ARN Name",
			"DeleteSecretResponse":                 "ARN Name",
			"DescribeSecretResponse":               "ARN Name",
			"GetRandomPasswordResponse":            "RandomPassword",
			"GetResourcePolicyResponse":            "ARN Name",
			"GetSecretValueResponse":               "ARN Name VersionId",
			"ListSecretVersionIdsResponse":         "ARN Name Versions",
			"ListSecretsResponse":                  "SecretList",
			"PutResourcePolicyResponse":            "ARN Name",
			"PutSecretValueResponse":               "ARN Name VersionId VersionStages",
			"RemoveRegionsFromReplicationResponse": "ARN ReplicationStatus",
			"ReplicateSecretToRegionsResponse":     "ARN ReplicationStatus",
			"StopReplicationToReplicaResponse":     "ARN",
			"RestoreSecretResponse":                "ARN Name",
			"RotateSecretResponse":                 "ARN Name",
			"SecretListEntry":                      "ARN Name",
			"SecretValueEntry":                     "ARN Name VersionId",
			"SecretVersionsListEntry":              "VersionId",
			"Tag":                                  "Key Value",
			"UpdateSecretResponse":                 "ARN Name",
			"UpdateSecretVersionStageResponse":     "ARN Name",
			"ValidateResourcePolicyResponse":       "PolicyValidationPassed ValidationErrors",
		},
		Types: map[string]string{
			"CreateSecretRequest.Description":                  "*string",
			"CreateSecretRequest.SecretString":                 "*string",
			"DeleteSecretRequest.ForceDeleteWithoutRecovery":   "*bool",
			"DeleteSecretRequest.RecoveryWindowInDays":         "*int64",
			"DescribeSecretResponse.RotationEnabled":           "*bool",
			"GetRandomPasswordRequest.PasswordLength":          "*int64",
			"GetRandomPasswordRequest.RequireEachIncludedType": "*bool",
			"GetSecretValueResponse.SecretString":              "*string",
			"PutResourcePolicyRequest.BlockPublicPolicy":       "*bool",
			"PutSecretValueRequest.SecretString":               "*string",
			"RotateSecretRequest.RotateImmediately":            "*bool",
			"RotationRulesType.AutomaticallyAfterDays":         "*int64",
			"SecretListEntry.RotationEnabled":                  "*bool",
			"SecretValueEntry.SecretString":                    "*string",
			"UpdateSecretRequest.Description":                  "*string",
			"UpdateSecretRequest.KmsKeyId":                     "*string",
			"UpdateSecretRequest.SecretString":                 "*string",
		},
	},
	{
		Dir: "internal/functions", Name: "functions",
		Services: []service{{"lambda", ops(`CreateAlias CreateFunction DeleteAlias DeleteFunction GetAlias GetFunction
			DeleteFunctionConcurrency GetFunctionConcurrency GetFunctionConfiguration GetFunctionEnvironment Invoke ListAliases ListFunctions ListTags
			ListVersionsByFunction PublishVersion PutFunctionConcurrency TagResource UntagResource UpdateAlias UpdateFunctionCode
			UpdateFunctionConfiguration AddPermission GetPolicy RemovePermission PutFunctionEventInvokeConfig
			UpdateFunctionEventInvokeConfig GetFunctionEventInvokeConfig DeleteFunctionEventInvokeConfig
			ListFunctionEventInvokeConfigs`)}},
		Emit: map[string]string{
			"AliasConfiguration": "AliasArn Description FunctionVersion Name RevisionId",
			"EphemeralStorage":   "Size",
			"FunctionConfiguration": "Architectures CodeSha256 CodeSize Description FunctionArn FunctionName LastModified " +
				"LastUpdateStatus MemorySize PackageType RevisionId Role State Timeout Version",
			"GetFunctionEnvironmentResponse": "FunctionArn FunctionName MemorySize References Role Timeout Variables Version",
			"GetFunctionResponse":            "Configuration",
			"ListAliasesResponse":            "Aliases",
			"ListFunctionsResponse":          "Functions",
			"ListTagsResponse":               "Tags",
			"ListVersionsByFunctionResponse": "Versions",
			"SealboxResolvedReference":       "Source Variable",
		},
		Types: map[string]string{
			// The code is streamed out of the body, not held in memory
			// (awsapi/blobs.go).
			"FunctionCode.ZipFile":              "*spool.Blob",
			"UpdateFunctionCodeRequest.ZipFile": "*spool.Blob",
			"CreateFunctionRequest.MemorySize":  "*int32",
			// A reservation of 0 (no invocation runs) is not none.
			"Concurrency.ReservedConcurrentExecutions":                    "*int32",
			"GetFunctionConcurrencyResponse.ReservedConcurrentExecutions": "*int32",
			"CreateFunctionRequest.Timeout":                               "*int32",
			"PublishVersionRequest.Description":                           "*string",
			"UpdateAliasRequest.Description":                              "*string",
			"UpdateFunctionConfigurationRequest.Description":              "*string",
			"UpdateFunctionConfigurationRequest.KMSKeyArn":                "*string",
			"UpdateFunctionConfigurationRequest.MemorySize":               "*int32",
			"UpdateFunctionConfigurationRequest.Timeout":                  "*int32",
			// Unset is not 0: an update keeps what is not sent.
			"PutFunctionEventInvokeConfigRequest.MaximumRetryAttempts":        "*int32",
			"PutFunctionEventInvokeConfigRequest.MaximumEventAgeInSeconds":    "*int32",
			"UpdateFunctionEventInvokeConfigRequest.MaximumRetryAttempts":     "*int32",
			"UpdateFunctionEventInvokeConfigRequest.MaximumEventAgeInSeconds": "*int32",
			"FunctionEventInvokeConfig.MaximumRetryAttempts":                  "*int32",
			"FunctionEventInvokeConfig.MaximumEventAgeInSeconds":              "*int32",
			"UpdateFunctionEventInvokeConfigRequest.DestinationConfig":        "*DestinationConfig",
			"PutFunctionEventInvokeConfigRequest.DestinationConfig":           "*DestinationConfig",
			"AddPermissionRequest.InvokedViaFunctionUrl":                      "*bool",
		},
	},
	{
		Dir: "internal/identity/iamapi", Name: "iamapi",
		Services: []service{
			{"iam", ops(`AddUserToGroup AttachGroupPolicy AttachRolePolicy AttachUserPolicy CreateAccessKey CreateGroup
				CreatePolicy CreatePolicyVersion CreateRole CreateUser DeleteAccessKey DeleteGroup DeleteGroupPolicy
				DeletePolicy DeletePolicyVersion DeleteRole DeleteRolePermissionsBoundary DeleteRolePolicy DeleteUser
				DeleteUserPermissionsBoundary DeleteUserPolicy DetachGroupPolicy DetachRolePolicy DetachUserPolicy
				GetAccessKeyLastUsed GetGroup GetGroupPolicy GetPolicy GetPolicyVersion GetRole GetRolePolicy GetUser
				GetUserPolicy ListAccessKeys ListAttachedGroupPolicies ListAttachedRolePolicies
				ListAttachedUserPolicies ListEntitiesForPolicy ListGroupPolicies ListGroups ListGroupsForUser
				ListPolicies ListPolicyVersions ListRolePolicies ListRoleTags ListRoles ListUserPolicies ListUserTags
				ListUsers PutGroupPolicy PutRolePermissionsBoundary PutRolePolicy PutUserPermissionsBoundary
				PutUserPolicy RemoveUserFromGroup SetDefaultPolicyVersion SimulateCustomPolicy
				SimulatePrincipalPolicy TagRole TagUser UntagRole UntagUser UpdateAccessKey UpdateAssumeRolePolicy
				UpdateRole UpdateUser CreateOpenIDConnectProvider GetOpenIDConnectProvider ListOpenIDConnectProviders
				DeleteOpenIDConnectProvider AddClientIDToOpenIDConnectProvider RemoveClientIDFromOpenIDConnectProvider
				UpdateOpenIDConnectProviderThumbprint TagOpenIDConnectProvider UntagOpenIDConnectProvider
				ListOpenIDConnectProviderTags`)},
		},
		Emit: map[string]string{
			"AccessKey":                             "AccessKeyId SecretAccessKey Status",
			"AccessKeyLastUsed":                     "Region ServiceName",
			"AccessKeyMetadata":                     "AccessKeyId Status",
			"AttachedPermissionsBoundary":           "PermissionsBoundaryArn PermissionsBoundaryType",
			"AttachedPolicy":                        "PolicyArn PolicyName",
			"CreateAccessKeyResponse":               "AccessKey",
			"CreateGroupResponse":                   "Group",
			"CreatePolicyResponse":                  "Policy",
			"CreatePolicyVersionResponse":           "PolicyVersion",
			"CreateRoleResponse":                    "Role",
			"CreateUserResponse":                    "User",
			"EvaluationResult":                      "EvalActionName EvalDecision",
			"GetAccessKeyLastUsedResponse":          "AccessKeyLastUsed",
			"GetGroupPolicyResponse":                "GroupName PolicyDocument PolicyName",
			"GetGroupResponse":                      "Group IsTruncated Users",
			"GetPolicyResponse":                     "Policy",
			"GetPolicyVersionResponse":              "PolicyVersion",
			"GetRolePolicyResponse":                 "PolicyDocument PolicyName RoleName",
			"GetRoleResponse":                       "Role",
			"GetUserPolicyResponse":                 "PolicyDocument PolicyName UserName",
			"GetUserResponse":                       "User",
			"Group":                                 "Arn GroupId GroupName Path",
			"ListAccessKeysResponse":                "AccessKeyMetadata IsTruncated",
			"ListAttachedGroupPoliciesResponse":     "AttachedPolicies IsTruncated",
			"ListAttachedRolePoliciesResponse":      "AttachedPolicies IsTruncated",
			"ListAttachedUserPoliciesResponse":      "AttachedPolicies IsTruncated",
			"ListEntitiesForPolicyResponse":         "IsTruncated PolicyGroups PolicyRoles PolicyUsers",
			"ListGroupPoliciesResponse":             "IsTruncated PolicyNames",
			"ListGroupsForUserResponse":             "Groups IsTruncated",
			"ListGroupsResponse":                    "Groups IsTruncated",
			"ListPoliciesResponse":                  "IsTruncated Policies",
			"ListPolicyVersionsResponse":            "IsTruncated Versions",
			"ListRolePoliciesResponse":              "IsTruncated PolicyNames",
			"ListRoleTagsResponse":                  "IsTruncated Tags",
			"ListOpenIDConnectProviderTagsResponse": "IsTruncated Tags",
			"ListRolesResponse":                     "IsTruncated Roles",
			"ListUserPoliciesResponse":              "IsTruncated PolicyNames",
			"ListUserTagsResponse":                  "IsTruncated Tags",
			"ListUsersResponse":                     "IsTruncated Users",
			"OrganizationsDecisionDetail":           "AllowedByOrganizations",
			"PermissionsBoundaryDecisionDetail":     "AllowedByPermissionsBoundary",
			"Policy": "Arn AttachmentCount DefaultVersionId IsAttachable Path PermissionsBoundaryUsageCount " +
				"PolicyId PolicyName",
			"PolicyGroup":            "GroupId GroupName",
			"PolicyRole":             "RoleId RoleName",
			"PolicyUser":             "UserId UserName",
			"PolicyVersion":          "IsDefaultVersion VersionId",
			"Position":               "Column Line",
			"ResourceSpecificResult": "EvalResourceDecision EvalResourceName",
			"Role":                   "Arn Path RoleId RoleName",
			"SimulatePolicyResponse": "EvaluationResults IsTruncated",
			"Tag":                    "Key Value",
		},
		Types: map[string]string{
			"UpdateRoleRequest.Description":        "*string",
			"UpdateRoleRequest.MaxSessionDuration": "*int32",
		},
	},
	{
		Dir: "internal/identity/stsapi", Name: "stsapi",
		Services: []service{{"sts", ops(`AssumeRole AssumeRoleWithWebIdentity GetCallerIdentity GetSessionToken`)}},
		Emit: map[string]string{
			"AssumeRoleResponse":                "AssumedRoleUser Credentials",
			"AssumeRoleWithWebIdentityResponse": "AssumedRoleUser Credentials",
			"AssumedRoleUser":                   "Arn AssumedRoleId",
			"Credentials":                       "AccessKeyId Expiration SecretAccessKey SessionToken",
			"GetCallerIdentityResponse":         "Account Arn UserId",
			"GetSessionTokenResponse":           "Credentials",
			"Tag":                               "Key Value",
		},
	},
}
