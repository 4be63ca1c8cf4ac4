package restjson_test

import (
	"time"

	"github.com/sealbox/sealbox"
)

// The Go types a Lambda service would answer with: encoding/json names
// fields by member name, as the shared path binds and answers.

type functionConfiguration struct {
	FunctionName     string               `json:",omitempty"`
	FunctionArn      string               `json:",omitempty"`
	Runtime          string               `json:",omitempty"`
	Role             string               `json:",omitempty"`
	Handler          string               `json:",omitempty"`
	CodeSize         int64                `json:",omitempty"`
	Description      *string              `json:",omitempty"`
	Timeout          *int32               `json:",omitempty"`
	MemorySize       *int32               `json:",omitempty"`
	LastModified     string               `json:",omitempty"`
	CodeSha256       string               `json:",omitempty"`
	Version          string               `json:",omitempty"`
	Environment      *environmentResponse `json:",omitempty"`
	RevisionId       string               `json:",omitempty"`
	State            string               `json:",omitempty"`
	LastUpdateStatus string               `json:",omitempty"`
	PackageType      string               `json:",omitempty"`
	Architectures    []string             `json:",omitempty"`
	Layers           []layer              `json:",omitempty"`
	EphemeralStorage *ephemeralStorage    `json:",omitempty"`
}

type environmentResponse struct {
	Variables map[string]string `json:",omitempty"`
}

type layer struct {
	Arn      string
	CodeSize int64
}

type ephemeralStorage struct{ Size int32 }

type listFunctionsOutput struct {
	NextMarker *string                 `json:",omitempty"`
	Functions  []functionConfiguration // nil is left out by Encode
}

type listVersionsOutput struct {
	NextMarker *string `json:",omitempty"`
	Versions   []functionConfiguration
}

type aliasConfiguration struct {
	AliasArn        string         `json:",omitempty"`
	Name            string         `json:",omitempty"`
	FunctionVersion string         `json:",omitempty"`
	Description     string         `json:",omitempty"`
	RoutingConfig   *routingConfig `json:",omitempty"`
	RevisionId      string         `json:",omitempty"`
}

type routingConfig struct {
	AdditionalVersionWeights map[string]float64
}

type listTagsOutput struct {
	Tags map[string]string
}

type deleteFunctionOutput struct {
	StatusCode int32
}

type invocationOutput struct {
	StatusCode      int32
	FunctionError   string `json:",omitempty"`
	LogResult       string `json:",omitempty"`
	ExecutedVersion string `json:",omitempty"`
	Payload         []byte
}

// The test model's outputs.

type item struct {
	Id      string             `json:",omitempty"`
	Enabled *bool              `json:",omitempty"`
	Size    *int32             `json:",omitempty"`
	Tags    []string           `json:",omitempty"`
	Child   *item              `json:",omitempty"`
	When    *sealbox.Timestamp `json:",omitempty"`
	Renamed string             `json:",omitempty"`
}

type getThingOutput struct {
	Status     int32
	ETag       string             `json:",omitempty"`
	HFlag      *bool              `json:",omitempty"`
	HCount     *int32             `json:",omitempty"`
	HRatio     *float64           `json:",omitempty"`
	HWhen      *sealbox.Timestamp `json:",omitempty"`
	HWhenIso   *time.Time         `json:",omitempty"`
	HWhenEpoch *sealbox.Timestamp `json:",omitempty"`
	HList      []string           `json:",omitempty"`
	HDates     []sealbox.Timestamp
	HJson      string            `json:",omitempty"`
	Meta       map[string]string `json:",omitempty"`

	Name            string             `json:",omitempty"`
	Renamed         string             `json:",omitempty"`
	Secret          string             `json:",omitempty"`
	Count           *int32             `json:",omitempty"`
	Big             int64              `json:",omitempty"`
	Ratio           float64            `json:",omitempty"`
	Flag            *bool              `json:",omitempty"`
	Created         *sealbox.Timestamp `json:",omitempty"`
	CreatedIso      *sealbox.Timestamp `json:",omitempty"`
	CreatedShapeIso *time.Time         `json:",omitempty"`
	CreatedRfc      *sealbox.Timestamp `json:",omitempty"`
	Data            []byte             `json:",omitempty"`
	Items           []item             `json:",omitempty"`
	ItemsByName     map[string]item    `json:",omitempty"`
	Attrs           map[string]string  `json:",omitempty"`
	Multi           map[string][]string
	Nested          *item `json:",omitempty"`
	Empty           []string
}

type getBlobOutput struct {
	Checksum    string `json:",omitempty"`
	ContentType string `json:",omitempty"`
	Content     []byte
}

type getDocOutput struct {
	Version *int32 `json:",omitempty"`
	Doc     *item  `json:",omitempty"`
}

type getTextOutput struct {
	Text *string `json:",omitempty"`
}

type putThingOutput struct {
	Id   string
	ETag string
}

func ptr[T any](v T) *T { return &v }
