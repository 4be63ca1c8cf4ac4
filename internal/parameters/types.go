package parameters

import "github.com/sealbox/sealbox"

// The input and output shapes of the operations served, named and typed as
// in the SSM model (shared/spec/aws/ssm.json); awsapi's Register checks every
// field name and type against the model when the server starts.

type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type PutParameterInput struct {
	Name           string
	Description    *string
	Value          *string
	Type           string
	KeyId          string
	Overwrite      bool
	AllowedPattern *string
	Tags           []Tag
	Tier           string
	Policies       *string
	DataType       string
}

type PutParameterOutput struct {
	Version int64  `json:"Version"`
	Tier    string `json:"Tier"`
}

type GetParameterInput struct {
	Name           string
	WithDecryption bool
}

type Parameter struct {
	Name             string             `json:"Name"`
	Type             string             `json:"Type"`
	Value            string             `json:"Value,omitempty"` // never empty but on a reference to a binary secret
	Version          int64              `json:"Version"`
	Selector         string             `json:"Selector,omitempty"`
	SourceResult     string             `json:"SourceResult,omitempty"` // references to secrets only
	LastModifiedDate *sealbox.Timestamp `json:"LastModifiedDate,omitempty"`
	ARN              string             `json:"ARN"`
	DataType         string             `json:"DataType,omitempty"` // always set but on references to secrets
}

type GetParameterOutput struct {
	Parameter *Parameter `json:"Parameter"`
}

type GetParametersInput struct {
	Names          []string
	WithDecryption bool
}

type GetParametersOutput struct {
	Parameters        []Parameter `json:"Parameters"`
	InvalidParameters []string    `json:"InvalidParameters"`
}

type ParameterStringFilter struct {
	Key    string
	Option string
	Values []string
}

type GetParametersByPathInput struct {
	Path             string
	Recursive        bool
	ParameterFilters []ParameterStringFilter
	WithDecryption   bool
	MaxResults       int
	NextToken        string
}

type GetParametersByPathOutput struct {
	Parameters []Parameter `json:"Parameters"`
	NextToken  string      `json:"NextToken,omitempty"`
}

type ParametersFilter struct {
	Key    string
	Values []string
}

type DescribeParametersInput struct {
	Filters          []ParametersFilter
	ParameterFilters []ParameterStringFilter
	MaxResults       int
	NextToken        string
	Shared           bool
}

type ParameterInlinePolicy struct {
	PolicyText   string `json:"PolicyText"`
	PolicyType   string `json:"PolicyType"`
	PolicyStatus string `json:"PolicyStatus"`
}

type ParameterMetadata struct {
	Name             string                  `json:"Name"`
	ARN              string                  `json:"ARN"`
	Type             string                  `json:"Type"`
	KeyId            string                  `json:"KeyId,omitempty"`
	LastModifiedDate *sealbox.Timestamp      `json:"LastModifiedDate,omitempty"`
	LastModifiedUser string                  `json:"LastModifiedUser,omitempty"`
	Description      string                  `json:"Description,omitempty"`
	AllowedPattern   string                  `json:"AllowedPattern,omitempty"`
	Version          int64                   `json:"Version"`
	Tier             string                  `json:"Tier"`
	Policies         []ParameterInlinePolicy `json:"Policies"`
	DataType         string                  `json:"DataType"`
}

type DescribeParametersOutput struct {
	Parameters []ParameterMetadata `json:"Parameters"`
	NextToken  string              `json:"NextToken,omitempty"`
}

type GetParameterHistoryInput struct {
	Name           string
	WithDecryption bool
	MaxResults     int
	NextToken      string
}

type ParameterHistory struct {
	Name             string                  `json:"Name"`
	Type             string                  `json:"Type"`
	KeyId            string                  `json:"KeyId,omitempty"`
	LastModifiedDate *sealbox.Timestamp      `json:"LastModifiedDate,omitempty"`
	LastModifiedUser string                  `json:"LastModifiedUser,omitempty"`
	Description      string                  `json:"Description,omitempty"`
	Value            string                  `json:"Value"`
	AllowedPattern   string                  `json:"AllowedPattern,omitempty"`
	Version          int64                   `json:"Version"`
	Labels           []string                `json:"Labels"`
	Tier             string                  `json:"Tier"`
	Policies         []ParameterInlinePolicy `json:"Policies"`
	DataType         string                  `json:"DataType"`
}

type GetParameterHistoryOutput struct {
	Parameters []ParameterHistory `json:"Parameters"`
	NextToken  string             `json:"NextToken,omitempty"`
}

type LabelParameterVersionInput struct {
	Name             string
	ParameterVersion *int64
	Labels           []string
}

type LabelParameterVersionOutput struct {
	InvalidLabels    []string `json:"InvalidLabels"`
	ParameterVersion int64    `json:"ParameterVersion"`
}

type UnlabelParameterVersionInput struct {
	Name             string
	ParameterVersion int64
	Labels           []string
}

type UnlabelParameterVersionOutput struct {
	RemovedLabels []string `json:"RemovedLabels"`
	InvalidLabels []string `json:"InvalidLabels"`
}

type DeleteParameterInput struct {
	Name string
}

type DeleteParametersInput struct {
	Names []string
}

type DeleteParametersOutput struct {
	DeletedParameters []string `json:"DeletedParameters"`
	InvalidParameters []string `json:"InvalidParameters"`
}

type AddTagsToResourceInput struct {
	ResourceType string
	ResourceId   string
	Tags         []Tag
}

type RemoveTagsFromResourceInput struct {
	ResourceType string
	ResourceId   string
	TagKeys      []string
}

type ListTagsForResourceInput struct {
	ResourceType string
	ResourceId   string
}

type ListTagsForResourceOutput struct {
	TagList []Tag `json:"TagList"`
}

// Empty is the output of operations that answer with an empty object.
type Empty struct{}
