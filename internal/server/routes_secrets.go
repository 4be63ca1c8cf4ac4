package server

import (
	"context"
	"encoding/json"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/secrets/rotation"
	"github.com/sealbox/sealbox/internal/webhook"
)

// webhookTargets are the rotation endpoints of the --rotation-targets file,
// by RotationLambdaARN.
type webhookTargets map[string]*webhook.Target

func (w webhookTargets) Rotator(lambdaARN string) (rotation.Rotator, bool) {
	t, ok := w[lambdaARN]
	if !ok {
		return nil, false
	}
	return &webhookRotator{t: t}, true
}

// webhookRotator sends each step's event, signed, to an HTTPS endpoint;
// the endpoint does the step's work by calling sealbox back with its own
// credentials, as a Lambda rotation function calls Secrets Manager. A 2xx
// answer is the step's success.
type webhookRotator struct{ t *webhook.Target }

func (w *webhookRotator) send(ctx context.Context, ev *rotation.Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return w.t.Send(ctx, body)
}

func (w *webhookRotator) CreateSecret(ctx context.Context, ev *rotation.Event) error {
	return w.send(ctx, ev)
}

func (w *webhookRotator) SetSecret(ctx context.Context, ev *rotation.Event) error {
	return w.send(ctx, ev)
}

func (w *webhookRotator) TestSecret(ctx context.Context, ev *rotation.Event) error {
	return w.send(ctx, ev)
}

func (w *webhookRotator) FinishSecret(ctx context.Context, ev *rotation.Event) error {
	return w.send(ctx, ev)
}

// rotationNotifier records rotation as audit events, as CloudTrail records
// what Secrets Manager does on its own: eventType AwsServiceEvent by
// userIdentity {type: AWSService, invokedBy: secretsmanager.amazonaws.com},
// eventSource secretsmanager.amazonaws.com. The eventNames are AWS's
// RotationStarted, RotationSucceeded and RotationFailed (TestRotation… for
// RotateSecret's trial), and RotationStep for each step (additionalEventData.step, .outcome); a failure's reason
// is the errorMessage. No value is ever part of one.
type rotationNotifier struct {
	audit     *audit.Logger
	accountID string
}

func (n *rotationNotifier) Notify(ctx context.Context, r *rotation.Notice) error {
	const svc = "secretsmanager.amazonaws.com"
	e := &audit.Event{
		EventVersion:       "1.08",
		UserIdentity:       audit.UserIdentity{Type: "AWSService", InvokedBy: svc},
		EventTime:          r.Time,
		EventSource:        svc,
		EventName:          r.EventName,
		AWSRegion:          r.Region,
		SourceIPAddress:    svc,
		UserAgent:          svc,
		RequestID:          ids.UUID(),
		EventID:            ids.UUID(),
		Resources:          []audit.ResourceRef{{AccountID: r.AccountID, Type: "AWS::SecretsManager::Secret", ARN: r.ARN}},
		EventType:          "AwsServiceEvent",
		ManagementEvent:    true,
		RecipientAccountID: n.accountID,
		EventCategory:      "Management",
		AdditionalData: map[string]any{
			"name":              r.Name,
			"versionId":         r.VersionID,
			"rotationLambdaARN": r.LambdaARN,
			"attempt":           r.Attempt,
		},
	}
	if r.Step != "" {
		e.AdditionalData["step"] = r.Step
		outcome := "Succeeded"
		if r.Failed {
			outcome = "Failed"
		}
		e.AdditionalData["outcome"] = outcome
	}
	if r.Failed {
		e.ErrorCode, e.ErrorMessage = "RotationFailed", r.Message
	}
	return n.audit.Log(ctx, e)
}
