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
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return ARN{}, ErrInvalidARN
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}, nil
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
