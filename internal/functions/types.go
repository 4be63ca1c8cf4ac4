package functions

import "github.com/sealbox/sealbox/internal/spool"

// The input and output shapes of the operations served, named and typed as
// in the Lambda model (shared/spec/aws/lambda.json, with sealbox's
// extensions/lambda.json); awsapi's Register checks every field name and
// type against the model when the server starts. Members of the model a
// struct leaves out are not served (VpcConfig, Layers, FileSystemConfigs,
// CodeSigningConfigArn, SnapStart …): sealbox keeps a function's
// configuration and environment, it does not run code.

type Environment struct {
	Variables map[string]string
}

type EnvironmentError struct {
	ErrorCode string `json:"ErrorCode,omitempty"`
	Message   string `json:"Message,omitempty"`
}

type EnvironmentResponse struct {
	Variables map[string]string `json:"Variables,omitempty"`
	Error     *EnvironmentError `json:"Error,omitempty"`
}

type FunctionCode struct {
	ZipFile         *spool.Blob
	S3Bucket        string
	S3Key           string
	S3ObjectVersion string
	ImageUri        string
}

type TracingConfig struct {
	Mode string `json:"Mode,omitempty"`
}

type EphemeralStorage struct {
	Size int `json:"Size"`
}

type LoggingConfig struct {
	LogFormat           string `json:"LogFormat,omitempty"`
	LogGroup            string `json:"LogGroup,omitempty"`
	ApplicationLogLevel string `json:"ApplicationLogLevel,omitempty"`
	SystemLogLevel      string `json:"SystemLogLevel,omitempty"`
}

type CreateFunctionInput struct {
	FunctionName     string
	Role             string
	Runtime          string
	Handler          string
	Description      string
	Timeout          *int
	MemorySize       *int
	Environment      *Environment
	KMSKeyArn        string
	Tags             map[string]string
	Publish          bool
	Code             *FunctionCode
	PackageType      string
	Architectures    []string
	TracingConfig    *TracingConfig
	EphemeralStorage *EphemeralStorage
	LoggingConfig    *LoggingConfig
}

// FunctionConfiguration is a version's configuration as every operation
// that answers one shows it. LastModified is Lambda's ISO 8601 text
// ("2026-11-23T18:43:24.887+0000"): the model's Timestamp shape is a
// string.
type FunctionConfiguration struct {
	FunctionName     string               `json:"FunctionName"`
	FunctionArn      string               `json:"FunctionArn"`
	Runtime          string               `json:"Runtime,omitempty"`
	Role             string               `json:"Role"`
	Handler          string               `json:"Handler,omitempty"`
	CodeSize         int64                `json:"CodeSize"`
	Description      string               `json:"Description"`
	Timeout          int                  `json:"Timeout"`
	MemorySize       int                  `json:"MemorySize"`
	LastModified     string               `json:"LastModified"`
	CodeSha256       string               `json:"CodeSha256"`
	Version          string               `json:"Version"`
	Environment      *EnvironmentResponse `json:"Environment,omitempty"`
	KMSKeyArn        string               `json:"KMSKeyArn,omitempty"`
	TracingConfig    *TracingConfig       `json:"TracingConfig,omitempty"`
	RevisionId       string               `json:"RevisionId"`
	State            string               `json:"State"`
	LastUpdateStatus string               `json:"LastUpdateStatus"`
	PackageType      string               `json:"PackageType"`
	Architectures    []string             `json:"Architectures"`
	EphemeralStorage *EphemeralStorage    `json:"EphemeralStorage,omitempty"`
	LoggingConfig    *LoggingConfig       `json:"LoggingConfig,omitempty"`
}

// FunctionInput is the input of the operations that name a function and
// perhaps a version or alias.
type FunctionInput struct {
	FunctionName string
	Qualifier    string
}

type FunctionCodeLocation struct {
	RepositoryType   string `json:"RepositoryType,omitempty"`
	Location         string `json:"Location,omitempty"`
	ImageUri         string `json:"ImageUri,omitempty"`
	ResolvedImageUri string `json:"ResolvedImageUri,omitempty"`
}

type GetFunctionOutput struct {
	Configuration *FunctionConfiguration `json:"Configuration"`
	Code          *FunctionCodeLocation  `json:"Code,omitempty"`
	Tags          map[string]string      `json:"Tags,omitempty"`
}

