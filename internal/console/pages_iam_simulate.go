package console

import (
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// contextTypes are IAM's ContextKeyType values, for the form's select.
var contextTypes = []string{"string", "stringList", "numeric", "numericList", "boolean", "booleanList",
	"ip", "ipList", "binary", "binaryList", "date", "dateList"}

// contextRow is one context entry of the simulator's form: its values
// comma-separated.
type contextRow struct {
	Key, Type, Values string
}

type simulateData struct {
	Principals []string // users' and roles' ARNs from the first page of each list
	Principal  string   // the one simulated
	Typed      string   // Principal, when the select does not offer it
	Actions    string
	Resources  string
	Context    []contextRow
	Types      []string
	Ran        bool
	Results    []iamtypes.EvaluationResult
	Errors     []string // the lists the caller may not read
}

// fields splits a form's list on commas, spaces and new lines.
func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (c *Console) iamSimulate(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, q := r.Context(), r.URL.Query()
	d := &simulateData{Types: contextTypes, Actions: q.Get("actions"), Resources: q.Get("resources")}
	// A typed ARN wins over the select's.
	d.Principal = strings.TrimSpace(q.Get("arn"))
	if d.Principal == "" {
		d.Principal = q.Get("principal")
	}
	if u, err := s.api.IAM.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(detailMax)}); err != nil {
		d.Errors = append(d.Errors, "Users: "+asAPIError(err).Error())
	} else {
		for _, x := range u.Users {
			d.Principals = append(d.Principals, deref(x.Arn))
		}
	}
	if ro, err := s.api.IAM.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(detailMax)}); err != nil {
		d.Errors = append(d.Errors, "Roles: "+asAPIError(err).Error())
	} else {
		for _, x := range ro.Roles {
			d.Principals = append(d.Principals, deref(x.Arn))
		}
	}
	d.Typed = d.Principal
	for _, p := range d.Principals {
		if p == d.Principal {
			d.Typed = ""
		}
	}
	keys, types, values := q["ck"], q["ct"], q["cv"]
	var entries []iamtypes.ContextEntry
	for i, k := range keys {
		row := contextRow{Key: strings.TrimSpace(k), Type: "string"}
		if i < len(types) {
			row.Type = types[i]
		}
		if i < len(values) {
			row.Values = values[i]
		}
		if row.Key == "" {
			continue
		}
		d.Context = append(d.Context, row)
		var vals []string
		for _, v := range strings.Split(row.Values, ",") {
			vals = append(vals, strings.TrimSpace(v))
		}
		entries = append(entries, iamtypes.ContextEntry{ContextKeyName: aws.String(row.Key),
			ContextKeyType: iamtypes.ContextKeyTypeEnum(row.Type), ContextKeyValues: vals})
	}
	// Two empty rows to add entries without script.
	d.Context = append(d.Context, contextRow{Type: "string"}, contextRow{Type: "string"})

	actions := fields(d.Actions)
	if d.Principal == "" || len(actions) == 0 {
		c.show(w, s, "iam_simulate", "iam", "Policy simulator", d, nil)
		return
	}
	p := iam.NewSimulatePrincipalPolicyPaginator(s.api.IAM, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(d.Principal),
		ActionNames: actions, ResourceArns: fields(d.Resources), ContextEntries: entries})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			c.show(w, s, "iam_simulate", "iam", "Policy simulator", d, err)
			return
		}
		d.Results = append(d.Results, page.EvaluationResults...)
	}
	d.Ran = true
	c.show(w, s, "iam_simulate", "iam", "Policy simulator", d, nil)
}
