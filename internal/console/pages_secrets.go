package console

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

func (c *Console) secretsRoutes() {
	c.route("GET /console/secrets", c.secretList)
	c.route("POST /console/secrets", c.secretCreate)
	c.route("GET /console/secrets/view", c.secretView)
	c.route("POST /console/secrets/view", c.secretAction)
}

// secretFilterKeys are ListSecrets' filter keys the search box offers.
var secretFilterKeys = []string{"all", "name", "description", "tag-key", "tag-value"}

type secretListData struct {
	Secrets    []smtypes.SecretListEntry
	Query, Key string
	Keys       []string
	Next       string
	Token      string
	Notice     string
}

func (c *Console) secretList(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := &secretListData{Query: strings.TrimSpace(q.Get("q")), Key: q.Get("key"), Keys: secretFilterKeys,
		Token: q.Get("token"), Notice: q.Get("notice")}
	if !slices.Contains(secretFilterKeys, d.Key) {
		d.Key = "all"
	}
	// ListSecrets gives every column: no call per secret.
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(pageSize), SortOrder: smtypes.SortOrderTypeAsc, SortBy: smtypes.SortByTypeName}
	if d.Query != "" {
		in.Filters = []smtypes.Filter{{Key: smtypes.FilterNameStringType(d.Key), Values: strings.Fields(d.Query)}}
	}
	if d.Token != "" {
		in.NextToken = aws.String(d.Token)
	}
	out, err := s.api.Secrets.ListSecrets(r.Context(), in)
	if err == nil {
		d.Secrets, d.Next = out.SecretList, deref(out.NextToken)
	}
	c.show(w, s, "secrets_list", "secrets", "Secrets", d, err)
}

func (c *Console) secretCreate(w http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(r.PostFormValue("value"))}
	if v := strings.TrimSpace(r.PostFormValue("description")); v != "" {
		in.Description = aws.String(v)
	}
	if v := strings.TrimSpace(r.PostFormValue("key_id")); v != "" {
		in.KmsKeyId = aws.String(v)
	}
	if _, err := s.api.Secrets.CreateSecret(r.Context(), in); err != nil {
		c.show(w, s, "secrets_list", "secrets", "Secrets", &secretListData{Keys: secretFilterKeys, Key: "all"}, err)
		return
	}
	done(w, r, secretURL(name), "Secret created.")
}

func secretURL(id string) string { return "/console/secrets/view?id=" + url.QueryEscape(id) }

// rotationEvents are the audit events a secret's rotation history shows:
// the calls that make new versions or move labels, and what the rotation
// itself records.
var rotationEvents = []string{"RotateSecret", "CancelRotateSecret", "PutSecretValue", "UpdateSecretVersionStage",
	"RotationStarted", "RotationStep", "RotationSucceeded", "RotationFailed",
	"TestRotationStarted", "TestRotationSucceeded", "TestRotationFailed"}

type rotationEvent struct {
	Time, Name, Who, Step, Outcome, Error string
}

type secretViewData struct {
	ID       string
	Meta     *secretsmanager.DescribeSecretOutput
	Versions []smtypes.SecretVersionsListEntry
	Stages   []string // every staging label, for the reveal form
	Policy   string
	Schema   string // sealbox's validation rule, the sealbox:validation-schema tag
	History  []rotationEvent
	Rotator  string // the rotate form's function: the secret's, or the built-in
	Value    string // after a reveal POST only
	Revealed bool
	Stage    string // the revealed version's stage
	Notice   string
	Errors   []string
}

func (c *Console) secretView(w http.ResponseWriter, r *http.Request, s *session) {
	c.secretPage(w, r, s, r.URL.Query().Get("id"), nil, nil)
}

