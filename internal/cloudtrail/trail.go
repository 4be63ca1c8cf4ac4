package cloudtrail

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
)

// TrailName is the name of sealbox's one trail: the audit trail every
// call is recorded on (its file and store sinks, hash-chained and signed).
// DescribeTrails, GetTrail and GetTrailStatus describe it; it cannot be
// created, changed, stopped or deleted through the API.
const TrailName = "sealbox"

// TrailStatus is the trail's state, as the server reads it from its sinks.
type TrailStatus struct {
	// Logging: some sink takes events (the calls are answered).
	Logging bool
	// LatestDelivery is the newest event a sink (the files or the store)
	// has written since the server started; zero if none.
	LatestDelivery time.Time
	// DeliveryError says why the sinks that fail do ("" when none does):
	// nothing secret, no event's content.
	DeliveryError string
	// LatestDigest is when the newest signed digest was signed; zero if
	// none is known.
	LatestDigest time.Time
	// DigestError says why signing a digest last failed, and names the
	// latest tampering finding; "" when neither.
	DigestError string
	// Started is when the server started, and with it the trail.
	Started time.Time
}

// Trail reads the trail's state: the server.
type Trail interface {
	TrailStatus(ctx context.Context) (TrailStatus, error)
}

// TrailInfo is the JSON shape Trail of DescribeTrails and GetTrail.
//
// S3BucketName is left out: sealbox writes no S3 bucket, and naming its
// audit folder there would send a client (aws s3 sync, a log shipper)
// looking for a bucket that does not exist, and tell every caller a path
// of the server's disk. The folder is the operator's to know (README, "The
// audit trail"); GetTrailStatus reports how delivery to it goes.
type TrailInfo struct {
	Name                       string `json:"Name"`
	IncludeGlobalServiceEvents bool   `json:"IncludeGlobalServiceEvents"`
	IsMultiRegionTrail         bool   `json:"IsMultiRegionTrail"`
	HomeRegion                 string `json:"HomeRegion"`
	TrailARN                   string `json:"TrailARN"`
	LogFileValidationEnabled   bool   `json:"LogFileValidationEnabled"`
	HasCustomEventSelectors    bool   `json:"HasCustomEventSelectors"`
	HasInsightSelectors        bool   `json:"HasInsightSelectors"`
	IsOrganizationTrail        bool   `json:"IsOrganizationTrail"`
}

// DescribeTrailsInput is DescribeTrails' request.
type DescribeTrailsInput struct {
	TrailNameList       []string `json:"trailNameList,omitempty"`
	IncludeShadowTrails *bool    `json:"includeShadowTrails,omitempty"`
}

// DescribeTrailsOutput is DescribeTrails' answer.
type DescribeTrailsOutput struct {
	TrailList []TrailInfo `json:"trailList"`
}

// GetTrailInput is GetTrail's request, and GetTrailStatus'.
type GetTrailInput struct {
	Name string `json:"Name"`
}

// GetTrailOutput is GetTrail's answer.
type GetTrailOutput struct {
	Trail *TrailInfo `json:"Trail,omitempty"`
}

// GetTrailStatusOutput is GetTrailStatus' answer.
type GetTrailStatusOutput struct {
	IsLogging                bool               `json:"IsLogging"`
	LatestDeliveryError      string             `json:"LatestDeliveryError,omitempty"`
	LatestDeliveryTime       *sealbox.Timestamp `json:"LatestDeliveryTime,omitempty"`
	StartLoggingTime         *sealbox.Timestamp `json:"StartLoggingTime,omitempty"`
	LatestDigestDeliveryTime *sealbox.Timestamp `json:"LatestDigestDeliveryTime,omitempty"`
	LatestDigestDeliveryErr  string             `json:"LatestDigestDeliveryError,omitempty"`
	// TimeLoggingStarted is "no longer in use" in AWS's model, but AWS
	// still answers it (ISO 8601, seconds, UTC), and scripts read it.
	TimeLoggingStarted string `json:"TimeLoggingStarted,omitempty"`
}

