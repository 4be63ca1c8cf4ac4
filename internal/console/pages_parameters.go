package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func (c *Console) parametersRoutes() {
	c.route("GET /console/parameters", c.paramTree)
	c.route("POST /console/parameters", c.paramCreate)
	c.route("GET /console/parameters/view", c.paramView)
	c.route("POST /console/parameters/view", c.paramAction)
}

// folderScanLimit bounds the parameters read below a path to find its
// sub-paths: Parameter Store has no call that lists them, so they are
// derived from the names below (DescribeParameters, Recursive), at most
// this many (20 calls).
const folderScanLimit = 1000

// crumb is one step of a path's breadcrumbs.
type crumb struct{ Name, Path string }

type paramTreeData struct {
	Path       string // "/app/db/"
	Crumbs     []crumb
	Folders    []crumb
	FoldersCut bool // more parameters below than were read for folders
	Params     []ssmtypes.ParameterMetadata
	Next       string // the next page's NextToken
	Token      string // this page's, to keep the first page's folders off later pages
	Notice     string
}

// cleanPath makes a path of the query's: a leading and a trailing slash.
func cleanPath(p string) string {
	p = "/" + strings.Trim(strings.TrimSpace(p), "/") + "/"
	if p == "//" {
		return "/"
	}
	return p
}

func crumbs(path string) []crumb {
	out := []crumb{{Name: "/", Path: "/"}}
	at := "/"
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if seg == "" {
			continue
		}
		at += seg + "/"
		out = append(out, crumb{Name: seg, Path: at})
	}
	return out
}

// pathFilter narrows DescribeParameters to the path, one level or all below.
func pathFilter(path string, recursive bool) ssmtypes.ParameterStringFilter {
	opt := "OneLevel"
	if recursive {
		opt = "Recursive"
	}
	return ssmtypes.ParameterStringFilter{Key: aws.String("Path"), Option: aws.String(opt), Values: []string{path}}
}

// paramTree lists one level of the hierarchy: its sub-paths and, 50 at a
// time, the parameters directly under it. Each level's listing reads only
// that level (OneLevel); the sub-paths, on the first page only, come from
// the names below, read at most folderScanLimit.
func (c *Console) paramTree(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	q := r.URL.Query()
	d := &paramTreeData{Path: cleanPath(q.Get("path")), Token: q.Get("token"), Notice: q.Get("notice")}
	d.Crumbs = crumbs(d.Path)
	in := &ssm.DescribeParametersInput{MaxResults: aws.Int32(pageSize),
		ParameterFilters: []ssmtypes.ParameterStringFilter{pathFilter(d.Path, false)}}
	if d.Token != "" {
		in.NextToken = aws.String(d.Token)
	}
	out, err := s.api.SSM.DescribeParameters(ctx, in)
	if err != nil {
		c.show(w, s, "parameters_tree", "parameters", "Parameters", d, err)
		return
	}
	d.Params, d.Next = out.Parameters, deref(out.NextToken)
	if d.Token == "" {
		if err := c.paramFolders(r, s, d); err != nil {
			c.show(w, s, "parameters_tree", "parameters", "Parameters", d, err)
			return
		}
	}
	c.show(w, s, "parameters_tree", "parameters", "Parameters", d, nil)
}

// paramFolders finds the sub-paths of d.Path from the names below it.
func (c *Console) paramFolders(r *http.Request, s *session, d *paramTreeData) error {
	inner := strings.TrimPrefix(d.Path, "/")
	seen := map[string]bool{}
	in := &ssm.DescribeParametersInput{MaxResults: aws.Int32(50),
		ParameterFilters: []ssmtypes.ParameterStringFilter{pathFilter(d.Path, true)}}
	read := 0
	for {
		out, err := s.api.SSM.DescribeParameters(r.Context(), in)
		if err != nil {
			return err
		}
		for _, p := range out.Parameters {
			rest := strings.TrimPrefix(strings.TrimPrefix(deref(p.Name), "/"), inner)
			if i := strings.IndexByte(rest, '/'); i > 0 && !seen[rest[:i]] {
				seen[rest[:i]] = true
				d.Folders = append(d.Folders, crumb{Name: rest[:i], Path: d.Path + rest[:i] + "/"})
			}
		}
		read += len(out.Parameters)
		if out.NextToken == nil {
			return nil
		}
		if read >= folderScanLimit {
			d.FoldersCut = true
			return nil
		}
		in.NextToken = out.NextToken
	}
}

