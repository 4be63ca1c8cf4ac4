package console

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func init() {
	funcs["iamNav"] = iamNav
	funcs["policyJSON"] = policyJSON
}

func (c *Console) iamRoutes() {
	c.route("GET /console/iam", func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, "/console/iam/users", http.StatusSeeOther)
	})
	c.route("GET /console/iam/users", c.iamUsers)
	c.route("GET /console/iam/users/{name}", c.iamUser)
	c.route("GET /console/iam/roles", c.iamRoles)
	c.route("GET /console/iam/roles/{name}", c.iamRole)
	c.route("GET /console/iam/groups", c.iamGroups)
	c.route("GET /console/iam/groups/{name}", c.iamGroup)
	c.route("GET /console/iam/policies", c.iamPolicies)
	c.route("GET /console/iam/policy", c.iamPolicy)
	// The simulator reads and changes nothing, so it is a GET: its results
	// can be linked.
	c.route("GET /console/iam/simulate", c.iamSimulate)
}

var iamTabs = []struct{ id, label, href string }{
	{"users", "Users", "/console/iam/users"},
	{"roles", "Roles", "/console/iam/roles"},
	{"groups", "Groups", "/console/iam/groups"},
	{"policies", "Policies", "/console/iam/policies"},
	{"simulate", "Policy simulator", "/console/iam/simulate"},
}

// iamNav is the IAM pages' own menu, current marked.
func iamNav(current string) template.HTML {
	var b strings.Builder
	b.WriteString(`<nav class="subnav" aria-label="IAM">`)
	for _, t := range iamTabs {
		b.WriteString(`<a href="` + t.href + `"`)
		if t.id == current {
			b.WriteString(` aria-current="page"`)
		}
		b.WriteString(">" + t.label + "</a>")
	}
	b.WriteString("</nav>")
	return template.HTML(b.String())
}

// policyJSON shows a policy document as IAM answers it (URL-encoded, as
// AWS does) decoded and indented; a document that is not JSON is shown as
// it came.
func policyJSON(doc string) string {
	if d, err := url.QueryUnescape(doc); err == nil && json.Valid([]byte(d)) {
		doc = d
	}
	var b bytes.Buffer
	if json.Indent(&b, []byte(doc), "", "  ") != nil {
		return doc
	}
	return b.String()
}

// marker is the list's page marker from the query, for the API.
func marker(r *http.Request) *string {
	if m := r.URL.Query().Get("marker"); m != "" {
		return aws.String(m)
	}
	return nil
}

// nextMarker is the next page's marker, "" on the last page.
func nextMarker(truncated bool, m *string) string {
	if truncated {
		return deref(m)
	}
	return ""
}

type iamListData struct {
	Users    []iamtypes.User
	Roles    []iamtypes.Role
	Groups   []iamtypes.Group
	Policies []iamtypes.Policy
	Scope    string // policies: Local or AWS
	Next     string
}

func (c *Console) iamUsers(w http.ResponseWriter, r *http.Request, s *session) {
	d := &iamListData{}
	out, err := s.api.IAM.ListUsers(r.Context(), &iam.ListUsersInput{MaxItems: aws.Int32(pageSize), Marker: marker(r)})
	if err == nil {
		d.Users, d.Next = out.Users, nextMarker(out.IsTruncated, out.Marker)
	}
	c.show(w, s, "iam_users", "iam", "IAM users", d, err)
}

func (c *Console) iamRoles(w http.ResponseWriter, r *http.Request, s *session) {
	d := &iamListData{}
	out, err := s.api.IAM.ListRoles(r.Context(), &iam.ListRolesInput{MaxItems: aws.Int32(pageSize), Marker: marker(r)})
	if err == nil {
		d.Roles, d.Next = out.Roles, nextMarker(out.IsTruncated, out.Marker)
	}
	c.show(w, s, "iam_roles", "iam", "IAM roles", d, err)
}

func (c *Console) iamGroups(w http.ResponseWriter, r *http.Request, s *session) {
	d := &iamListData{}
	out, err := s.api.IAM.ListGroups(r.Context(), &iam.ListGroupsInput{MaxItems: aws.Int32(pageSize), Marker: marker(r)})
	if err == nil {
		d.Groups, d.Next = out.Groups, nextMarker(out.IsTruncated, out.Marker)
	}
	c.show(w, s, "iam_groups", "iam", "IAM groups", d, err)
}

func (c *Console) iamPolicies(w http.ResponseWriter, r *http.Request, s *session) {
	d := &iamListData{Scope: "Local"}
	if r.URL.Query().Get("scope") == "AWS" {
		d.Scope = "AWS"
	}
	out, err := s.api.IAM.ListPolicies(r.Context(), &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeType(d.Scope),
		MaxItems: aws.Int32(pageSize), Marker: marker(r)})
	if err == nil {
		d.Policies, d.Next = out.Policies, nextMarker(out.IsTruncated, out.Marker)
	}
	c.show(w, s, "iam_policies", "iam", "IAM policies", d, err)
}

// inlinePolicy is an inline policy's name and document.
type inlinePolicy struct {
	Name, Document string
}

// iamEntityData is a user's, role's or group's page. Each list shows up
// to detailMax entries; More names the lists that have more.
type iamEntityData struct {
	User       *iamtypes.User
	Role       *iamtypes.Role
	Group      *iamtypes.Group
	Members    []iamtypes.User
	Groups     []iamtypes.Group
	AccessKeys []iamtypes.AccessKeyMetadata
	Attached   []iamtypes.AttachedPolicy
	Inline     []inlinePolicy
	More       []string
	Errors     []string // the parts the caller may not read
}

