package console

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/sealbox/sealbox/internal/suggest"
)

// The audit pages read the trail with CloudTrail's LookupEvents, signed as
// the signed-in principal: only a caller allowed cloudtrail:LookupEvents
// sees any of it, and each lookup is itself an audited call. A lookup reads
// the events of the session's region (IAM's are us-east-1's), as in AWS.

func (c *Console) auditRoutes() {
	c.route("GET /console/audit", c.auditList)
	c.route("GET /console/audit/event", c.auditEvent)
	c.route("GET /console/audit/principal", c.auditPrincipal)
	c.route("GET /console/audit/suggest", c.auditSuggest)
}

// lookupKeys are the lookup attributes the filter offers.
var lookupKeys = []string{"EventName", "Username", "ResourceName", "ResourceType", "EventSource", "ReadOnly", "AccessKeyId", "EventId"}

// auditRow is one event as a table shows it: LookupEvents' summary and
// the parts of its CloudTrailEvent the summary lacks.
type auditRow struct {
	ID, Name, Source, Username, SourceIP, ErrorCode, ErrorMessage string
	ARN, IssuerARN, UserAgent                                     string
	Resource                                                      string // the first the event names
	Time                                                          time.Time
	Denied                                                        bool
	JSON                                                          string
}

// record is what a row reads of CloudTrailEvent.
type record struct {
	SourceIPAddress string `json:"sourceIPAddress"`
	ErrorCode       string `json:"errorCode"`
	ErrorMessage    string `json:"errorMessage"`
	UserAgent       string `json:"userAgent"`
	UserIdentity    struct {
		ARN            string `json:"arn"`
		SessionContext *struct {
			SessionIssuer *struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
}

func newAuditRow(e cttypes.Event) auditRow {
	row := auditRow{ID: deref(e.EventId), Name: deref(e.EventName), Source: deref(e.EventSource),
		Username: deref(e.Username), Time: aws.ToTime(e.EventTime), JSON: deref(e.CloudTrailEvent)}
	if len(e.Resources) > 0 {
		row.Resource = deref(e.Resources[0].ResourceName)
	}
	var rec record
	if json.Unmarshal([]byte(row.JSON), &rec) == nil {
		row.SourceIP, row.ErrorCode, row.ErrorMessage, row.UserAgent = rec.SourceIPAddress, rec.ErrorCode, rec.ErrorMessage, rec.UserAgent
		row.ARN = rec.UserIdentity.ARN
		if sc := rec.UserIdentity.SessionContext; sc != nil && sc.SessionIssuer != nil {
			row.IssuerARN = sc.SessionIssuer.ARN
		}
	}
	// CloudTrail records every denial as AccessDenied, whatever the
	// service's wire code.
	row.Denied = strings.HasPrefix(row.ErrorCode, "AccessDenied")
	return row
}

// auditFilter is the list's filter form, carried in the query.
type auditFilter struct {
	Key, Value, Start, End string
}

func filterOf(q url.Values) auditFilter {
	return auditFilter{Key: q.Get("key"), Value: strings.TrimSpace(q.Get("value")), Start: q.Get("start"), End: q.Get("end")}
}

// nextPage is the link to the page after this one, with the same filter
// (a NextToken holds only with the query it was given for).
func nextPage(path, next string, params ...string) string {
	v := url.Values{"next": {next}}
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] != "" {
			v.Set(params[i], params[i+1])
		}
	}
	return path + "?" + v.Encode()
}

// input is the filter as a LookupEvents request, or the reason it is not
// one.
func (f auditFilter) input() (*cloudtrail.LookupEventsInput, string) {
	in := &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(pageSize)}
	if f.Value != "" {
		key := f.Key
		if key == "" {
			key = "EventName"
		}
		in.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKey(key), AttributeValue: aws.String(f.Value)}}
	}
	for _, t := range []struct {
		name, v string
		to      **time.Time
	}{{"Start time", f.Start, &in.StartTime}, {"End time", f.End, &in.EndTime}} {
		if t.v == "" {
			continue
		}
		at, err := parseWhen(t.v)
		if err != nil {
			return nil, t.name + " " + strconv.Quote(t.v) + " is not a time: give it as 2006-01-02T15:04 (UTC) or RFC 3339."
		}
		*t.to = &at
	}
	return in, ""
}

