package secrets

import "github.com/sealbox/sealbox"

// The input and output shapes of the operations served, named and typed as
// in the Secrets Manager model (shared/spec/aws/secretsmanager.json);
// awsapi's Register checks every field name and type against the model when
// the server starts.

type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type ReplicaRegion struct {
	Region   string
	KmsKeyId string
}

type CreateSecretInput struct {
	Name                        string
	ClientRequestToken          string
	Description                 *string
	KmsKeyId                    string
	SecretBinary                []byte
	SecretString                *string
	Tags                        []Tag
	AddReplicaRegions           []ReplicaRegion
	ForceOverwriteReplicaSecret bool
	Type                        string
}

type CreateSecretOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionId string `json:"VersionId,omitempty"`
}

// SecretIDInput is the input of the operations that name only a secret.
type SecretIDInput struct {
	SecretId string
}

// NameOutput is the output of the operations that answer the secret's ARN
// and name.
type NameOutput struct {
	ARN  string `json:"ARN"`
	Name string `json:"Name"`
}

type DescribeSecretOutput struct {
	ARN                string              `json:"ARN"`
	Name               string              `json:"Name"`
	Description        string              `json:"Description,omitempty"`
	KmsKeyId           string              `json:"KmsKeyId,omitempty"`
	RotationEnabled    *bool               `json:"RotationEnabled,omitempty"`
	RotationLambdaARN  string              `json:"RotationLambdaARN,omitempty"`
	RotationRules      *RotationRules      `json:"RotationRules,omitempty"`
	LastRotatedDate    *sealbox.Timestamp  `json:"LastRotatedDate,omitempty"`
	NextRotationDate   *sealbox.Timestamp  `json:"NextRotationDate,omitempty"`
	LastChangedDate    *sealbox.Timestamp  `json:"LastChangedDate,omitempty"`
	LastAccessedDate   *sealbox.Timestamp  `json:"LastAccessedDate,omitempty"`
	DeletedDate        *sealbox.Timestamp  `json:"DeletedDate,omitempty"`
	Tags               []Tag               `json:"Tags,omitempty"`
	VersionIdsToStages map[string][]string `json:"VersionIdsToStages,omitempty"`
	OwningService      string              `json:"OwningService,omitempty"`
	CreatedDate        *sealbox.Timestamp  `json:"CreatedDate,omitempty"`
	Type               string              `json:"Type,omitempty"`
}

type GetSecretValueInput struct {
	SecretId     string
	VersionId    string
	VersionStage string
}

type GetSecretValueOutput struct {
	ARN           string             `json:"ARN"`
	Name          string             `json:"Name"`
	VersionId     string             `json:"VersionId"`
	SecretBinary  []byte             `json:"SecretBinary,omitempty"`
	SecretString  *string            `json:"SecretString,omitempty"`
	VersionStages []string           `json:"VersionStages,omitempty"`
	CreatedDate   *sealbox.Timestamp `json:"CreatedDate,omitempty"`
}

type Filter struct {
	Key    string
	Values []string
}

type BatchGetSecretValueInput struct {
	SecretIdList []string
	Filters      []Filter
	MaxResults   int
	NextToken    string
}

type SecretValueEntry struct {
	ARN           string             `json:"ARN"`
	Name          string             `json:"Name"`
	VersionId     string             `json:"VersionId"`
	SecretBinary  []byte             `json:"SecretBinary,omitempty"`
	SecretString  *string            `json:"SecretString,omitempty"`
	VersionStages []string           `json:"VersionStages,omitempty"`
	CreatedDate   *sealbox.Timestamp `json:"CreatedDate,omitempty"`
}

type APIError struct {
	SecretId  string `json:"SecretId,omitempty"`
	ErrorCode string `json:"ErrorCode"`
	Message   string `json:"Message"`
}

type BatchGetSecretValueOutput struct {
	SecretValues []SecretValueEntry `json:"SecretValues"`
	NextToken    string             `json:"NextToken,omitempty"`
	Errors       []APIError         `json:"Errors"`
}

type PutSecretValueInput struct {
	SecretId           string
	ClientRequestToken string
	SecretBinary       []byte
	SecretString       *string
	VersionStages      []string
	RotationToken      string
}

type PutSecretValueOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	VersionId     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
}

type UpdateSecretInput struct {
	SecretId           string
	ClientRequestToken string
	Description        *string
	KmsKeyId           *string
	SecretBinary       []byte
	SecretString       *string
	Type               string
}

type UpdateSecretOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionId string `json:"VersionId,omitempty"`
}

type UpdateSecretVersionStageInput struct {
	SecretId            string
	VersionStage        string
	RemoveFromVersionId string
	MoveToVersionId     string
}

type ListSecretsInput struct {
	IncludePlannedDeletion bool
	MaxResults             int
	NextToken              string
	Filters                []Filter
	SortOrder              string
	SortBy                 string
}