// detailMax bounds each list of a detail page.
const detailMax = 100

func (d *iamEntityData) part(what string, err error) {
	if err != nil {
		d.Errors = append(d.Errors, what+": "+asAPIError(err).Error())
	}
}

func (d *iamEntityData) more(what string, truncated bool) {
	if truncated {
		d.More = append(d.More, what)
	}
}

// inline reads up to detailMax inline policies' documents: list names, then
// get each (IAM's list gives only names).
func (d *iamEntityData) inline(names []string, truncated bool, err error, get func(name string) (*string, error)) {
	d.part("Inline policies", err)
	d.more("Inline policies", truncated)
	for _, n := range names {
		doc, err := get(n)
		d.part("Inline policy "+n, err)
		if err == nil {
			d.Inline = append(d.Inline, inlinePolicy{Name: n, Document: deref(doc)})
		}
	}
}

func (c *Console) iamUser(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, name := r.Context(), aws.String(r.PathValue("name"))
	d := &iamEntityData{}
	u, err := s.api.IAM.GetUser(ctx, &iam.GetUserInput{UserName: name})
	if err != nil {
		c.show(w, s, "iam_entity", "iam", "IAM user "+*name, d, err)
		return
	}
	d.User = u.User
	max := aws.Int32(detailMax)
	if g, err := s.api.IAM.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: name, MaxItems: max}); err != nil {
		d.part("Groups", err)
	} else {
		d.Groups = g.Groups
		d.more("Groups", g.IsTruncated)
	}
	if a, err := s.api.IAM.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: name, MaxItems: max}); err != nil {
		d.part("Attached policies", err)
	} else {
		d.Attached = a.AttachedPolicies
		d.more("Attached policies", a.IsTruncated)
	}
	p, err := s.api.IAM.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: name, MaxItems: max})
	if p == nil {
		p = &iam.ListUserPoliciesOutput{}
	}
	d.inline(p.PolicyNames, p.IsTruncated, err, func(n string) (*string, error) {
		out, err := s.api.IAM.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: name, PolicyName: aws.String(n)})
		if err != nil {
			return nil, err
		}
		return out.PolicyDocument, nil
	})
	// ListAccessKeys answers ids, status and dates; secrets are never
	// answered after CreateAccessKey.
	if k, err := s.api.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: name, MaxItems: max}); err != nil {
		d.part("Access keys", err)
	} else {
		d.AccessKeys = k.AccessKeyMetadata
	}
	c.show(w, s, "iam_entity", "iam", "IAM user "+*name, d, nil)
}

func (c *Console) iamRole(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, name := r.Context(), aws.String(r.PathValue("name"))
	d := &iamEntityData{}
	role, err := s.api.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: name})
	if err != nil {
		c.show(w, s, "iam_entity", "iam", "IAM role "+*name, d, err)
		return
	}
	d.Role = role.Role
	max := aws.Int32(detailMax)
	if a, err := s.api.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: name, MaxItems: max}); err != nil {
		d.part("Attached policies", err)
	} else {
		d.Attached = a.AttachedPolicies
		d.more("Attached policies", a.IsTruncated)
	}
	p, err := s.api.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: name, MaxItems: max})
	if p == nil {
		p = &iam.ListRolePoliciesOutput{}
	}
	d.inline(p.PolicyNames, p.IsTruncated, err, func(n string) (*string, error) {
		out, err := s.api.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: name, PolicyName: aws.String(n)})
		if err != nil {
			return nil, err
		}
		return out.PolicyDocument, nil
	})
	c.show(w, s, "iam_entity", "iam", "IAM role "+*name, d, nil)
}

func (c *Console) iamGroup(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, name := r.Context(), aws.String(r.PathValue("name"))
	d := &iamEntityData{}
	g, err := s.api.IAM.GetGroup(ctx, &iam.GetGroupInput{GroupName: name, MaxItems: aws.Int32(detailMax)})
	if err != nil {
		c.show(w, s, "iam_entity", "iam", "IAM group "+*name, d, err)
		return
	}
	d.Group, d.Members = g.Group, g.Users
	d.more("Members", g.IsTruncated)
	max := aws.Int32(detailMax)
	if a, err := s.api.IAM.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: name, MaxItems: max}); err != nil {
		d.part("Attached policies", err)
	} else {
		d.Attached = a.AttachedPolicies
		d.more("Attached policies", a.IsTruncated)
	}
	p, err := s.api.IAM.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: name, MaxItems: max})
	if p == nil {
		p = &iam.ListGroupPoliciesOutput{}
	}
	d.inline(p.PolicyNames, p.IsTruncated, err, func(n string) (*string, error) {
		out, err := s.api.IAM.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: name, PolicyName: aws.String(n)})
		if err != nil {
			return nil, err
		}
		return out.PolicyDocument, nil
	})
	c.show(w, s, "iam_entity", "iam", "IAM group "+*name, d, nil)
}

type iamPolicyData struct {
	Policy   *iamtypes.Policy
	Document string
	Errors   []string
}

func (c *Console) iamPolicy(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, arn := r.Context(), r.URL.Query().Get("arn")
	d := &iamPolicyData{}
	p, err := s.api.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		c.show(w, s, "iam_policy", "iam", "IAM policy", d, err)
		return
	}
	d.Policy = p.Policy
	v, err := s.api.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
	if err != nil {
		d.Errors = append(d.Errors, "Default version: "+asAPIError(err).Error())
	} else if v.PolicyVersion != nil {
		d.Document = deref(v.PolicyVersion.Document)
	}
	c.show(w, s, "iam_policy", "iam", "IAM policy "+deref(p.Policy.PolicyName), d, nil)
}
