// Package model loads the botocore service models that are the wire
// contract (trimmed copies of shared/spec/aws, embedded at build time) and
// checks decoded requests against them the way AWS does: required members,
// lengths, ranges, enums and patterns, reported in AWS's own words.
package model

import (
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:generate go run ./gen kms iam sts ssm secretsmanager lambda cloudtrail
//go:generate go run ./wiregen

//go:embed *.json extensions/*.json
var files embed.FS

// Service is one service's model. Immutable once loaded; safe for
// concurrent use.
type Service struct {
	Metadata   Metadata              `json:"metadata"`
	Operations map[string]*Operation `json:"operations"`
	Shapes     map[string]*Shape     `json:"shapes"`

	// names are the model's member names and enum values (Names).
	names map[string]string
}

// Names returns the strings a request of the service is mostly made of:
// its member names and enum values, each mapped to itself, for
// jsonvalue.DecodeObjectNames. The map must not be changed.
func (s *Service) Names() map[string]string { return s.names }

// Metadata is the model's service-wide facts.
type Metadata struct {
	Protocol       string `json:"protocol"`
	TargetPrefix   string `json:"targetPrefix"`
	EndpointPrefix string `json:"endpointPrefix"`
	SigningName    string `json:"signingName"`
	JSONVersion    string `json:"jsonVersion"`
	APIVersion     string `json:"apiVersion"`
	XMLNamespace   string `json:"xmlNamespace"`
}

// Operation is one operation's contract.
type Operation struct {
	Name   string   `json:"name"`
	Input  *Ref     `json:"input"`
	Output *Ref     `json:"output"`
	Errors []Ref    `json:"errors"`
	HTTP   HTTPInfo `json:"http"`
	// AuthType "none" says AWS serves the operation without a signature
	// (STS's AssumeRoleWithWebIdentity).
	AuthType string `json:"authtype"`
}

// HTTPInfo is where a REST operation lives.
type HTTPInfo struct {
	Method       string `json:"method"`
	RequestURI   string `json:"requestUri"`
	ResponseCode int    `json:"responseCode"`
}

// Ref points at a shape, with the member's wire facts.
type Ref struct {
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
	// QueryName is the EC2 protocol's input name for the member.
	QueryName string `json:"queryName"`
	// Flattened says a list or map member is written without its wrapper
	// (Query: Name.1 instead of Name.member.1; XML: repeated elements).
	Flattened bool `json:"flattened"`
	// ResultWrapper, on an operation's output, names the element that wraps
	// the output in a Query answer ("CreateRoleResult").
	ResultWrapper string `json:"resultWrapper"`
	// Order is the member's position in its structure in the source model
	// (1-based; 0 when the trimmed model does not record it), so that XML
	// answers list members in model order.
	Order int `json:"order"`
	// TimestampFormat overrides the protocol's timestamp form for this
	// member ("iso8601", "rfc822", "unixTimestamp"); "" keeps the shape's or
	// the protocol's default.
	TimestampFormat string `json:"timestampFormat"`
	// JSONValue marks a string member carrying JSON text (base64-encoded
	// when it travels in a REST header).
	JSONValue bool `json:"jsonvalue"`
	// wire is the member's name as messages and audit events spell it
	// (wireName), for a member of a structure.
	wire string
	// target is the shape named Shape, for a member of a structure.
	target *Shape
}

// Shape is a type of the model with its constraints.
type Shape struct {
	Type      string          `json:"type"`
	Members   map[string]*Ref `json:"members"`
	Member    *Ref            `json:"member"`
	Key       *Ref            `json:"key"`
	Value     *Ref            `json:"value"`
	Required  []string        `json:"required"`
	Min       *float64        `json:"min"`
	Max       *float64        `json:"max"`
	Enum      []string        `json:"enum"`
	Pattern   string          `json:"pattern"`
	Sensitive bool            `json:"sensitive"`
	Exception bool            `json:"exception"`
	Fault     bool            `json:"fault"`
	Error     *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
	// Payload, on a REST operation's input or output structure, names the
	// member that is the whole HTTP body.
	Payload string `json:"payload"`
	// TimestampFormat, on a timestamp shape, overrides the protocol's
	// timestamp form ("iso8601", "rfc822", "unixTimestamp").
	TimestampFormat string `json:"timestampFormat"`

	pattern matcher // nil when absent (or output-only and unsayable: see javaOnly)
	// members are the structure's members in model order (by name where
	// the model does not record it), so that validation and the codecs
	// report their problems in a stable order.
	members []Member
}

var (
	mu     sync.Mutex
	loaded = map[string]*Service{}
)

// Load returns the model of the named service ("kms", "ssm", ...). It panics
// if the model is not embedded: that is a build mistake, not a run-time state.
func Load(name string) *Service {
	mu.Lock()
	defer mu.Unlock()
	if s, ok := loaded[name]; ok {
		return s
	}
	raw, err := files.ReadFile(name + ".json")
	if err != nil {
		panic(fmt.Sprintf("model: no embedded model for %q", name))
	}
	var s Service
	if err := json.Unmarshal(raw, &s); err != nil {
		panic(fmt.Sprintf("model: %s: %v", name, err))
	}
	if raw, err := files.ReadFile("extensions/" + name + ".json"); err == nil {
		// sealbox's own operations of an AWS surface (the environment
		// `sealbox exec` asks Lambda's API for), in the model's form, so
		// that they travel the same path; they may not redefine AWS's.
		var ext Service
		if err := json.Unmarshal(raw, &ext); err != nil {
			panic(fmt.Sprintf("model: extensions/%s: %v", name, err))
		}
		for k, op := range ext.Operations {
			if s.Operations[k] != nil {
				panic("model: extensions/" + name + " redefines operation " + k)
			}
			s.Operations[k] = op
		}
		for k, sh := range ext.Shapes {
			if s.Shapes[k] != nil {
				panic("model: extensions/" + name + " redefines shape " + k)
			}
			s.Shapes[k] = sh
		}
	}
	s.names = map[string]string{}
	for name, sh := range s.Shapes {
		sh.members = sortedMembers(sh)
		for mem, ref := range sh.Members {
			ref.wire = wireName(mem) // once, not per request
			ref.target = s.Shapes[ref.Shape]
			s.names[mem] = mem
		}
		for _, e := range sh.Enum {
			s.names[e] = e
		}
		if sh.Pattern != "" {
			// A model pattern constrains the whole value. Every one is
			// enforced: one that cannot be read is a build mistake.
			m, err := compilePattern(sh.Pattern)
			if err != nil {
				panic(fmt.Sprintf("model: shape %s: %v", name, err))
			}
			sh.pattern = m
		}
	}
	loaded[name] = &s
	return &s
}

// Member is a structure's member: its name and its reference.
type Member struct {
	Name string
	Ref  *Ref
}

// SortedMembers lists sh's members in model order (by name where the model
// does not record it), so that the first problem found is stable. The list
// is made once when the model loads; the caller must not change it.
func (sh *Shape) SortedMembers() []Member {
	if sh.members == nil && len(sh.Members) > 0 {
		return sortedMembers(sh) // a shape built outside Load
	}
	return sh.members
}

func sortedMembers(sh *Shape) []Member {
	ms := make([]Member, 0, len(sh.Members))
	for name, ref := range sh.Members {
		if ref != nil {
			ms = append(ms, Member{name, ref})
		}
	}
	slices.SortFunc(ms, func(a, b Member) int {
		if a.Ref.Order != b.Ref.Order {
			return cmp.Compare(a.Ref.Order, b.Ref.Order)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return ms
}

// Shape returns the named shape or nil.
func (s *Service) Shape(name string) *Shape { return s.Shapes[name] }

// InputShape returns the input shape of op, or nil if it takes none.
func (s *Service) InputShape(op string) *Shape {
	o := s.Operations[op]
	if o == nil || o.Input == nil {
		return nil
	}
	return s.Shapes[o.Input.Shape]
}

// OutputShape returns the output shape of op, or nil if it has none.
func (s *Service) OutputShape(op string) *Shape {
	o := s.Operations[op]
	if o == nil || o.Output == nil {
		return nil
	}
	return s.Shapes[o.Output.Shape]
}

// ErrorStatus returns the HTTP status the model gives the error code, and
// whether the model knows the code as an error of this service.
func (s *Service) ErrorStatus(code string) (status int, fault, ok bool) {
	sh := s.Shapes[code]
	if sh == nil || !sh.Exception {
		return 0, false, false
	}
	if sh.Error != nil && sh.Error.HTTPStatusCode != 0 {
		return sh.Error.HTTPStatusCode, sh.Fault, true
	}
	return 0, sh.Fault, true
}
