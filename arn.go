package sealbox

import (
	"errors"
	"strings"
)

// ARN is an Amazon Resource Name split into its parts:
// arn:partition:service:region:account-id:resource.
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// ErrInvalidARN is returned by ParseARN for a string that is not an ARN.
var ErrInvalidARN = errors.New("invalid ARN")

// ParseARN splits s into its parts. It checks the shape only.
func ParseARN(s string) (ARN, error) {
	// Cut, not SplitN: every KMS call with a key ARN parses one, and a
	// slice of parts would be its only allocation.
	var p [5]string
	rest := s
	for i := range p {
		var ok bool
		if p[i], rest, ok = strings.Cut(rest, ":"); !ok {
			return ARN{}, ErrInvalidARN
		}
	}
	if p[0] != "arn" || p[1] == "" || p[2] == "" {
		return ARN{}, ErrInvalidARN
	}
	return ARN{Partition: p[1], Service: p[2], Region: p[3], AccountID: p[4], Resource: rest}, nil
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// PartitionFor returns the partition AWS uses for region: aws-cn for the
// China regions, aws-us-gov for GovCloud, aws for the rest.
func PartitionFor(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}
