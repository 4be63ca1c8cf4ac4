package kms

import "github.com/sealbox/sealbox"

// The input and output shapes of the operations served, named and typed as
// in the KMS model (shared/spec/aws/kms.json); awsapi's Register checks every field
// name and type against the model when the server starts.

type Tag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

type KeyMetadata struct {
	AWSAccountId                string             `json:"AWSAccountId"`
	KeyId                       string             `json:"KeyId"`
	Arn                         string             `json:"Arn"`
	CreationDate                *sealbox.Timestamp `json:"CreationDate,omitempty"`
	Enabled                     bool               `json:"Enabled"`
	Description                 string             `json:"Description"`
	KeyUsage                    string             `json:"KeyUsage"`
	KeyState                    string             `json:"KeyState"`
	DeletionDate                *sealbox.Timestamp `json:"DeletionDate,omitempty"`
	Origin                      string             `json:"Origin"`
	KeyManager                  string             `json:"KeyManager"`
	CustomerMasterKeySpec       string             `json:"CustomerMasterKeySpec"`
	KeySpec                     string             `json:"KeySpec"`
	EncryptionAlgorithms        []string           `json:"EncryptionAlgorithms"`
	MultiRegion                 bool               `json:"MultiRegion"`
	PendingDeletionWindowInDays int                `json:"PendingDeletionWindowInDays,omitempty"`
	CurrentKeyMaterialId        string             `json:"CurrentKeyMaterialId,omitempty"`
}

type CreateKeyInput struct {
	Policy                         string
	Description                    string
	KeyUsage                       string
	CustomerMasterKeySpec          string
	KeySpec                        string
	Origin                         string
	CustomKeyStoreId               string
	BypassPolicyLockoutSafetyCheck bool
	Tags                           []Tag
	MultiRegion                    bool
	XksKeyId                       string
}

type KeyMetadataOutput struct {
	KeyMetadata *KeyMetadata `json:"KeyMetadata"`
}

type DescribeKeyInput struct {
	KeyId       string
	GrantTokens []string
}

type KeyIDInput struct {
	KeyId string
}

type ListKeysInput struct {
	Limit  int
	Marker string
}

type KeyListEntry struct {
	KeyId  string `json:"KeyId"`
	KeyArn string `json:"KeyArn"`
}

type ListKeysOutput struct {
	Keys       []KeyListEntry `json:"Keys"`
	NextMarker string         `json:"NextMarker,omitempty"`
	Truncated  bool           `json:"Truncated"`
}

type UpdateKeyDescriptionInput struct {
	KeyId       string
	Description string
}

type ScheduleKeyDeletionInput struct {
	KeyId               string
	PendingWindowInDays int
}

type ScheduleKeyDeletionOutput struct {
	KeyId               string             `json:"KeyId"`
	DeletionDate        *sealbox.Timestamp `json:"DeletionDate,omitempty"`
	KeyState            string             `json:"KeyState"`
	PendingWindowInDays int                `json:"PendingWindowInDays"`
}

type KeyIDOutput struct {
	KeyId string `json:"KeyId"`
}

type Empty struct{}

type TagResourceInput struct {
	KeyId string
	Tags  []Tag
}

type UntagResourceInput struct {
	KeyId   string
	TagKeys []string
}

type ListResourceTagsInput struct {
	KeyId  string
	Limit  int
	Marker string
}

type ListResourceTagsOutput struct {
	Tags       []Tag  `json:"Tags"`
	NextMarker string `json:"NextMarker,omitempty"`
	Truncated  bool   `json:"Truncated"`
}

type GetKeyPolicyInput struct {
	KeyId      string
	PolicyName string
}

type GetKeyPolicyOutput struct {
	Policy     string `json:"Policy"`
	PolicyName string `json:"PolicyName"`
}

type PutKeyPolicyInput struct {
	KeyId                          string
	PolicyName                     string
	Policy                         string
	BypassPolicyLockoutSafetyCheck bool
}

type ListKeyPoliciesInput struct {
	KeyId  string
	Limit  int
	Marker string
}

type ListKeyPoliciesOutput struct {
	PolicyNames []string `json:"PolicyNames"`
	NextMarker  string   `json:"NextMarker,omitempty"`
	Truncated   bool     `json:"Truncated"`
}

type CreateAliasInput struct {
	AliasName   string
	TargetKeyId string
}

type DeleteAliasInput struct {
	AliasName string
}

type ListAliasesInput struct {
	KeyId  string
	Limit  int
	Marker string
}