// parseWhen reads a datetime-local input's value (in UTC) or RFC 3339.
func parseWhen(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

type auditListData struct {
	Filter auditFilter
	Keys   []string
	Rows   []auditRow
	Next   string // the next page's link
}

func (c *Console) auditList(w http.ResponseWriter, r *http.Request, s *session) {
	d := &auditListData{Filter: filterOf(r.URL.Query()), Keys: lookupKeys}
	in, bad := d.Filter.input()
	if bad != "" {
		c.badInput(w, s, "audit_list", "audit", "Audit trail", d, bad)
		return
	}
	if n := r.URL.Query().Get("next"); n != "" {
		in.NextToken = aws.String(n)
	}
	out, err := s.api.CloudTrail.LookupEvents(r.Context(), in)
	if err == nil {
		for _, e := range out.Events {
			d.Rows = append(d.Rows, newAuditRow(e))
		}
		if n := deref(out.NextToken); n != "" {
			f := d.Filter
			d.Next = nextPage("/console/audit", n, "key", f.Key, "value", f.Value, "start", f.Start, "end", f.End)
		}
	}
	c.show(w, s, "audit_list", "audit", "Audit trail", d, err)
}

// badInput shows page with a form value's fault, as a 400.
func (c *Console) badInput(w http.ResponseWriter, s *session, page, nav, title string, data any, msg string) {
	c.render(w, http.StatusBadRequest, page, &view{Title: title, Nav: nav, Session: s, Data: data,
		Error: &apiError{Status: http.StatusBadRequest, Code: "InvalidInput", Message: msg}})
}

// maxLookupPages bounds the LookupEvents calls one page makes when it
// looks for something a filter cannot name (each reads at most 10,000
// events of the trail).
const maxLookupPages = 50

type auditEventData struct {
	Row    auditRow
	Pretty string
}

func (c *Console) auditEvent(w http.ResponseWriter, r *http.Request, s *session) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	d := &auditEventData{}
	in := &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventId, AttributeValue: aws.String(id)}}}
	rows, _, err := gather(r.Context(), s, in, nil, 1, maxLookupPages)
	if err != nil {
		c.show(w, s, "audit_event", "audit", "Audit event", d, err)
		return
	}
	if len(rows) == 0 {
		c.render(w, http.StatusNotFound, "audit_event", &view{Title: "Audit event", Nav: "audit", Session: s, Data: d,
			Error: &apiError{Status: http.StatusNotFound, Code: "NotFound", Message: "No event of this region's trail has the id " + strconv.Quote(id) + "."}})
		return
	}
	d.Row = rows[0]
	var b bytes.Buffer
	if json.Indent(&b, []byte(d.Row.JSON), "", "  ") == nil {
		d.Pretty = b.String()
	} else {
		d.Pretty = d.Row.JSON
	}
	c.show(w, s, "audit_event", "audit", "Audit event "+d.Row.Name, d, nil)
}

// gather pages through LookupEvents from in, keeping the events keep
// accepts (nil: all), until want are kept, pages calls were made or the
// trail ends; next is the NextToken to go on from ("" at the end).
func gather(ctx context.Context, s *session, in *cloudtrail.LookupEventsInput, keep func(*auditRow) bool, want, pages int, opts ...func(*cloudtrail.Options)) (rows []auditRow, next string, err error) {
	for range pages {
		out, err := s.api.CloudTrail.LookupEvents(ctx, in, opts...)
		if err != nil {
			return rows, "", err
		}
		for _, e := range out.Events {
			row := newAuditRow(e)
			if keep == nil || keep(&row) {
				rows = append(rows, row)
			}
		}
		next = deref(out.NextToken)
		if next == "" || len(rows) >= want {
			return rows, next, nil
		}
		in.NextToken = aws.String(next)
	}
	return rows, next, nil
}

// principalQuery is whom a timeline or a suggestion is about: an ARN (a
// user, a role with all its sessions, an assumed-role session) or a
// Username as LookupEvents knows it.
type principalQuery struct {
	ARN, Username string
}

// lookup is the LookupEvents request that finds the principal's events,
// and the check each answered event must pass: the Username filter when
// the ARN names one (a user's name, a session's name), the ARN itself on
// each event, since Username alone does not tell a user from a session
// of the same name. A role's sessions have no common Username: its events
// are found by reading the trail.
func (p principalQuery) lookup() (*cloudtrail.LookupEventsInput, func(*auditRow) bool) {
	in := &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(pageSize)}
	name := p.Username
	if p.ARN != "" {
		name = usernameOf(p.ARN)
	}
	if name != "" {
		in.LookupAttributes = []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String(name)}}
	}
	if p.ARN == "" {
		return in, nil
	}
	return in, func(row *auditRow) bool { return row.ARN == p.ARN || row.IssuerARN == p.ARN }
}