// trailARN is the trail's ARN.
func (s *Service) trailARN() string {
	return "arn:aws:cloudtrail:" + s.home + ":" + s.account + ":trail/" + TrailName
}

// info is the trail as DescribeTrails and GetTrail answer it.
func (s *Service) info() TrailInfo {
	return TrailInfo{
		Name: TrailName,
		// Every service's calls, IAM's and STS's included, in every
		// region a request signs for, with digests signed.
		IncludeGlobalServiceEvents: true,
		IsMultiRegionTrail:         true,
		HomeRegion:                 s.home,
		TrailARN:                   s.trailARN(),
		LogFileValidationEnabled:   true,
	}
}

// A trail name or ARN, as CloudTrail checks them.
const (
	minNameLen = 3
	maxNameLen = 128
	arnExample = "arn:aws:cloudtrail:us-east-2:123456789012:trail/MyTrail"
)

// ref is a trail name or ARN of a request, checked.
type ref struct {
	name  string // as given
	isARN bool
	// arn is the trail ARN it designates from the caller's region: a
	// name designates its region's trail.
	arn string
}

// parseRef checks a trail name or ARN as CloudTrail does: the error is
// CloudTrail's InvalidTrailNameException or CloudTrailARNInvalidException.
func (s *Service) parseRef(region, v string) (ref, error) {
	if strings.HasPrefix(v, "arn:") {
		a, err := sealbox.ParseARN(v)
		name, isTrail := strings.CutPrefix(a.Resource, "trail/")
		if err != nil || a.Service != "cloudtrail" || a.Region == "" || a.AccountID == "" || !isTrail {
			return ref{}, sealbox.Errorf("CloudTrailARNInvalidException",
				"%s is not a valid trail ARN. The following is the format of a trail ARN: %s", v, arnExample)
		}
		if err := checkName(name); err != nil {
			return ref{}, sealbox.Errorf("CloudTrailARNInvalidException",
				"%s is not a valid trail ARN. The following is the format of a trail ARN: %s", v, arnExample)
		}
		return ref{name: v, isARN: true, arn: v}, nil
	}
	if err := checkName(v); err != nil {
		return ref{}, err
	}
	return ref{name: v, arn: "arn:aws:cloudtrail:" + region + ":" + s.account + ":trail/" + v}, nil
}

// checkName checks a trail name, with CloudTrail's messages.
func checkName(n string) error {
	switch {
	case len(n) < minNameLen:
		return sealbox.Errorf("InvalidTrailNameException", "Trail name too short. Minimum allowed length: %d characters. Specified name length: %d characters.", minNameLen, len(n))
	case len(n) > maxNameLen:
		return sealbox.Errorf("InvalidTrailNameException", "Trail name too long. Maximum allowed length: %d characters. Specified name length: %d characters.", maxNameLen, len(n))
	case !alnum(n[0]):
		return sealbox.Errorf("InvalidTrailNameException", "Trail name must starts with a letter or number.")
	case !alnum(n[len(n)-1]):
		return sealbox.Errorf("InvalidTrailNameException", "Trail name must ends with a letter or number.")
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !alnum(c) && c != '.' && c != '-' && c != '_' {
			return sealbox.Errorf("InvalidTrailNameException", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
		}
	}
	return nil
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isTrail says whether r designates the trail from the caller's region: its
// ARN from any region (a multi-region trail's shadow), its name in its
// home region only, as CloudTrail resolves them.
func (s *Service) isTrail(r ref) bool {
	return r.arn == s.trailARN()
}

// authorize asks whether the caller may call action on the trail ARN arn.
func (s *Service) authorize(ctx context.Context, action, arn string) error {
	if s.authz == nil {
		return nil
	}
	return s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: action, Resource: arn})
}

// request is the caller's request, or an error outside one.
func request(ctx context.Context) (*sealbox.Request, error) {
	r := sealbox.RequestFromContext(ctx)
	if r == nil {
		return nil, errors.New("cloudtrail: a call outside a request")
	}
	return r, nil
}