type AliasListEntry struct {
	AliasName       string             `json:"AliasName"`
	AliasArn        string             `json:"AliasArn"`
	TargetKeyId     string             `json:"TargetKeyId,omitempty"`
	CreationDate    *sealbox.Timestamp `json:"CreationDate,omitempty"`
	LastUpdatedDate *sealbox.Timestamp `json:"LastUpdatedDate,omitempty"`
}

type ListAliasesOutput struct {
	Aliases    []AliasListEntry `json:"Aliases"`
	NextMarker string           `json:"NextMarker,omitempty"`
	Truncated  bool             `json:"Truncated"`
}

type EncryptInput struct {
	KeyId               string
	Plaintext           []byte
	EncryptionContext   map[string]string
	GrantTokens         []string
	EncryptionAlgorithm string
	DryRun              bool
}

type EncryptOutput struct {
	CiphertextBlob      []byte `json:"CiphertextBlob"`
	KeyId               string `json:"KeyId"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
}

type DecryptInput struct {
	CiphertextBlob      []byte
	EncryptionContext   map[string]string
	GrantTokens         []string
	KeyId               string
	EncryptionAlgorithm string
	DryRun              bool
}

type DecryptOutput struct {
	KeyId               string `json:"KeyId"`
	Plaintext           []byte `json:"Plaintext"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
	KeyMaterialId       string `json:"KeyMaterialId,omitempty"`
}

type ReEncryptInput struct {
	CiphertextBlob                 []byte
	SourceEncryptionContext        map[string]string
	SourceKeyId                    string
	DestinationKeyId               string
	DestinationEncryptionContext   map[string]string
	SourceEncryptionAlgorithm      string
	DestinationEncryptionAlgorithm string
	GrantTokens                    []string
	DryRun                         bool
}

type ReEncryptOutput struct {
	CiphertextBlob                 []byte `json:"CiphertextBlob"`
	SourceKeyId                    string `json:"SourceKeyId"`
	KeyId                          string `json:"KeyId"`
	SourceEncryptionAlgorithm      string `json:"SourceEncryptionAlgorithm"`
	DestinationEncryptionAlgorithm string `json:"DestinationEncryptionAlgorithm"`
	SourceKeyMaterialId            string `json:"SourceKeyMaterialId,omitempty"`
	DestinationKeyMaterialId       string `json:"DestinationKeyMaterialId,omitempty"`
}

type GenerateDataKeyInput struct {
	KeyId             string
	EncryptionContext map[string]string
	NumberOfBytes     int
	KeySpec           string
	GrantTokens       []string
	DryRun            bool
}

type GenerateDataKeyOutput struct {
	CiphertextBlob []byte `json:"CiphertextBlob"`
	Plaintext      []byte `json:"Plaintext"`
	KeyId          string `json:"KeyId"`
	KeyMaterialId  string `json:"KeyMaterialId,omitempty"`
}

type GenerateDataKeyWithoutPlaintextOutput struct {
	CiphertextBlob []byte `json:"CiphertextBlob"`
	KeyId          string `json:"KeyId"`
	KeyMaterialId  string `json:"KeyMaterialId,omitempty"`
}

type GenerateRandomInput struct {
	NumberOfBytes    int
	CustomKeyStoreId string
}

type GenerateRandomOutput struct {
	Plaintext []byte `json:"Plaintext"`
}

type EnableKeyRotationInput struct {
	KeyId                string
	RotationPeriodInDays int
}

type GetKeyRotationStatusOutput struct {
	KeyRotationEnabled        bool               `json:"KeyRotationEnabled"`
	KeyId                     string             `json:"KeyId"`
	RotationPeriodInDays      int                `json:"RotationPeriodInDays,omitempty"`
	NextRotationDate          *sealbox.Timestamp `json:"NextRotationDate,omitempty"`
	OnDemandRotationStartDate *sealbox.Timestamp `json:"OnDemandRotationStartDate,omitempty"`
}

type ListKeyRotationsInput struct {
	KeyId              string
	IncludeKeyMaterial string
	Limit              int
	Marker             string
}

type RotationsListEntry struct {
	KeyId            string             `json:"KeyId"`
	KeyMaterialId    string             `json:"KeyMaterialId"`
	KeyMaterialState string             `json:"KeyMaterialState"`
	RotationDate     *sealbox.Timestamp `json:"RotationDate,omitempty"`
	RotationType     string             `json:"RotationType,omitempty"`
}

type ListKeyRotationsOutput struct {
	Rotations  []RotationsListEntry `json:"Rotations"`
	NextMarker string               `json:"NextMarker,omitempty"`
	Truncated  bool                 `json:"Truncated"`
}