func (c *Console) paramCreate(w http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	if err := c.putParameter(r, s, name, false); err != nil {
		d := &paramTreeData{Path: cleanPath(r.PostFormValue("path"))}
		d.Crumbs = crumbs(d.Path)
		c.show(w, s, "parameters_tree", "parameters", "Parameters", d, err)
		return
	}
	done(w, r, paramURL(name), "Parameter created.")
}

// putParameter is PutParameter with the form's fields; the value is
// never shown back.
func (c *Console) putParameter(r *http.Request, s *session, name string, overwrite bool) error {
	in := &ssm.PutParameterInput{
		Name:      aws.String(name),
		Value:     aws.String(r.PostFormValue("value")),
		Type:      ssmtypes.ParameterType(r.PostFormValue("type")),
		Tier:      ssmtypes.ParameterTier(r.PostFormValue("tier")),
		Overwrite: aws.Bool(overwrite),
	}
	if in.Type == ssmtypes.ParameterTypeSecureString {
		if k := strings.TrimSpace(r.PostFormValue("key_id")); k != "" {
			in.KeyId = aws.String(k)
		}
	}
	if v := strings.TrimSpace(r.PostFormValue("description")); v != "" || overwrite {
		in.Description = aws.String(v)
	}
	if v := strings.TrimSpace(r.PostFormValue("policies")); v != "" {
		in.Policies = aws.String(v)
	}
	_, err := s.api.SSM.PutParameter(r.Context(), in)
	return err
}

func paramURL(name string) string { return "/console/parameters/view?name=" + url.QueryEscape(name) }

// parentPath is the path a parameter is directly under.
func parentPath(name string) string {
	i := strings.LastIndexByte(strings.TrimPrefix(name, "/"), '/')
	if i < 0 {
		return "/"
	}
	return "/" + strings.TrimPrefix(name, "/")[:i+1]
}

type paramViewData struct {
	Name     string
	Crumbs   []crumb
	Meta     *ssmtypes.ParameterMetadata
	Secure   bool
	Value    string // a String's value, or a SecureString's once revealed
	Revealed bool
	History  []ssmtypes.ParameterHistory
	Tags     []ssmtypes.Tag
	Notice   string
	Errors   []string // the parts the caller may not read
	Types    []string
	Tiers    []string
}

func (c *Console) paramView(w http.ResponseWriter, r *http.Request, s *session) {
	c.paramPage(w, r, s, r.URL.Query().Get("name"), "", nil)
}

