package identity

import "github.com/sealbox/sealbox"

// The input and output shapes of the operations served, named and typed as
// in the IAM and STS models (shared/spec/aws/iam.json, sts.json); awsapi's
// Register checks every field name and type against the model when the
// server starts. Outputs are the JSON form of the model's output shape; the
// Query codec wraps them in <OpResult> and turns them into XML.
//
// Policy documents in outputs are percent-encoded, as IAM returns them.

// Tag is an IAM or STS tag.
type Tag struct {
	Key   string
	Value string
}

// Empty is the output of operations that return nothing.
type Empty struct{}

type User struct {
	Path                string                       `json:",omitempty"`
	UserName            string                       `json:",omitempty"`
	UserId              string                       `json:",omitempty"`
	Arn                 string                       `json:",omitempty"`
	CreateDate          *sealbox.Timestamp           `json:",omitempty"`
	PasswordLastUsed    *sealbox.Timestamp           `json:",omitempty"`
	PermissionsBoundary *AttachedPermissionsBoundary `json:",omitempty"`
	Tags                []Tag                        `json:",omitempty"`
}

type Group struct {
	Path       string
	GroupName  string
	GroupId    string
	Arn        string
	CreateDate *sealbox.Timestamp `json:",omitempty"`
}

type RoleLastUsed struct {
	LastUsedDate *sealbox.Timestamp `json:",omitempty"`
	Region       string             `json:",omitempty"`
}

type Role struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               *sealbox.Timestamp           `json:",omitempty"`
	AssumeRolePolicyDocument string                       `json:",omitempty"`
	Description              string                       `json:",omitempty"`
	MaxSessionDuration       int                          `json:",omitempty"`
	PermissionsBoundary      *AttachedPermissionsBoundary `json:",omitempty"`
	Tags                     []Tag                        `json:",omitempty"`
	RoleLastUsed             *RoleLastUsed                `json:",omitempty"`
}

type Policy struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string             `json:",omitempty"`
	CreateDate                    *sealbox.Timestamp `json:",omitempty"`
	UpdateDate                    *sealbox.Timestamp `json:",omitempty"`
	Tags                          []Tag              `json:",omitempty"`
}

type PolicyVersion struct {
	Document         string `json:",omitempty"`
	VersionId        string
	IsDefaultVersion bool
	CreateDate       *sealbox.Timestamp `json:",omitempty"`
}

type AccessKey struct {
	UserName        string `json:",omitempty"`
	AccessKeyId     string
	Status          string
	SecretAccessKey string
	CreateDate      *sealbox.Timestamp `json:",omitempty"`
}

type AccessKeyMetadata struct {
	UserName    string `json:",omitempty"`
	AccessKeyId string
	Status      string
	CreateDate  *sealbox.Timestamp `json:",omitempty"`
}

type AttachedPolicy struct {
	PolicyName string
	PolicyArn  string
}

// Users.

type CreateUserInput struct {
	Path                string
	UserName            string
	PermissionsBoundary string
	Tags                []Tag
}

type CreateUserOutput struct {
	User *User
}

type GetUserInput struct {
	UserName string
}

type GetUserOutput struct {
	User *User
}

type ListUsersInput struct {
	PathPrefix string
	Marker     string
	MaxItems   int
}

