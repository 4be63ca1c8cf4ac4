package optable

import (
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/cloudtrail"
)

// CloudTrail is CloudTrail's operation table (AWS JSON 1.1,
// X-Amz-Target com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>):
// LookupEvents over the audit trail the store keeps, and DescribeTrails,
// GetTrail and GetTrailStatus of sealbox's own trail. CloudTrail records
// these as read-only management events, and so does sealbox. Creating,
// changing or stopping trails, event data stores and Lake queries are not
// served.
func CloudTrail(s *cloudtrail.Service) *awsapi.Service {
	return &awsapi.Service{
		Name:        "cloudtrail",
		EventSource: "cloudtrail.amazonaws.com",
		// CloudTrail's model has no internal error of its own: the
		// common InternalFailure (HTTP 500).
		InternalError: "InternalFailure",
		Operations: []awsapi.Operation{
			awsapi.Read("LookupEvents", s.LookupEvents),
			awsapi.Read("DescribeTrails", s.DescribeTrails),
			awsapi.Read("GetTrail", s.GetTrail),
			awsapi.Read("GetTrailStatus", s.GetTrailStatus),
		},
	}
}