// paramPage renders a parameter's page: revealed, when set, is its
// decrypted value (after a reveal POST); actionErr an action's failure.
func (c *Console) paramPage(w http.ResponseWriter, r *http.Request, s *session, name, revealed string, actionErr error) {
	ctx := r.Context()
	d := &paramViewData{Name: name, Crumbs: crumbs(parentPath(name)), Notice: r.URL.Query().Get("notice"),
		Types: []string{"String", "StringList", "SecureString"}, Tiers: []string{"Standard", "Advanced", "Intelligent-Tiering"}}
	title := "Parameter " + name
	// Name Equals within the parent's level: the server reads that level only.
	out, err := s.api.SSM.DescribeParameters(ctx, &ssm.DescribeParametersInput{MaxResults: aws.Int32(1),
		ParameterFilters: []ssmtypes.ParameterStringFilter{pathFilter(parentPath(name), false),
			{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{name}}}})
	if err != nil {
		c.show(w, s, "parameters_view", "parameters", title, d, err)
		return
	}
	if len(out.Parameters) == 0 {
		c.show(w, s, "parameters_view", "parameters", title, d, &apiError{Status: http.StatusNotFound,
			Code: "ParameterNotFound", Message: "No parameter is named " + name + "."})
		return
	}
	d.Meta = &out.Parameters[0]
	d.Secure = d.Meta.Type == ssmtypes.ParameterTypeSecureString
	part := func(what string, err error) bool {
		if err != nil {
			d.Errors = append(d.Errors, what+": "+asAPIError(err).Error())
		}
		return err == nil
	}
	if d.Secure {
		d.Value, d.Revealed = revealed, actionErr == nil && revealed != ""
	} else {
		g, err := s.api.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if part("Value", err) {
			d.Value = deref(g.Parameter.Value)
		}
	}
	hist := ssm.NewGetParameterHistoryPaginator(s.api.SSM, &ssm.GetParameterHistoryInput{Name: aws.String(name), MaxResults: aws.Int32(50)})
	for hist.HasMorePages() {
		page, err := hist.NextPage(ctx)
		if !part("Versions", err) {
			break
		}
		d.History = append(d.History, page.Parameters...)
	}
	for i := range d.History {
		d.History[i].Value = nil // never carried to the page: a SecureString's is its ciphertext
	}
	tags, err := s.api.SSM.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingParameter, ResourceId: aws.String(name)})
	if part("Tags", err) {
		d.Tags = tags.TagList
	}
	c.show(w, s, "parameters_view", "parameters", title, d, actionErr)
}

// paramAction is one of a parameter page's forms.
func (c *Console) paramAction(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	name := r.URL.Query().Get("name")
	var err error
	var notice string
	switch r.PostFormValue("action") {
	case "reveal":
		// The decrypted value goes into this answer only: no redirect, no URL.
		g, err := s.api.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			c.paramPage(w, r, s, name, "", err)
			return
		}
		c.paramPage(w, r, s, name, deref(g.Parameter.Value), nil)
		return
	case "put":
		err = c.putParameter(r, s, name, true)
		notice = "Parameter updated."
	case "label":
		var labels []string
		for _, l := range strings.Split(r.PostFormValue("labels"), ",") {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
		v, convErr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		if convErr != nil {
			c.fail(w, r, s, http.StatusBadRequest, "The version must be a number.")
			return
		}
		var out *ssm.LabelParameterVersionOutput
		out, err = s.api.SSM.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String(name), ParameterVersion: aws.Int64(v), Labels: labels})
		notice = "Labels attached."
		if err == nil && len(out.InvalidLabels) > 0 {
			notice = "Labels refused as invalid: " + strings.Join(out.InvalidLabels, ", ")
		}
	case "unlabel":
		v, convErr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
		if convErr != nil {
			c.fail(w, r, s, http.StatusBadRequest, "The version must be a number.")
			return
		}
		_, err = s.api.SSM.UnlabelParameterVersion(ctx, &ssm.UnlabelParameterVersionInput{Name: aws.String(name), ParameterVersion: aws.Int64(v), Labels: []string{r.PostFormValue("label")}})
		notice = "Label detached."
	case "delete":
		if _, err := s.api.SSM.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(name)}); err != nil {
			c.paramPage(w, r, s, name, "", err)
			return
		}
		done(w, r, "/console/parameters?path="+url.QueryEscape(parentPath(name)), "Parameter "+name+" deleted.")
		return
	default:
		c.fail(w, r, s, http.StatusBadRequest, "That action is not one the console knows.")
		return
	}
	if err != nil {
		c.paramPage(w, r, s, name, "", err)
		return
	}
	done(w, r, paramURL(name), notice)
}