// usernameOf is CloudTrail's Username of the events of arn ("" for a
// role, whose sessions each have their own).
func usernameOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	res := parts[5]
	switch {
	case res == "root":
		return "root"
	case strings.HasPrefix(res, "user/"), strings.HasPrefix(res, "assumed-role/"):
		return res[strings.LastIndexByte(res, '/')+1:]
	}
	return ""
}

type day struct {
	Day  string
	Rows []auditRow
}

type timelineData struct {
	Principal principalQuery
	Days      []day
	Next      string // the next page's link
	Events    int
	Denied    int
	// SuggestARN is the ARN a policy can be suggested for: the query's,
	// or the IAM user's the events name.
	SuggestARN string
}

func (c *Console) auditPrincipal(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	p := principalQuery{ARN: strings.TrimSpace(q.Get("arn")), Username: strings.TrimSpace(q.Get("username"))}
	d := &timelineData{Principal: p}
	title := "Timeline of " + p.ARN + p.Username
	if p.ARN == "" && p.Username == "" {
		c.badInput(w, s, "audit_timeline", "audit", "Timeline", d, "Name a principal: its ARN or its Username.")
		return
	}
	in, keep := p.lookup()
	if n := q.Get("next"); n != "" {
		in.NextToken = aws.String(n)
	}
	rows, next, err := gather(r.Context(), s, in, keep, pageSize, maxLookupPages)
	if next != "" {
		d.Next = nextPage("/console/audit/principal", next, "arn", p.ARN, "username", p.Username)
	}
	d.Events = len(rows)
	d.SuggestARN = p.ARN
	// LookupEvents answers newest first: a day's group follows the one
	// after it.
	for _, row := range rows {
		dd := row.Time.UTC().Format("Monday 2 January 2006")
		if n := len(d.Days); n == 0 || d.Days[n-1].Day != dd {
			d.Days = append(d.Days, day{Day: dd})
		}
		d.Days[len(d.Days)-1].Rows = append(d.Days[len(d.Days)-1].Rows, row)
		if row.Denied {
			d.Denied++
		}
		if d.SuggestARN == "" && strings.Contains(row.ARN, ":user/") {
			d.SuggestARN = row.ARN
		}
	}
	c.show(w, s, "audit_timeline", "audit", title, d, err)
}

// maxSuggestEvents bounds the events a suggestion reads.
const maxSuggestEvents = 10000

type suggestData struct {
	ARN       string
	Days      int
	Since     time.Time
	Events    int
	Truncated bool
	Policy    string
	None      bool
}

// auditSuggest draws the smallest policy that allows what the principal
// did, as `sealbox iam suggest-policy` does from the files, from the
// events LookupEvents answers the signed-in caller.
func (c *Console) auditSuggest(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := &suggestData{ARN: strings.TrimSpace(q.Get("arn")), Days: 30}
	if n, err := strconv.Atoi(q.Get("days")); err == nil {
		d.Days = n
	}
	if d.ARN == "" || d.Days < 1 || d.Days > 90 {
		c.badInput(w, s, "audit_suggest", "audit", "Suggest a policy", d, "Name a user or role by its ARN, and a number of days from 1 to 90 (the trail keeps 90 days by default).")
		return
	}
	d.Since = c.opts.Clock.Now().Add(-time.Duration(d.Days) * 24 * time.Hour)
	in, keep := principalQuery{ARN: d.ARN}.lookup()
	in.StartTime = aws.Time(d.Since)
	rows, next, err := gather(r.Context(), s, in, keep, maxSuggestEvents, maxSuggestEvents/pageSize)
	if err != nil {
		c.show(w, s, "audit_suggest", "audit", "Suggest a policy", d, err)
		return
	}
	d.Events, d.Truncated = len(rows), next != ""
	events := make([]suggest.Event, 0, len(rows))
	for _, row := range rows {
		// CloudTrailEvent is the record the trail's files hold, which
		// suggest.Event decodes (as suggest.ReadDir does).
		var e suggest.Event
		if json.Unmarshal([]byte(row.JSON), &e) == nil {
			events = append(events, e)
		}
	}
	p, ok := suggest.Suggest(events, d.ARN, d.Since)
	if !ok {
		d.None = true
	} else if b, err := json.MarshalIndent(p, "", "  "); err == nil {
		d.Policy = string(b)
	}
	c.show(w, s, "audit_suggest", "audit", "Suggest a policy", d, nil)
}
