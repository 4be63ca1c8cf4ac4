package server

import (
	"context"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/parameters"
)

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
