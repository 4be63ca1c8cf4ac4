package server

import (
	"context"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/parameters"
)

// ssmService is the Parameter Store operation table (AWS JSON 1.1,
// X-Amz-Target AmazonSSM.<Op>): each served operation, whether it changes
// state (CloudTrail's readOnly), and the method that serves it.
func ssmService(p *parameters.Service) *awsapi.Service {
	return &awsapi.Service{
		Name:          "ssm",
		EventSource:   "ssm.amazonaws.com",
		InternalError: "InternalServerError",
		Operations: []awsapi.Operation{
			awsapi.Write("PutParameter", p.PutParameter),
			awsapi.Read("GetParameter", p.GetParameter),
			awsapi.Read("GetParameters", p.GetParameters),
			awsapi.Read("GetParametersByPath", p.GetParametersByPath),
			awsapi.Read("DescribeParameters", p.DescribeParameters),
			awsapi.Read("GetParameterHistory", p.GetParameterHistory),
			awsapi.Write("LabelParameterVersion", p.LabelParameterVersion),
			awsapi.Write("UnlabelParameterVersion", p.UnlabelParameterVersion),
			awsapi.Write("DeleteParameter", p.DeleteParameter),
			awsapi.Write("DeleteParameters", p.DeleteParameters),
			awsapi.Write("AddTagsToResource", p.AddTagsToResource),
			awsapi.Write("RemoveTagsFromResource", p.RemoveTagsFromResource),
			awsapi.Read("ListTagsForResource", p.ListTagsForResource),
		},
	}
}

// policyNotifier records the notifications of parameter policies as audit
// events. CloudTrail records what an AWS service does on its own to an
// account's resources as eventType "AwsServiceEvent" by userIdentity
// {type: AWSService, invokedBy: <service>}; the eventName is the policy
// type (Expiration, ExpirationNotification, NoChangeNotification), the
// policy-type field of the "Parameter Store Policy Action" events AWS
// sends for the same moments. No value is ever part of one.
type policyNotifier struct {
	audit     *audit.Logger
	accountID string
}

func (n *policyNotifier) Notify(ctx context.Context, p *parameters.Notification) error {
	return n.audit.Log(ctx, &audit.Event{
		EventVersion:       "1.08",
		UserIdentity:       audit.UserIdentity{Type: "AWSService", InvokedBy: "ssm.amazonaws.com"},
		EventTime:          p.Time,
		EventSource:        "ssm.amazonaws.com",
		EventName:          p.PolicyType,
		AWSRegion:          p.Region,
		SourceIPAddress:    "ssm.amazonaws.com",
		UserAgent:          "ssm.amazonaws.com",
		RequestParameters:  nil,
		ResponseElements:   nil,
		RequestID:          ids.UUID(),
		EventID:            ids.UUID(),
		ReadOnly:           p.PolicyType != "Expiration",
		Resources:          []audit.ResourceRef{{AccountID: p.AccountID, Type: "AWS::SSM::Parameter", ARN: p.ARN}},
		EventType:          "AwsServiceEvent",
		ManagementEvent:    true,
		RecipientAccountID: n.accountID,
		EventCategory:      "Management",
		AdditionalData: map[string]any{
			"policyType": p.PolicyType,
			"policy":     p.PolicyText,
			"name":       p.Name,
			"version":    p.Version,
		},
	})
}
