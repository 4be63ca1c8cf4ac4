// Package suggest draws a least-privilege identity policy from the audit
// trail, as IAM Access Analyzer's policy generation does from CloudTrail:
// the actions a principal performed, grouped by service, on the resources it
// performed them on, with the encryption-context conditions that held for
// every use and kms:ViaService where a service always called KMS for it.
package suggest

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
)

// Event is the part of a CloudTrail-shaped audit event the suggestion reads.
type Event struct {
	EventTime    time.Time `json:"eventTime"`
	EventSource  string    `json:"eventSource"`
	EventName    string    `json:"eventName"`
	EventType    string    `json:"eventType"`
	AWSRegion    string    `json:"awsRegion"`
	ErrorCode    string    `json:"errorCode"`
	Account      string    `json:"recipientAccountId"`
	UserIdentity struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		InvokedBy      string `json:"invokedBy"`
		SessionContext *struct {
			SessionIssuer *struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters map[string]any `json:"requestParameters"`
	Resources         []struct {
		Type string `json:"type"`
		ARN  string `json:"ARN"`
	} `json:"resources"`
}

// by reports whether e is a call made by principal: the user or role with
// that ARN, or any session of that role.
func (e *Event) by(principal string) bool {
	u := e.UserIdentity
	if u.ARN == principal {
		return true
	}
	return u.SessionContext != nil && u.SessionContext.SessionIssuer != nil && u.SessionContext.SessionIssuer.ARN == principal
}

// notActions are events that no identity policy governs: sealbox's own
// calls that answer only what the caller may already read, the records a
// call keeps beside its own, and calls every principal may make.
var notActions = map[string]bool{
	"lambda:GetFunctionEnvironment":      true, // allowed to the function's own role by the role alone
	"lambda:ResolveEnvironmentReference": true, // a record; the reads it names are their own events
	"sealbox:GetChanges":                 true,
	"sts:GetCallerIdentity":              true,
}

// resourceTypes are the resource types an action of each service is
// granted on, as the audit event lists them.
var resourceTypes = map[string]string{
	"kms":            "AWS::KMS::Key",
	"ssm":            "AWS::SSM::Parameter",
	"secretsmanager": "AWS::SecretsManager::Secret",
	"lambda":         "AWS::Lambda::Function",
	"iam":            "", // any listed
	"sts":            "",
}

// Statement is one statement of the suggested policy.
type Statement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Action    []string                     `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// Policy is an IAM policy document.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// use is one action on one resource, with the conditions that held for
// every use of it (nil once they varied).
type use struct {
	action, resource string
	conditions       map[string]string
	first            bool
}

// Suggest returns the smallest identity policy that allows every call the
// principal (a user or role ARN) made since since, and nothing else: one
// statement per service and set of resources and conditions. Calls that
// failed were not done (a denial, or a resource that was not there) and are
// left out; a call made
// through another service (userIdentity.invokedBy, as a SecureString read's
// kms:Decrypt) is the principal's own permission too, with kms:ViaService
// when it always came through the same service. ok is false when no call
// was found.
func Suggest(events []Event, principal string, since time.Time) (p *Policy, ok bool) {
	uses := map[string]*use{}
	var order []string
	for i := range events {
		e := &events[i]
		if !e.by(principal) || e.EventTime.Before(since) || e.EventType != "AwsApiCall" || e.ErrorCode != "" {
			continue
		}
		service, _, _ := strings.Cut(e.EventSource, ".")
		action := service + ":" + e.EventName
		if notActions[action] {
			continue
		}
		for _, res := range resourcesOf(e, service) {
			k := action + "\x00" + res
			u := uses[k]
			if u == nil {
				u = &use{action: action, resource: res, first: true}
				uses[k] = u
				order = append(order, k)
			}
			u.merge(conditionsOf(e, service))
		}
	}
	if len(uses) == 0 {
		return nil, false
	}
	return group(uses, order), true
}

// resourcesOf are the ARNs e's action was performed on, or "*" for an
// action on no resource (ListSecrets, GenerateRandom).
func resourcesOf(e *Event, service string) []string {
	if service == "ssm" && e.EventName == "GetParametersByPath" {
		// Granted on the path, not on the parameters it answered.
		path, _ := e.RequestParameters["path"].(string)
		return []string{"arn:" + sealbox.PartitionFor(e.AWSRegion) + ":ssm:" + e.AWSRegion + ":" + e.Account + ":parameter" + strings.TrimSuffix(path, "/")}
	}
	want, known := resourceTypes[service]
	var out []string
	for _, r := range e.Resources {
		if r.ARN != "" && (!known || want == "" || r.Type == want) {
			out = append(out, r.ARN)
		}
	}
	if len(out) == 0 {
		out = []string{"*"}
	}
	return out
}

// volatileContext are encryption-context keys whose value changes in the
// normal life of the resource: pinning one would break the policy at the
// next rotation, however constant it was in the trail.
var volatileContext = map[string]bool{"SecretVersionId": true}

// conditionsOf are the condition keys a statement could pin for e: its
// encryption context and the service that made the call for the
// principal (KMS), and the path and overwrite keys (Parameter Store).
func conditionsOf(e *Event, service string) map[string]string {
	c := map[string]string{}
	if service == "kms" {
		if ec, ok := e.RequestParameters["encryptionContext"].(map[string]any); ok {
			for k, v := range ec {
				if s, ok := v.(string); ok && !volatileContext[k] {
					c["kms:EncryptionContext:"+k] = s
				}
			}
		}
		if by := e.UserIdentity.InvokedBy; by != "" && e.AWSRegion != "" {
			via, _, _ := strings.Cut(by, ".")
			c["kms:ViaService"] = via + "." + e.AWSRegion + ".amazonaws.com"
		}
	}
	if service == "ssm" {
		// A path's reads and a parameter's writes have their own keys:
		// whether a by-path read went down the tree, whether a put
		// replaced a value.
		switch e.EventName {
		case "GetParametersByPath":
			c["ssm:Recursive"] = boolParam(e.RequestParameters, "recursive")
		case "PutParameter":
			c["ssm:Overwrite"] = boolParam(e.RequestParameters, "overwrite")
		}
	}
	return c
}

// boolParam is a boolean request parameter as a condition value; absent
// is false, as the service reads it.
func boolParam(params map[string]any, name string) string {
	if b, _ := params[name].(bool); b {
		return "true"
	}
	return "false"
}

// merge keeps the conditions that hold for this use and all before it.
func (u *use) merge(c map[string]string) {
	if u.first {
		u.conditions, u.first = c, false
		return
	}
	for k, v := range u.conditions {
		if c[k] != v {
			delete(u.conditions, k)
		}
	}
}

// group makes one statement per service, condition set and resource set.
func group(uses map[string]*use, order []string) *Policy {
	type key struct{ service, resources, conditions string }
	type stmt struct {
		actions, resources map[string]bool
		cond               map[string]string
	}
	// First the resources each action-with-conditions needs.
	type ac struct{ action, conditions string }
	resOf := map[ac]map[string]bool{}
	condOf := map[ac]map[string]string{}
	var acs []ac
	for _, k := range order {
		u := uses[k]
		a := ac{u.action, canonical(u.conditions)}
		if resOf[a] == nil {
			resOf[a] = map[string]bool{}
			condOf[a] = u.conditions
			acs = append(acs, a)
		}
		resOf[a][u.resource] = true
	}
	// Then actions sharing a service, a resource set and conditions share
	// a statement.
	stmts := map[key]*stmt{}
	var keys []key
	for _, a := range acs {
		service, _, _ := strings.Cut(a.action, ":")
		res := sortedKeys(resOf[a])
		if len(res) > 1 && resOf[a]["*"] {
			res = []string{"*"}
		}
		k := key{service, strings.Join(res, ","), a.conditions}
		s := stmts[k]
		if s == nil {
			s = &stmt{actions: map[string]bool{}, resources: map[string]bool{}, cond: condOf[a]}
			stmts[k] = s
			keys = append(keys, k)
		}
		s.actions[a.action] = true
		for _, r := range res {
			s.resources[r] = true
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].service < keys[j].service })
	p := &Policy{Version: "2012-10-17"}
	count := map[string]int{}
	for _, k := range keys {
		s := stmts[k]
		count[k.service]++
		st := Statement{Sid: sid(k.service, count[k.service]), Effect: "Allow", Action: sortedKeys(s.actions), Resource: sortedKeys(s.resources)}
		if len(s.cond) > 0 {
			st.Condition = map[string]map[string]string{}
			for ck, cv := range s.cond {
				op := "StringEquals"
				if strings.ContainsAny(cv, "*?") {
					op = "StringLike"
				}
				if st.Condition[op] == nil {
					st.Condition[op] = map[string]string{}
				}
				st.Condition[op][ck] = cv
			}
		}
		p.Statement = append(p.Statement, st)
	}
	return p
}

func sid(service string, n int) string {
	s := strings.ToUpper(service[:1]) + service[1:]
	if n > 1 {
		s += strconv.Itoa(n)
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func canonical(m map[string]string) string {
	b, _ := json.Marshal(m) // encoding/json sorts map keys
	return string(b)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ReadDir reads the audit events of the JSON-lines files in dir (a data
// folder's audit folder), oldest file first. A line that is not an event is
// skipped.
func ReadDir(dir string) ([]Event, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Event
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			var e Event
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.EventName != "" {
				out = append(out, e)
			}
		}
		err = sc.Err()
		fh.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