// secretPage renders a secret's page; value, when set, is a reveal's
// answer, actionErr an action's failure.
func (c *Console) secretPage(w http.ResponseWriter, r *http.Request, s *session, id string, value *secretsmanager.GetSecretValueOutput, actionErr error) {
	ctx := r.Context()
	d := &secretViewData{ID: id, Notice: r.URL.Query().Get("notice")}
	title := "Secret " + id
	meta, err := s.api.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		c.show(w, s, "secrets_view", "secrets", title, d, err)
		return
	}
	d.Meta = meta
	part := func(what string, err error) bool {
		if err != nil {
			d.Errors = append(d.Errors, what+": "+asAPIError(err).Error())
		}
		return err == nil
	}
	for _, t := range meta.Tags {
		if deref(t.Key) == "sealbox:validation-schema" {
			d.Schema = indentJSON(deref(t.Value))
		}
	}
	d.Rotator = deref(meta.RotationLambdaARN)
	if d.Rotator == "" {
		d.Rotator = "arn:aws:lambda:" + s.Region + ":" + s.Account + ":function:sealbox-generate-password"
	}
	vers := secretsmanager.NewListSecretVersionIdsPaginator(s.api.Secrets, &secretsmanager.ListSecretVersionIdsInput{
		SecretId: meta.ARN, IncludeDeprecated: aws.Bool(true), MaxResults: aws.Int32(100)})
	for vers.HasMorePages() {
		page, err := vers.NextPage(ctx)
		if !part("Versions", err) {
			break
		}
		d.Versions = append(d.Versions, page.Versions...)
	}
	// Newest first; the labels' versions before the rest.
	sort.SliceStable(d.Versions, func(i, j int) bool {
		a, b := d.Versions[i], d.Versions[j]
		if (len(a.VersionStages) > 0) != (len(b.VersionStages) > 0) {
			return len(a.VersionStages) > 0
		}
		return aws.ToTime(a.CreatedDate).After(aws.ToTime(b.CreatedDate))
	})
	stages := map[string]bool{}
	for _, v := range meta.VersionIdsToStages {
		for _, st := range v {
			stages[st] = true
		}
	}
	for st := range stages {
		d.Stages = append(d.Stages, st)
	}
	sort.Strings(d.Stages)
	pol, err := s.api.Secrets.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: meta.ARN})
	if part("Resource policy", err) {
		d.Policy = indentJSON(deref(pol.ResourcePolicy))
	}
	// From the secret's creation on: the trail before it holds none of its
	// events, and the lookup then reads only the blocks since.
	ev, err := s.api.CloudTrail.LookupEvents(ctx, &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(50), StartTime: meta.CreatedDate,
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyResourceName, AttributeValue: meta.ARN}}})
	if part("Rotation history (audit trail)", err) {
		d.History = rotationHistory(ev.Events)
	}
	if value != nil {
		d.Revealed, d.Stage = true, r.PostFormValue("stage")
		d.Value = deref(value.SecretString)
		if value.SecretString == nil {
			d.Value = "(binary, base64) " + base64.StdEncoding.EncodeToString(value.SecretBinary)
		}
	}
	c.show(w, s, "secrets_view", "secrets", title, d, actionErr)
}

// rotationHistory picks the events that change a secret's versions.
func rotationHistory(events []cttypes.Event) []rotationEvent {
	var out []rotationEvent
	for _, e := range events {
		if !slices.Contains(rotationEvents, deref(e.EventName)) {
			continue
		}
		re := rotationEvent{Time: fmtTime(e.EventTime), Name: deref(e.EventName), Who: deref(e.Username)}
		var rec struct {
			ErrorCode    string `json:"errorCode"`
			ErrorMessage string `json:"errorMessage"`
			UserIdentity struct {
				InvokedBy string `json:"invokedBy"`
			} `json:"userIdentity"`
			Additional struct {
				Step    string `json:"step"`
				Outcome string `json:"outcome"`
			} `json:"additionalEventData"`
		}
		if json.Unmarshal([]byte(deref(e.CloudTrailEvent)), &rec) == nil {
			re.Step, re.Outcome = rec.Additional.Step, rec.Additional.Outcome
			re.Error = strings.TrimSpace(rec.ErrorCode + " " + rec.ErrorMessage)
			if re.Who == "" {
				re.Who = rec.UserIdentity.InvokedBy
			}
		}
		out = append(out, re)
	}
	return out
}

// indentJSON lays out a policy or schema for reading, its keys in their
// order; what is not JSON stays as it is.
func indentJSON(s string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(s), "", "  ") != nil {
		return s
	}
	return b.String()
}

// secretAction is one of a secret page's forms.
func (c *Console) secretAction(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	id := r.URL.Query().Get("id")
	var err error
	var notice string
	switch r.PostFormValue("action") {
	case "reveal":
		// The value goes into this answer only: no redirect, no URL.
		in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}
		if st := r.PostFormValue("stage"); st != "" {
			in.VersionStage = aws.String(st)
		}
		out, err := s.api.Secrets.GetSecretValue(ctx, in)
		c.secretPage(w, r, s, id, out, err)
		return
	case "put":
		_, err = s.api.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(id), SecretString: aws.String(r.PostFormValue("value"))})
		notice = "New value put; it is AWSCURRENT."
	case "rotate":
		in := &secretsmanager.RotateSecretInput{SecretId: aws.String(id)}
		if v := strings.TrimSpace(r.PostFormValue("lambda")); v != "" {
			in.RotationLambdaARN = aws.String(v)
		}
		if v := strings.TrimSpace(r.PostFormValue("schedule")); v != "" {
			in.RotationRules = &smtypes.RotationRulesType{ScheduleExpression: aws.String(v)}
		} else if v := strings.TrimSpace(r.PostFormValue("days")); v != "" {
			n, convErr := strconv.ParseInt(v, 10, 64)
			if convErr != nil {
				c.fail(w, r, s, http.StatusBadRequest, "The days must be a number.")
				return
			}
			in.RotationRules = &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(n)}
		}
		var out *secretsmanager.RotateSecretOutput
		out, err = s.api.Secrets.RotateSecret(ctx, in)
		if err == nil {
			notice = "Rotation started: version " + deref(out.VersionId) + " becomes AWSCURRENT when it succeeds."
		}
	default:
		c.fail(w, r, s, http.StatusBadRequest, "That action is not one the console knows.")
		return
	}
	if err != nil {
		c.secretPage(w, r, s, id, nil, err)
		return
	}
	done(w, r, secretURL(id), notice)
}