// DescribeTrails describes the trails of the caller's region: sealbox's
// trail, in its home region, and elsewhere as a shadow of it (a
// multi-region trail), unless includeShadowTrails is false. Names in
// trailNameList match the region's own trails only; a shadow trail is
// named by its ARN. It is authorized as cloudtrail:DescribeTrails on the
// trail's ARN (the one trail it can describe).
func (s *Service) DescribeTrails(ctx context.Context, in *DescribeTrailsInput) (*DescribeTrailsOutput, error) {
	r, err := request(ctx)
	if err != nil {
		return nil, err
	}
	want := len(in.TrailNameList) == 0
	for _, v := range in.TrailNameList {
		ref, err := s.parseRef(r.Region, v)
		if err != nil {
			return nil, err
		}
		want = want || s.isTrail(ref)
	}
	if err := s.authorize(ctx, "cloudtrail:DescribeTrails", s.trailARN()); err != nil {
		return nil, err
	}
	out := &DescribeTrailsOutput{TrailList: []TrailInfo{}}
	shadow := r.Region != s.home
	if want && !(shadow && len(in.TrailNameList) == 0 && in.IncludeShadowTrails != nil && !*in.IncludeShadowTrails) {
		out.TrailList = append(out.TrailList, s.info())
	}
	return out, nil
}

// trail resolves GetTrail's and GetTrailStatus' Name after authorizing
// action on the ARN it designates: a caller who may not read the trail
// learns nothing of which trails exist. arnInError: the error names the
// ARN the name designates (GetTrailStatus), not the name as given.
func (s *Service) trail(ctx context.Context, action, name string, arnInError bool) error {
	r, err := request(ctx)
	if err != nil {
		return err
	}
	ref, err := s.parseRef(r.Region, name)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, action, ref.arn); err != nil {
		return err
	}
	if !s.isTrail(ref) {
		named := ref.name
		if arnInError {
			// GetTrailStatus names the ARN the name designates.
			named = ref.arn
		}
		return sealbox.Errorf("TrailNotFoundException", "Unknown trail: %s for the user: %s", named, s.account)
	}
	return nil
}

// GetTrail describes the trail Name names (its name in its home region,
// its ARN in any), authorized as cloudtrail:GetTrail on its ARN.
func (s *Service) GetTrail(ctx context.Context, in *GetTrailInput) (*GetTrailOutput, error) {
	if err := s.trail(ctx, "cloudtrail:GetTrail", in.Name, false); err != nil {
		return nil, err
	}
	t := s.info()
	return &GetTrailOutput{Trail: &t}, nil
}

// GetTrailStatus answers the trail's state from its sinks (Trail),
// authorized as cloudtrail:GetTrailStatus on its ARN.
func (s *Service) GetTrailStatus(ctx context.Context, in *GetTrailInput) (*GetTrailStatusOutput, error) {
	if err := s.trail(ctx, "cloudtrail:GetTrailStatus", in.Name, true); err != nil {
		return nil, err
	}
	if s.status == nil {
		return nil, errors.New("cloudtrail: no trail status configured")
	}
	st, err := s.status.TrailStatus(ctx)
	if err != nil {
		return nil, err
	}
	out := &GetTrailStatusOutput{IsLogging: st.Logging, LatestDeliveryError: st.DeliveryError, LatestDigestDeliveryErr: st.DigestError}
	at := func(t time.Time) *sealbox.Timestamp {
		if t.IsZero() {
			return nil
		}
		return sealbox.At(t)
	}
	out.LatestDeliveryTime = at(st.LatestDelivery)
	out.LatestDigestDeliveryTime = at(st.LatestDigest)
	out.StartLoggingTime = at(st.Started)
	if !st.Started.IsZero() {
		out.TimeLoggingStarted = st.Started.UTC().Format("2006-01-02T15:04:05Z")
	}
	return out, nil
}