type SecretListEntry struct {
	ARN                    string              `json:"ARN"`
	Name                   string              `json:"Name"`
	Type                   string              `json:"Type,omitempty"`
	Description            string              `json:"Description,omitempty"`
	KmsKeyId               string              `json:"KmsKeyId,omitempty"`
	RotationEnabled        *bool               `json:"RotationEnabled,omitempty"`
	RotationLambdaARN      string              `json:"RotationLambdaARN,omitempty"`
	RotationRules          *RotationRules      `json:"RotationRules,omitempty"`
	LastRotatedDate        *sealbox.Timestamp  `json:"LastRotatedDate,omitempty"`
	NextRotationDate       *sealbox.Timestamp  `json:"NextRotationDate,omitempty"`
	LastChangedDate        *sealbox.Timestamp  `json:"LastChangedDate,omitempty"`
	LastAccessedDate       *sealbox.Timestamp  `json:"LastAccessedDate,omitempty"`
	DeletedDate            *sealbox.Timestamp  `json:"DeletedDate,omitempty"`
	Tags                   []Tag               `json:"Tags,omitempty"`
	SecretVersionsToStages map[string][]string `json:"SecretVersionsToStages,omitempty"`
	OwningService          string              `json:"OwningService,omitempty"`
	CreatedDate            *sealbox.Timestamp  `json:"CreatedDate,omitempty"`
}

type ListSecretsOutput struct {
	SecretList []SecretListEntry `json:"SecretList"`
	NextToken  string            `json:"NextToken,omitempty"`
}

type ListSecretVersionIdsInput struct {
	SecretId          string
	MaxResults        int
	NextToken         string
	IncludeDeprecated bool
}

type SecretVersionsListEntry struct {
	VersionId        string             `json:"VersionId"`
	VersionStages    []string           `json:"VersionStages,omitempty"`
	LastAccessedDate *sealbox.Timestamp `json:"LastAccessedDate,omitempty"`
	CreatedDate      *sealbox.Timestamp `json:"CreatedDate,omitempty"`
	KmsKeyIds        []string           `json:"KmsKeyIds,omitempty"`
}

type ListSecretVersionIdsOutput struct {
	Versions  []SecretVersionsListEntry `json:"Versions"`
	NextToken string                    `json:"NextToken,omitempty"`
	ARN       string                    `json:"ARN"`
	Name      string                    `json:"Name"`
}

type DeleteSecretInput struct {
	SecretId                   string
	RecoveryWindowInDays       *int64
	ForceDeleteWithoutRecovery *bool
}

type DeleteSecretOutput struct {
	ARN          string             `json:"ARN"`
	Name         string             `json:"Name"`
	DeletionDate *sealbox.Timestamp `json:"DeletionDate,omitempty"`
}

type TagResourceInput struct {
	SecretId string
	Tags     []Tag
}

type UntagResourceInput struct {
	SecretId string
	TagKeys  []string
}

type GetResourcePolicyOutput struct {
	ARN            string `json:"ARN"`
	Name           string `json:"Name"`
	ResourcePolicy string `json:"ResourcePolicy,omitempty"`
}

type PutResourcePolicyInput struct {
	SecretId          string
	ResourcePolicy    string
	BlockPublicPolicy *bool
}

type ValidateResourcePolicyInput struct {
	SecretId       string
	ResourcePolicy string
}

type ValidationErrorsEntry struct {
	CheckName    string `json:"CheckName,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

type ValidateResourcePolicyOutput struct {
	PolicyValidationPassed bool                    `json:"PolicyValidationPassed"`
	ValidationErrors       []ValidationErrorsEntry `json:"ValidationErrors"`
}

type GetRandomPasswordInput struct {
	PasswordLength          *int64
	ExcludeCharacters       string
	ExcludeNumbers          bool
	ExcludePunctuation      bool
	ExcludeUppercase        bool
	ExcludeLowercase        bool
	IncludeSpace            bool
	RequireEachIncludedType *bool
}

type GetRandomPasswordOutput struct {
	RandomPassword string `json:"RandomPassword"`
}

type RotationRules struct {
	AutomaticallyAfterDays *int64 `json:"AutomaticallyAfterDays,omitempty"`
	Duration               string `json:"Duration,omitempty"`
	ScheduleExpression     string `json:"ScheduleExpression,omitempty"`
}

type RotateSecretInput struct {
	SecretId           string
	ClientRequestToken string
	RotationLambdaARN  string
	RotationRules      *RotationRules
	RotateImmediately  *bool
}

// RotationOutput is the output of RotateSecret and CancelRotateSecret.
type RotationOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionId string `json:"VersionId,omitempty"`
}

// Empty is the output of operations that answer with an empty object.
type Empty struct{}
