package console

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// count is one figure of the overview: how many, or why the caller cannot
// see it.
type count struct {
	Name, Link string
	N          int
	Err        string
}

type overviewData struct {
	Counts []count

	// Keys pending deletion among the first maxPendingScan keys (More:
	// there are others, not looked at).
	Pending    []pendingKey
	PendingErr string
	More       bool
	// Secrets whose rotation is due (NextRotationDate past), and the
	// failed rotation attempts the trail records.
	Due              []dueSecret
	DueErr           string
	RotationFails    []auditRow
	RotationFailsErr string
	// The newest denied calls among the newest events.
	Denials    []auditRow
	DenialsErr string
	// The trail's state (CloudTrail's GetTrailStatus of the trail
	// "sealbox"): whether it logs, its last delivery and digest, and what
	// fails.
	Trail    *trailState
	TrailErr string
	// Findings of the trail's own checks (AuditTrailTamperingDetected).
	Findings    []auditRow
	FindingsErr string
	Scanned     int // the newest events looked through for denials
}

// trailState is GetTrailStatus' answer as the panel shows it.
type trailState struct {
	Logging                    bool
	Started, Delivered, Digest *time.Time
	DeliveryErr, DigestErr     string
}

// The trail GetTrailStatus reads: sealbox's one trail, named in its home
// region, us-east-1 (by its name there; elsewhere only its ARN names it).
const (
	trailName   = "sealbox"
	trailRegion = "us-east-1"
)

// trailStatus reads the trail's state as the session's principal.
func trailStatus(ctx context.Context, s *session) (*trailState, error) {
	out, err := s.api.CloudTrail.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(trailName)},
		func(o *cloudtrail.Options) { o.Region = trailRegion })
	if err != nil {
		return nil, err
	}
	return &trailState{Logging: aws.ToBool(out.IsLogging), Started: out.StartLoggingTime, Delivered: out.LatestDeliveryTime,
		Digest: out.LatestDigestDeliveryTime, DeliveryErr: deref(out.LatestDeliveryError), DigestErr: deref(out.LatestDigestDeliveryError)}, nil
}

type pendingKey struct {
	ID       string
	Deletion *time.Time
}

type dueSecret struct {
	Name string
	Next *time.Time
}

// maxPendingScan bounds the DescribeKey calls the overview makes: KMS
// lists keys without their state.
const maxPendingScan = 200

// deniedScanPages is how many pages of the newest events the overview
// reads for denials: LookupEvents cannot filter on errorCode.
const deniedScanPages = 10

// errText is an API error as a panel shows it ("" for none).
func errText(err error) string {
	if err == nil {
		return ""
	}
	return asAPIError(err).Error()
}

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	d := &overviewData{}
	add := func(name, link string, n int, err error) {
		ct := count{Name: name, Link: link, N: n}
		if err != nil {
			ct.Err = asAPIError(err).Error()
		}
		d.Counts = append(d.Counts, ct)
	}
	n, err := countKeys(ctx, s)
	add("KMS keys", "/console/kms", n, err)
	n, err = countParameters(ctx, s)
	add("Parameters", "/console/parameters", n, err)
	n, d.Due, err = listSecrets(ctx, s, c.opts.Clock.Now())
	add("Secrets", "/console/secrets", n, err)
	d.DueErr = errText(err)
	n, err = countFunctions(ctx, s)
	add("Functions", "/console/functions", n, err)

	d.Pending, d.More, err = pendingKeys(ctx, s)
	d.PendingErr = errText(err)
	d.RotationFails, _, err = gather(ctx, s, byName("RotationFailed", 5), nil, 5, 5)
	d.RotationFailsErr = errText(err)
	d.Trail, err = trailStatus(ctx, s)
	d.TrailErr = errText(err)
	// The trail's own findings are recorded in us-east-1, as AWS records
	// its global events, whatever region the session reads.
	d.Findings, _, err = gather(ctx, s, byName("AuditTrailTamperingDetected", 5), nil, 5, 5, func(o *cloudtrail.Options) { o.Region = "us-east-1" })
	d.FindingsErr = errText(err)
	// Last, so that a denial of the calls above is among them.
	d.Denials, _, err = gather(ctx, s, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(pageSize)},
		func(r *auditRow) bool { return r.Denied }, 10, deniedScanPages)
	d.DenialsErr = errText(err)
	d.Scanned = deniedScanPages * pageSize
	c.show(w, s, "overview", "overview", "Overview", d, nil)
}

// byName looks up the newest events named name.
func byName(name string, max int32) *cloudtrail.LookupEventsInput {
	return &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(max),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}}}
}

// pendingKeys are the keys pending deletion among the first
// maxPendingScan; more says there are keys after them.
func pendingKeys(ctx context.Context, s *session) (out []pendingKey, more bool, err error) {
	keys, err := s.api.KMS.ListKeys(ctx, &kms.ListKeysInput{Limit: aws.Int32(maxPendingScan)})
	if err != nil {
		return nil, false, err
	}
	for _, k := range keys.Keys {
		dk, err := s.api.KMS.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
		if err != nil {
			return out, keys.Truncated, err
		}
		if m := dk.KeyMetadata; m.KeyState == kmstypes.KeyStatePendingDeletion {
			out = append(out, pendingKey{ID: deref(m.KeyId), Deletion: m.DeletionDate})
		}
	}
	return out, keys.Truncated, nil
}

func countKeys(ctx context.Context, s *session) (int, error) {
	n := 0
	p := kms.NewListKeysPaginator(s.api.KMS, &kms.ListKeysInput{Limit: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(page.Keys)
	}
	return n, nil
}

func countParameters(ctx context.Context, s *session) (int, error) {
	n := 0
	p := ssm.NewDescribeParametersPaginator(s.api.SSM, &ssm.DescribeParametersInput{MaxResults: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(page.Parameters)
	}
	return n, nil
}

// listSecrets counts the secrets and finds those whose rotation is due:
// ListSecrets answers each one's NextRotationDate.
func listSecrets(ctx context.Context, s *session, now time.Time) (n int, due []dueSecret, err error) {
	p := secretsmanager.NewListSecretsPaginator(s.api.Secrets, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, due, err
		}
		n += len(page.SecretList)
		for _, e := range page.SecretList {
			if aws.ToBool(e.RotationEnabled) && e.NextRotationDate != nil && e.NextRotationDate.Before(now) {
				due = append(due, dueSecret{Name: deref(e.Name), Next: e.NextRotationDate})
			}
		}
	}
	return n, due, nil
}

func countFunctions(ctx context.Context, s *session) (int, error) {
	n := 0
	p := lambda.NewListFunctionsPaginator(s.api.Lambda, &lambda.ListFunctionsInput{MaxItems: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += len(page.Functions)
	}
	return n, nil
}