type ListUsersOutput struct {
	Users       []User
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

type DeleteUserInput struct {
	UserName string
}

// Tags of users and roles.

type TagUserInput struct {
	UserName string
	Tags     []Tag
}

type UntagUserInput struct {
	UserName string
	TagKeys  []string
}

type ListUserTagsInput struct {
	UserName string
	Marker   string
	MaxItems int
}

type TagRoleInput struct {
	RoleName string
	Tags     []Tag
}

type UntagRoleInput struct {
	RoleName string
	TagKeys  []string
}

type ListRoleTagsInput struct {
	RoleName string
	Marker   string
	MaxItems int
}

// ListTagsOutput is the output of ListUserTags and ListRoleTags.
type ListTagsOutput struct {
	Tags        []Tag
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

// Permissions boundaries.

type PutUserPermissionsBoundaryInput struct {
	UserName            string
	PermissionsBoundary string
}

type PutRolePermissionsBoundaryInput struct {
	RoleName            string
	PermissionsBoundary string
}

type DeleteUserPermissionsBoundaryInput struct {
	UserName string
}

type DeleteRolePermissionsBoundaryInput struct {
	RoleName string
}

// Roles.

type CreateRoleInput struct {
	Path                     string
	RoleName                 string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int
	PermissionsBoundary      string
	Tags                     []Tag
}

type CreateRoleOutput struct {
	Role *Role
}

type GetRoleInput struct {
	RoleName string
}

type GetRoleOutput struct {
	Role *Role
}

type ListRolesInput struct {
	PathPrefix string
	Marker     string
	MaxItems   int
}

type ListRolesOutput struct {
	Roles       []Role
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

type DeleteRoleInput struct {
	RoleName string
}

type UpdateAssumeRolePolicyInput struct {
	RoleName       string
	PolicyDocument string
}

// Access keys.

type CreateAccessKeyInput struct {
	UserName string
}

type CreateAccessKeyOutput struct {
	AccessKey *AccessKey
}

type ListAccessKeysInput struct {
	UserName string
	Marker   string
	MaxItems int
}

type ListAccessKeysOutput struct {
	AccessKeyMetadata []AccessKeyMetadata
	IsTruncated       bool
	Marker            string `json:",omitempty"`
}

type UpdateAccessKeyInput struct {
	UserName    string
	AccessKeyId string
	Status      string
}

type DeleteAccessKeyInput struct {
	UserName    string
	AccessKeyId string
}

// Inline policies.

type PutUserPolicyInput struct {
	UserName       string
	PolicyName     string
	PolicyDocument string
}

type PutRolePolicyInput struct {
	RoleName       string
	PolicyName     string
	PolicyDocument string
}

type PutGroupPolicyInput struct {
	GroupName      string
	PolicyName     string
	PolicyDocument string
}

type GetUserPolicyInput struct {
	UserName   string
	PolicyName string
}

type GetUserPolicyOutput struct {
	UserName       string
	PolicyName     string
	PolicyDocument string
}

type GetRolePolicyInput struct {
	RoleName   string
	PolicyName string
}

type GetRolePolicyOutput struct {
	RoleName       string
	PolicyName     string
	PolicyDocument string
}

type GetGroupPolicyInput struct {
	GroupName  string
	PolicyName string
}

type GetGroupPolicyOutput struct {
	GroupName      string
	PolicyName     string
	PolicyDocument string
}

type ListUserPoliciesInput struct {
	UserName string
	Marker   string
	MaxItems int
}

type ListRolePoliciesInput struct {
	RoleName string
	Marker   string
	MaxItems int
}

type ListGroupPoliciesInput struct {
	GroupName string
	Marker    string
	MaxItems  int
}

// ListPolicyNamesOutput is the output of ListUserPolicies,
// ListRolePolicies and ListGroupPolicies.
type ListPolicyNamesOutput struct {
	PolicyNames []string
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

type DeleteUserPolicyInput struct {
	UserName   string
	PolicyName string
}

type DeleteRolePolicyInput struct {
	RoleName   string
	PolicyName string
}

type DeleteGroupPolicyInput struct {
	GroupName  string
	PolicyName string
}

// Managed policies.

type CreatePolicyInput struct {
	PolicyName     string
	Path           string
	PolicyDocument string
	Description    string
	Tags           []Tag
}

type CreatePolicyOutput struct {
	Policy *Policy
}

type GetPolicyInput struct {
	PolicyArn string
}

type GetPolicyOutput struct {
	Policy *Policy
}

type DeletePolicyInput struct {
	PolicyArn string
}

type ListPoliciesInput struct {
	Scope             string
	OnlyAttached      bool
	PathPrefix        string
	PolicyUsageFilter string
	Marker            string
	MaxItems          int
}

type ListPoliciesOutput struct {
	Policies    []Policy
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

type GetPolicyVersionInput struct {
	PolicyArn string
	VersionId string
}

type GetPolicyVersionOutput struct {
	PolicyVersion *PolicyVersion
}

type CreatePolicyVersionInput struct {
	PolicyArn      string
	PolicyDocument string
	SetAsDefault   bool
}

type CreatePolicyVersionOutput struct {
	PolicyVersion *PolicyVersion
}

type DeletePolicyVersionInput struct {
	PolicyArn string
	VersionId string
}

type SetDefaultPolicyVersionInput struct {
	PolicyArn string
	VersionId string
}

type ListPolicyVersionsInput struct {
	PolicyArn string
	Marker    string
	MaxItems  int
}

type ListPolicyVersionsOutput struct {
	Versions    []PolicyVersion
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

// Attachments.

type AttachUserPolicyInput struct {
	UserName  string
	PolicyArn string
}

type AttachRolePolicyInput struct {
	RoleName  string
	PolicyArn string
}

type AttachGroupPolicyInput struct {
	GroupName string
	PolicyArn string
}

type DetachUserPolicyInput struct {
	UserName  string
	PolicyArn string
}

type DetachRolePolicyInput struct {
	RoleName  string
	PolicyArn string
}

type DetachGroupPolicyInput struct {
	GroupName string
	PolicyArn string
}

type ListAttachedUserPoliciesInput struct {
	UserName   string
	PathPrefix string
	Marker     string
	MaxItems   int
}

type ListAttachedRolePoliciesInput struct {
	RoleName   string
	PathPrefix string
	Marker     string
	MaxItems   int
}

type ListAttachedGroupPoliciesInput struct {
	GroupName  string
	PathPrefix string
	Marker     string
	MaxItems   int
}

// ListAttachedPoliciesOutput is the output of ListAttachedUserPolicies,
// ListAttachedRolePolicies and ListAttachedGroupPolicies.
type ListAttachedPoliciesOutput struct {
	AttachedPolicies []AttachedPolicy
	IsTruncated      bool
	Marker           string `json:",omitempty"`
}

// Groups.

type CreateGroupInput struct {
	Path      string
	GroupName string
}

type CreateGroupOutput struct {
	Group *Group
}

type GetGroupInput struct {
	GroupName string
	Marker    string
	MaxItems  int
}

type GetGroupOutput struct {
	Group       *Group
	Users       []User
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

type ListGroupsInput struct {
	PathPrefix string
	Marker     string
	MaxItems   int
}

type ListGroupsOutput struct {
	Groups      []Group
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

type DeleteGroupInput struct {
	GroupName string
}

type AddUserToGroupInput struct {
	GroupName string
	UserName  string
}

type RemoveUserFromGroupInput struct {
	GroupName string
	UserName  string
}

type ListGroupsForUserInput struct {
	UserName string
	Marker   string
	MaxItems int
}

// Policy simulation: the shapes only; the evaluation is wired elsewhere.

type ContextEntry struct {
	ContextKeyName   string
	ContextKeyValues []string
	ContextKeyType   string
}

type SimulatePrincipalPolicyInput struct {
	PolicySourceArn                    string
	PolicyInputList                    []string
	PermissionsBoundaryPolicyInputList []string
	ActionNames                        []string
	ResourceArns                       []string
	ResourcePolicy                     string
	ResourceOwner                      string
	CallerArn                          string
	ContextEntries                     []ContextEntry
	ResourceHandlingOption             string
	MaxItems                           int
	Marker                             string
}

type SimulateCustomPolicyInput struct {
	PolicyInputList                    []string
	PermissionsBoundaryPolicyInputList []string
	ActionNames                        []string
	ResourceArns                       []string
	ResourcePolicy                     string
	ResourceOwner                      string
	CallerArn                          string
	ContextEntries                     []ContextEntry
	ResourceHandlingOption             string
	MaxItems                           int
	Marker                             string
}

type Position struct {
	Line   int
	Column int
}

type Statement struct {
	SourcePolicyId   string    `json:",omitempty"`
	SourcePolicyType string    `json:",omitempty"`
	StartPosition    *Position `json:",omitempty"`
	EndPosition      *Position `json:",omitempty"`
}

type OrganizationsDecisionDetail struct {
	AllowedByOrganizations bool
}

type PermissionsBoundaryDecisionDetail struct {
	AllowedByPermissionsBoundary bool
}

type ResourceSpecificResult struct {
	EvalResourceName                  string
	EvalResourceDecision              string
	MatchedStatements                 []Statement                        `json:",omitempty"`
	MissingContextValues              []string                           `json:",omitempty"`
	EvalDecisionDetails               map[string]string                  `json:",omitempty"`
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail `json:",omitempty"`
}

type EvaluationResult struct {
	EvalActionName                    string
	EvalResourceName                  string `json:",omitempty"`
	EvalDecision                      string
	MatchedStatements                 []Statement                        `json:",omitempty"`
	MissingContextValues              []string                           `json:",omitempty"`
	OrganizationsDecisionDetail       *OrganizationsDecisionDetail       `json:",omitempty"`
	PermissionsBoundaryDecisionDetail *PermissionsBoundaryDecisionDetail `json:",omitempty"`
	EvalDecisionDetails               map[string]string                  `json:",omitempty"`
	ResourceSpecificResults           []ResourceSpecificResult           `json:",omitempty"`
}

// SimulatePolicyOutput is the output of SimulatePrincipalPolicy and
// SimulateCustomPolicy.
type SimulatePolicyOutput struct {
	EvaluationResults []EvaluationResult
	IsTruncated       bool
	Marker            string `json:",omitempty"`
}

// STS.

type GetCallerIdentityInput struct{}

type GetCallerIdentityOutput struct {
	UserId  string
	Account string
	Arn     string
}

type PolicyDescriptor struct {
	Arn string `json:"arn"`
}

type ProvidedContext struct {
	ProviderArn      string
	ContextAssertion string
}

type AssumeRoleInput struct {
	RoleArn           string
	RoleSessionName   string
	PolicyArns        []PolicyDescriptor
	Policy            string
	DurationSeconds   int
	Tags              []Tag
	TransitiveTagKeys []string
	ExternalId        string
	SerialNumber      string
	TokenCode         string
	SourceIdentity    string
	ProvidedContexts  []ProvidedContext
}

type Credentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      *sealbox.Timestamp
}

type AssumedRoleUser struct {
	AssumedRoleId string
	Arn           string
}

type AssumeRoleOutput struct {
	Credentials      *Credentials
	AssumedRoleUser  *AssumedRoleUser
	PackedPolicySize int    `json:",omitempty"`
	SourceIdentity   string `json:",omitempty"`
}

type GetSessionTokenInput struct {
	DurationSeconds int
	SerialNumber    string
	TokenCode       string
}

type GetSessionTokenOutput struct {
	Credentials *Credentials
}

// UpdateUser, UpdateRole, GetAccessKeyLastUsed, ListEntitiesForPolicy.

type UpdateUserInput struct {
	UserName    string
	NewPath     string
	NewUserName string
}

// UpdateRoleInput leaves a member that is absent unchanged.
type UpdateRoleInput struct {
	RoleName           string
	Description        *string
	MaxSessionDuration *int
}

type GetAccessKeyLastUsedInput struct {
	AccessKeyId string
}

type AccessKeyLastUsed struct {
	LastUsedDate *sealbox.Timestamp `json:",omitempty"`
	ServiceName  string
	Region       string
}

type GetAccessKeyLastUsedOutput struct {
	UserName          string `json:",omitempty"`
	AccessKeyLastUsed *AccessKeyLastUsed
}

type ListEntitiesForPolicyInput struct {
	PolicyArn         string
	EntityFilter      string
	PathPrefix        string
	PolicyUsageFilter string
	Marker            string
	MaxItems          int
}

type PolicyGroup struct {
	GroupName string
	GroupId   string
}

type PolicyUser struct {
	UserName string
	UserId   string
}

type PolicyRole struct {
	RoleName string
	RoleId   string
}

type ListEntitiesForPolicyOutput struct {
	PolicyGroups []PolicyGroup
	PolicyUsers  []PolicyUser
	PolicyRoles  []PolicyRole
	IsTruncated  bool
	Marker       string `json:",omitempty"`
}
