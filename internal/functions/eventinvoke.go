package functions

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// eventInvokeRecord is how a function, version or alias handles its Event
// invocations (PutFunctionEventInvokeConfig): nil members keep Lambda's
// defaults.
type eventInvokeRecord struct {
	MaxRetries *int32    `json:"maxRetries,omitempty"` // 0-2
	MaxAge     *int32    `json:"maxAge,omitempty"`     // seconds, 60-21600
	OnSuccess  string    `json:"onSuccess,omitempty"`  // a destination ARN
	OnFailure  string    `json:"onFailure,omitempty"`
	Modified   time.Time `json:"modified"`
}

// eventInvokeKey is the key of qualifier's settings in
// functionRecord.EventInvoke: Lambda keeps the unqualified function's
// under $LATEST.
func eventInvokeKey(qualifier string) string {
	if qualifier == "" {
		return latest
	}
	return qualifier
}

// retries and maxAge are the record's settings, Lambda's defaults where
// none is set (a nil record included).
func (e *eventInvokeRecord) retries() int {
	if e == nil || e.MaxRetries == nil {
		return asyncRetryAttempts
	}
	return int(*e.MaxRetries)
}

func (e *eventInvokeRecord) maxAge() time.Duration {
	if e == nil || e.MaxAge == nil {
		return asyncMaxEventAge
	}
	return time.Duration(*e.MaxAge) * time.Second
}

func (e *eventInvokeRecord) destination(success bool) string {
	switch {
	case e == nil:
		return ""
	case success:
		return e.OnSuccess
	}
	return e.OnFailure
}

func (e *eventInvokeRecord) output(fn *functionRecord, qualifier string) *FunctionEventInvokeConfig {
	out := &FunctionEventInvokeConfig{FunctionArn: qualified(fn.ARN, qualifier), LastModified: sealbox.At(e.Modified),
		MaximumRetryAttempts: e.MaxRetries, MaximumEventAgeInSeconds: e.MaxAge, DestinationConfig: &DestinationConfig{}}
	if e.OnSuccess != "" {
		out.DestinationConfig.OnSuccess = &OnSuccess{Destination: e.OnSuccess}
	}
	if e.OnFailure != "" {
		out.DestinationConfig.OnFailure = &OnFailure{Destination: e.OnFailure}
	}
	return out
}

// Destination kinds Lambda takes for asynchronous invocations; of them,
// sealbox delivers to functions only.
var destinationServices = map[string]bool{"lambda": true, "sqs": true, "sns": true, "events": true, "s3": true}

// checkDestination refuses what Lambda refuses as an Event destination
// of fn: not a function, queue, topic, event bus or (on failure only)
// bucket; the function itself.
func checkDestination(fn *functionRecord, arn string, success bool) error {
	if arn == "" {
		return nil
	}
	a, err := sealbox.ParseARN(arn)
	if err != nil || !destinationServices[a.Service] || success && a.Service == "s3" {
		return errInvalid("The provided destination config DestinationConfig(onSuccess=%s, onFailure=%s) is invalid.", dest(success, arn, true), dest(success, arn, false))
	}
	if a.Service == "lambda" {
		if !strings.HasPrefix(a.Resource, "function:") {
			return errInvalid("The provided destination %s is not a Lambda function.", arn)
		}
		parts := strings.Split(a.Resource, ":")
		if a.Region == fn.Region && a.AccountID == fn.Account && len(parts) >= 2 && parts[1] == fn.Name {
			return errInvalid("You can't specify the function as a destination for itself.")
		}
	}
	return nil
}

// dest words one member of the destination config in Lambda's refusal.
func dest(success bool, arn string, forSuccess bool) string {
	switch {
	case success != forSuccess:
		return "null"
	case forSuccess:
		return "OnSuccess(destination=" + arn + ")"
	}
	return "OnFailure(destination=" + arn + ")"
}

