// Package cloudtrail serves CloudTrail's LookupEvents over the audit trail
// the store keeps (internal/audit's store sink), so that `aws cloudtrail
// lookup-events` and every SDK read sealbox's events as they read AWS's;
// and DescribeTrails, GetTrail and GetTrailStatus of the one trail sealbox
// keeps, "sealbox", whose status the server reads from its sinks (trail.go).
//
// As in AWS, a lookup reads the events of the caller's region (the region
// the request is signed for; IAM's events are us-east-1's, where IAM is
// signed), newest first, within StartTime and EndTime (both inclusive,
// both optional), filtered by at most one lookup attribute, 50 at most a
// page (the default too). The package never parses HTTP (awsapi does) and
// reads the trail only through the Events interface.
package cloudtrail

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
)

// Events is the trail LookupEvents reads: *audit.StoreSink.
type Events interface {
	// Lookup calls fn with the records whose eventTime is within
	// [start, end] (zero bounds are open), newest first, after cursor,
	// until fn returns false; a cursor it did not give fails with
	// audit.ErrCursor.
	Lookup(ctx context.Context, start, end time.Time, cursor string, fn func(cursor string, record []byte) (bool, error)) error
}

// Config configures a Service.
type Config struct {
	// Events is the trail; nil when the store sink is not configured, and
	// then LookupEvents says so.
	Events     Events
	Authorizer sealbox.Authorizer
	// Trail reads the trail's state for GetTrailStatus; AccountID and
	// HomeRegion make its ARN (arn:aws:cloudtrail:<home>:<account>:trail/sealbox).
	Trail      Trail
	AccountID  string
	HomeRegion string
}

// Service serves LookupEvents, and DescribeTrails, GetTrail and
// GetTrailStatus of sealbox's one trail (trail.go). Safe for concurrent use.
type Service struct {
	events        Events
	authz         sealbox.Authorizer
	status        Trail
	account, home string
}

// New returns a Service.
func New(c Config) *Service {
	return &Service{events: c.Events, authz: c.Authorizer, status: c.Trail, account: c.AccountID, home: c.HomeRegion}
}

// scanBudget bounds the records one call reads: a filter that matches
// rarely answers a short (even empty) page with a NextToken rather than
// reading the whole trail in one request, as CloudTrail may.
const scanBudget = 10000

const defaultMaxResults = 50

// LookupAttribute is one filter of LookupEvents.
type LookupAttribute struct {
	AttributeKey   string `json:"AttributeKey"`
	AttributeValue string `json:"AttributeValue"`
}

// LookupEventsInput is LookupEvents' request.
type LookupEventsInput struct {
	LookupAttributes []LookupAttribute  `json:"LookupAttributes,omitempty"`
	StartTime        *sealbox.Timestamp `json:"StartTime,omitempty"`
	EndTime          *sealbox.Timestamp `json:"EndTime,omitempty"`
	EventCategory    string             `json:"EventCategory,omitempty"`
	MaxResults       int                `json:"MaxResults,omitempty"`
	NextToken        string             `json:"NextToken,omitempty"`
}

// Resource is one entry of an event's Resources.
type Resource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

// Event is one event of LookupEvents' answer.
type Event struct {
	EventId         string             `json:"EventId,omitempty"`
	EventName       string             `json:"EventName,omitempty"`
	ReadOnly        string             `json:"ReadOnly,omitempty"`
	AccessKeyId     string             `json:"AccessKeyId,omitempty"`
	EventTime       *sealbox.Timestamp `json:"EventTime,omitempty"`
	EventSource     string             `json:"EventSource,omitempty"`
	Username        string             `json:"Username,omitempty"`
	Resources       []Resource         `json:"Resources,omitempty"`
	CloudTrailEvent string             `json:"CloudTrailEvent,omitempty"`
}

// LookupEventsOutput is LookupEvents' answer.
type LookupEventsOutput struct {
	Events    []Event `json:"Events"`
	NextToken string  `json:"NextToken,omitempty"`
}