type UpdateFunctionConfigurationInput struct {
	FunctionName     string
	Role             string
	Handler          string
	Description      *string
	Timeout          *int
	MemorySize       *int
	Runtime          string
	Environment      *Environment
	KMSKeyArn        *string
	RevisionId       string
	TracingConfig    *TracingConfig
	EphemeralStorage *EphemeralStorage
	LoggingConfig    *LoggingConfig
}

type UpdateFunctionCodeInput struct {
	FunctionName    string
	ZipFile         *spool.Blob
	S3Bucket        string
	S3Key           string
	S3ObjectVersion string
	ImageUri        string
	Publish         bool
	DryRun          bool
	RevisionId      string
	Architectures   []string
}

type ListFunctionsInput struct {
	FunctionVersion string
	Marker          string
	MaxItems        int
	MasterRegion    string
}

type ListFunctionsOutput struct {
	Functions  []FunctionConfiguration `json:"Functions"`
	NextMarker string                  `json:"NextMarker,omitempty"`
}

// DeleteFunctionOutput carries the HTTP status Lambda answers DeleteFunction
// with, 204.
type DeleteFunctionOutput struct {
	StatusCode int `json:"StatusCode,omitempty"`
}

type PublishVersionInput struct {
	FunctionName string
	CodeSha256   string
	Description  *string
	RevisionId   string
}

type ListVersionsByFunctionInput struct {
	FunctionName string
	Marker       string
	MaxItems     int
}

type ListVersionsByFunctionOutput struct {
	Versions   []FunctionConfiguration `json:"Versions"`
	NextMarker string                  `json:"NextMarker,omitempty"`
}

type AliasRoutingConfiguration struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights,omitempty"`
}

type CreateAliasInput struct {
	FunctionName    string
	Name            string
	FunctionVersion string
	Description     string
	RoutingConfig   *AliasRoutingConfiguration
}

type AliasConfiguration struct {
	AliasArn        string                     `json:"AliasArn"`
	Name            string                     `json:"Name"`
	FunctionVersion string                     `json:"FunctionVersion"`
	Description     string                     `json:"Description"`
	RoutingConfig   *AliasRoutingConfiguration `json:"RoutingConfig,omitempty"`
	RevisionId      string                     `json:"RevisionId"`
}

// AliasInput is the input of the operations that name an alias.
type AliasInput struct {
	FunctionName string
	Name         string
}

type UpdateAliasInput struct {
	FunctionName    string
	Name            string
	FunctionVersion string
	Description     *string
	RoutingConfig   *AliasRoutingConfiguration
	RevisionId      string
}

type ListAliasesInput struct {
	FunctionName    string
	FunctionVersion string
	Marker          string
	MaxItems        int
}

type ListAliasesOutput struct {
	Aliases    []AliasConfiguration `json:"Aliases"`
	NextMarker string               `json:"NextMarker,omitempty"`
}

type TagResourceInput struct {
	Resource string
	Tags     map[string]string
}

type UntagResourceInput struct {
	Resource string
	TagKeys  []string
}

type ListTagsInput struct {
	Resource string
}

type ListTagsOutput struct {
	Tags map[string]string `json:"Tags"`
}

// GetFunctionEnvironmentInput and GetFunctionEnvironmentOutput are
// sealbox's own operation (extensions/lambda.json): the environment as the
// execution role's program gets it at cold start.
type GetFunctionEnvironmentInput struct {
	FunctionName string
	Qualifier    string
}

type ResolvedReference struct {
	Variable string `json:"Variable"`
	Source   string `json:"Source"`
}

type GetFunctionEnvironmentOutput struct {
	FunctionName string              `json:"FunctionName"`
	FunctionArn  string              `json:"FunctionArn"`
	Version      string              `json:"Version"`
	Runtime      string              `json:"Runtime,omitempty"`
	Handler      string              `json:"Handler,omitempty"`
	MemorySize   int                 `json:"MemorySize"`
	Timeout      int                 `json:"Timeout"`
	Role         string              `json:"Role"`
	Variables    map[string]string   `json:"Variables"`
	References   []ResolvedReference `json:"References"`
}

// Empty is the output of operations that answer with no body.
type Empty struct{}