// checkEventInvoke checks the members Put and Update take.
func checkEventInvoke(fn *functionRecord, retries, age *int32, d *DestinationConfig) error {
	if retries != nil && (*retries < 0 || *retries > 2) {
		return errValidation("1 validation error detected: Value '%d' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value %s", *retries, map[bool]string{true: "greater than or equal to 0", false: "less than or equal to 2"}[*retries < 0])
	}
	if age != nil && (*age < 60 || *age > 21600) {
		return errValidation("1 validation error detected: Value '%d' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value %s", *age, map[bool]string{true: "greater than or equal to 60", false: "less than or equal to 21600"}[*age < 60])
	}
	if d != nil {
		if d.OnSuccess != nil {
			if err := checkDestination(fn, d.OnSuccess.Destination, true); err != nil {
				return err
			}
		}
		if d.OnFailure != nil {
			if err := checkDestination(fn, d.OnFailure.Destination, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// PutFunctionEventInvokeConfig sets how a function, version or alias
// handles its Event invocations, replacing every earlier setting:
// MaximumRetryAttempts and MaximumEventAgeInSeconds bound the retries of
// async.go, and DestinationConfig names where the record of a success or
// a failure goes (a function served here gets it; other services' are
// kept and not delivered, with a warning and an audit event each time).
func (s *Service) PutFunctionEventInvokeConfig(ctx context.Context, in *PutFunctionEventInvokeConfigRequest) (*FunctionEventInvokeConfig, error) {
	return s.putEventInvoke(ctx, "lambda:PutFunctionEventInvokeConfig", in.FunctionName, in.Qualifier, in.MaximumRetryAttempts, in.MaximumEventAgeInSeconds, in.DestinationConfig, true)
}

// UpdateFunctionEventInvokeConfig changes the settings it names, keeping
// the others; there must be settings to update.
func (s *Service) UpdateFunctionEventInvokeConfig(ctx context.Context, in *UpdateFunctionEventInvokeConfigRequest) (*FunctionEventInvokeConfig, error) {
	return s.putEventInvoke(ctx, "lambda:UpdateFunctionEventInvokeConfig", in.FunctionName, in.Qualifier, in.MaximumRetryAttempts, in.MaximumEventAgeInSeconds, in.DestinationConfig, false)
}

func errNoEventInvoke(arn string) error {
	return sealbox.Errorf("ResourceNotFoundException", "The function %s doesn't have an EventInvokeConfig", arn)
}

func (s *Service) putEventInvoke(ctx context.Context, action, name, qualifier string, retries, age *int32, d *DestinationConfig, replace bool) (*FunctionEventInvokeConfig, error) {
	ref, err := parseFunction(sealbox.MustRequest(ctx), name, qualifier)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, action, ref, nil)
	if err != nil {
		return nil, err
	}
	if err := checkEventInvoke(t.fn, retries, age, d); err != nil {
		return nil, err
	}
	key := eventInvokeKey(ref.qualifier)
	var out *eventInvokeRecord
	if _, err := s.update(ctx, t.fn, "", func(_ store.Tx, f *functionRecord) error {
		cur := f.EventInvoke[key]
		var e eventInvokeRecord
		switch {
		case replace:
		case cur == nil:
			return errNoEventInvoke(qualified(f.ARN, key))
		default:
			e = *cur
		}
		if retries != nil || replace {
			e.MaxRetries = retries
		}
		if age != nil || replace {
			e.MaxAge = age
		}
		if d != nil && d.OnSuccess != nil || replace {
			e.OnSuccess = ""
			if d != nil && d.OnSuccess != nil {
				e.OnSuccess = d.OnSuccess.Destination
			}
		}
		if d != nil && d.OnFailure != nil || replace {
			e.OnFailure = ""
			if d != nil && d.OnFailure != nil {
				e.OnFailure = d.OnFailure.Destination
			}
		}
		e.Modified = s.clock.Now().UTC()
		if f.EventInvoke == nil {
			f.EventInvoke = map[string]*eventInvokeRecord{}
		}
		f.EventInvoke[key], out = &e, &e
		return nil
	}); err != nil {
		return nil, err
	}
	return out.output(t.fn, key), nil
}

// GetFunctionEventInvokeConfig answers a function's, version's or alias's
// Event settings.
func (s *Service) GetFunctionEventInvokeConfig(ctx context.Context, in *GetFunctionEventInvokeConfigRequest) (*FunctionEventInvokeConfig, error) {
	ref, err := parseFunction(sealbox.MustRequest(ctx), in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:GetFunctionEventInvokeConfig", ref, nil)
	if err != nil {
		return nil, err
	}
	key := eventInvokeKey(ref.qualifier)
	e := t.fn.EventInvoke[key]
	if e == nil {
		return nil, errNoEventInvoke(qualified(t.fn.ARN, key))
	}
	return e.output(t.fn, key), nil
}

// DeleteFunctionEventInvokeConfig removes them: Lambda's defaults apply
// again.
func (s *Service) DeleteFunctionEventInvokeConfig(ctx context.Context, in *DeleteFunctionEventInvokeConfigRequest) (*Empty, error) {
	ref, err := parseFunction(sealbox.MustRequest(ctx), in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:DeleteFunctionEventInvokeConfig", ref, nil)
	if err != nil {
		return nil, err
	}
	key := eventInvokeKey(ref.qualifier)
	if _, err := s.update(ctx, t.fn, "", func(_ store.Tx, f *functionRecord) error {
		if f.EventInvoke[key] == nil {
			return errNoEventInvoke(qualified(f.ARN, key))
		}
		delete(f.EventInvoke, key)
		return nil
	}); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListFunctionEventInvokeConfigs lists a function's settings, of every
// qualifier, a page (MaxItems, 1-50) at a time.
func (s *Service) ListFunctionEventInvokeConfigs(ctx context.Context, in *ListFunctionEventInvokeConfigsRequest) (*ListFunctionEventInvokeConfigsResponse, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:ListFunctionEventInvokeConfigs", ref, nil)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(t.fn.EventInvoke))
	for k := range t.fn.EventInvoke {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	start := 0
	if in.Marker != "" {
		after, err := decodeMarker(in.Marker)
		if err != nil {
			return nil, errInvalidMarker()
		}
		start = sort.Search(len(keys), func(i int) bool { return keys[i] > after })
	}
	size := pageSize(in.MaxItems)
	out := &ListFunctionEventInvokeConfigsResponse{FunctionEventInvokeConfigs: []FunctionEventInvokeConfig{}}
	for i := start; i < len(keys); i++ {
		if len(out.FunctionEventInvokeConfigs) == size {
			out.NextMarker = encodeMarker(keys[i-1])
			break
		}
		out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, *t.fn.EventInvoke[keys[i]].output(t.fn, keys[i]))
	}
	return out, nil
}