// LookupEvents looks up the region's events, newest first. It is
// authorized as cloudtrail:LookupEvents on "*" (CloudTrail's lookups have no
// resource).
func (s *Service) LookupEvents(ctx context.Context, in *LookupEventsInput) (*LookupEventsOutput, error) {
	r, err := request(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, "cloudtrail:LookupEvents", "*"); err != nil {
		return nil, err
	}
	q, err := newQuery(r.Region, in)
	if err != nil {
		return nil, err
	}
	cursor := ""
	if in.NextToken != "" {
		if cursor, err = decodeToken(in.NextToken, q.fingerprint()); err != nil {
			return nil, err
		}
	}
	out := &LookupEventsOutput{Events: []Event{}}
	if q.insight {
		// sealbox records management events only: there are no Insights.
		return out, nil
	}
	if s.events == nil {
		return nil, sealbox.Errorf("OperationNotPermittedException", "LookupEvents reads the events the store keeps, and this server does not keep them there: start it with --audit-sinks including store.")
	}
	var last string
	visited, full := 0, false
	err = s.events.Lookup(ctx, q.start, q.end, cursor, func(c string, rec []byte) (bool, error) {
		visited++
		ev, ok := q.match(rec)
		if ok {
			if full {
				// One more matches: there is a next page, after the
				// last event answered.
				out.NextToken = encodeToken(last, q.fingerprint())
				return false, nil
			}
			out.Events = append(out.Events, ev)
			full = len(out.Events) == q.max
		}
		last = c
		if visited >= scanBudget {
			// Read enough for one request: the rest on the next page.
			out.NextToken = encodeToken(last, q.fingerprint())
			return false, nil
		}
		return true, nil
	})
	if errors.Is(err, audit.ErrCursor) {
		return nil, errNextToken()
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// query is one LookupEvents request, checked.
type query struct {
	region     string
	key, value string
	start, end time.Time
	max        int
	insight    bool
}

func newQuery(region string, in *LookupEventsInput) (*query, error) {
	q := &query{region: region, max: in.MaxResults, insight: in.EventCategory == "insight"}
	if q.max == 0 {
		q.max = defaultMaxResults
	}
	if q.max < 1 || q.max > defaultMaxResults {
		return nil, sealbox.Errorf("InvalidMaxResultsException", "Value %d for MaxResults is invalid: it must be between 1 and %d.", in.MaxResults, defaultMaxResults)
	}
	switch len(in.LookupAttributes) {
	case 0:
	case 1:
		a := in.LookupAttributes[0]
		q.key, q.value = a.AttributeKey, a.AttributeValue
		if q.key == "ReadOnly" {
			v := strings.ToLower(q.value)
			if v != "true" && v != "false" {
				return nil, sealbox.Errorf("InvalidLookupAttributesException", "The value %q of the ReadOnly lookup attribute is invalid: it must be true or false.", q.value)
			}
			q.value = v
		}
	default:
		return nil, sealbox.Errorf("InvalidLookupAttributesException", "You can specify only one lookup attribute; %d were given.", len(in.LookupAttributes))
	}
	if in.StartTime != nil {
		q.start = in.StartTime.Time
	}
	if in.EndTime != nil {
		q.end = in.EndTime.Time
	}
	if !q.start.IsZero() && !q.end.IsZero() && q.start.After(q.end) {
		return nil, sealbox.Errorf("InvalidTimeRangeException", "The start time %s is after the end time %s.",
			q.start.UTC().Format(time.RFC3339), q.end.UTC().Format(time.RFC3339))
	}
	return q, nil
}

// record is what a lookup reads of an event record.
type record struct {
	EventID      string    `json:"eventID"`
	EventName    string    `json:"eventName"`
	EventSource  string    `json:"eventSource"`
	EventTime    time.Time `json:"eventTime"`
	AWSRegion    string    `json:"awsRegion"`
	ReadOnly     bool      `json:"readOnly"`
	UserIdentity struct {
		Type        string `json:"type"`
		ARN         string `json:"arn"`
		UserName    string `json:"userName"`
		AccessKeyID string `json:"accessKeyId"`
		InvokedBy   string `json:"invokedBy"`
	} `json:"userIdentity"`
	Resources []struct {
		Type string `json:"type"`
		ARN  string `json:"ARN"`
	} `json:"resources"`
}

// username is CloudTrail's Username of an event: the IAM user's name, an
// assumed role's session name, "root" for the account's root.
func (r *record) username() string {
	u := &r.UserIdentity
	switch u.Type {
	case "IAMUser":
		return u.UserName
	case "Root":
		return "root"
	case "AssumedRole", "FederatedUser":
		return u.ARN[strings.LastIndexByte(u.ARN, '/')+1:]
	case "AWSService":
		return u.InvokedBy
	}
	return u.UserName
}

// match decodes rec and, if it passes the query, returns its answer.
func (q *query) match(rec []byte) (Event, bool) {
	var r record
	if err := json.Unmarshal(rec, &r); err != nil || r.AWSRegion != q.region {
		return Event{}, false
	}
	ok := true
	switch q.key {
	case "EventId":
		ok = r.EventID == q.value
	case "EventName":
		ok = r.EventName == q.value
	case "ReadOnly":
		ok = (r.ReadOnly && q.value == "true") || (!r.ReadOnly && q.value == "false")
	case "Username":
		ok = r.username() == q.value
	case "EventSource":
		ok = r.EventSource == q.value
	case "AccessKeyId":
		ok = r.UserIdentity.AccessKeyID == q.value
	case "ResourceType":
		ok = false
		for _, res := range r.Resources {
			ok = ok || res.Type == q.value
		}
	case "ResourceName":
		ok = false
		for _, res := range r.Resources {
			ok = ok || res.ARN == q.value || audit.ResourceName(res.ARN) == q.value
		}
	}
	if !ok {
		return Event{}, false
	}
	ev := Event{
		EventId:         r.EventID,
		EventName:       r.EventName,
		ReadOnly:        "false",
		AccessKeyId:     r.UserIdentity.AccessKeyID,
		EventTime:       sealbox.At(r.EventTime),
		EventSource:     r.EventSource,
		Username:        r.username(),
		CloudTrailEvent: string(rec),
	}
	if r.ReadOnly {
		ev.ReadOnly = "true"
	}
	for _, res := range r.Resources {
		ev.Resources = append(ev.Resources, Resource{ResourceType: res.Type, ResourceName: res.ARN})
	}
	return ev, true
}
