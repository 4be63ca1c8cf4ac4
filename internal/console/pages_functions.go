package console

import (
	"net/http"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// maskedValue is what sealbox's Lambda answers for an environment value the
// caller may not reveal.
const maskedValue = "{{sealbox:masked}}"

func (c *Console) functionsRoutes() {
	c.route("GET /console/functions", c.functionsList)
	c.route("GET /console/functions/{name}", c.function)
	c.route("POST /console/functions/{name}/reveal", c.functionReveal)
}

type functionsListData struct {
	Functions []lambdatypes.FunctionConfiguration
	Next      string
}

func (c *Console) functionsList(w http.ResponseWriter, r *http.Request, s *session) {
	d := &functionsListData{}
	in := &lambda.ListFunctionsInput{MaxItems: aws.Int32(pageSize)}
	if m := r.URL.Query().Get("marker"); m != "" {
		in.Marker = aws.String(m)
	}
	out, err := s.api.Lambda.ListFunctions(r.Context(), in)
	if err == nil {
		// The list answers each configuration with its environment; the
		// page shows none of it, so it is dropped here.
		for _, f := range out.Functions {
			f.Environment = nil
			d.Functions = append(d.Functions, f)
		}
		d.Next = deref(out.NextMarker)
	}
	c.show(w, s, "functions_list", "functions", "Functions", d, err)
}

type functionData struct {
	Name      string
	Qualifier string
	Conf      *lambda.GetFunctionConfigurationOutput
	Env       []envVar
	EnvError  string // Lambda's Environment.Error: the key refused to decrypt
	Revealed  bool   // the answer to the reveal POST
	Masked    bool   // the API answered masked values
	Versions  []lambdatypes.FunctionConfiguration
	VersNext  string
	VersErr   string // why the caller may not list them
	Aliases   []lambdatypes.AliasConfiguration
	AliasNext string
	AliasErr  string
}

// envVar is one environment variable as the page shows it: its value only
// in the answer to the reveal POST.
type envVar struct {
	Name      string
	Value     string
	Masked    bool // the API answered {{sealbox:masked}}
	Reference bool // a {{resolve:…}} reference, shown as written
}

func (c *Console) function(w http.ResponseWriter, r *http.Request, s *session) {
	c.functionPage(w, r, s, r.URL.Query().Get("qualifier"), false)
}

// functionReveal answers the environment's values as the API answers them
// to the caller: real values only if it may perform
// sealbox:RevealEnvironment (and kms:Decrypt on the key).
func (c *Console) functionReveal(w http.ResponseWriter, r *http.Request, s *session) {
	c.functionPage(w, r, s, r.PostFormValue("qualifier"), true)
}

func (c *Console) functionPage(w http.ResponseWriter, r *http.Request, s *session, qualifier string, reveal bool) {
	ctx := r.Context()
	name := r.PathValue("name")
	d := &functionData{Name: name, Qualifier: qualifier, Revealed: reveal}
	in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	conf, err := s.api.Lambda.GetFunctionConfiguration(ctx, in)
	if err != nil {
		c.show(w, s, "functions_function", "functions", "Function "+name, d, err)
		return
	}
	if e := conf.Environment; e != nil {
		for n, v := range e.Variables {
			ev := envVar{Name: n, Masked: v == maskedValue}
			if !ev.Masked && reveal {
				ev.Value = v
				ev.Reference = strings.Contains(v, "{{resolve:")
			}
			d.Masked = d.Masked || ev.Masked
			d.Env = append(d.Env, ev)
		}
		sort.Slice(d.Env, func(i, j int) bool { return d.Env[i].Name < d.Env[j].Name })
		if e.Error != nil {
			d.EnvError = deref(e.Error.ErrorCode) + ": " + deref(e.Error.Message)
		}
		e.Variables = nil // what the page shows is d.Env
	}
	d.Conf = conf
	q := r.URL.Query()
	vin := &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(name), MaxItems: aws.Int32(pageSize)}
	if m := q.Get("vmarker"); m != "" {
		vin.Marker = aws.String(m)
	}
	vers, err := s.api.Lambda.ListVersionsByFunction(ctx, vin)
	if err != nil {
		d.VersErr = asAPIError(err).Error()
	} else {
		for _, v := range vers.Versions {
			v.Environment = nil
			d.Versions = append(d.Versions, v)
		}
		d.VersNext = deref(vers.NextMarker)
	}
	ain := &lambda.ListAliasesInput{FunctionName: aws.String(name), MaxItems: aws.Int32(pageSize)}
	if m := q.Get("amarker"); m != "" {
		ain.Marker = aws.String(m)
	}
	aliases, err := s.api.Lambda.ListAliases(ctx, ain)
	if err != nil {
		d.AliasErr = asAPIError(err).Error()
	} else {
		d.Aliases = aliases.Aliases
		d.AliasNext = deref(aliases.NextMarker)
	}
	title := "Function " + name
	if qualifier != "" {
		title += ":" + qualifier
	}
	c.show(w, s, "functions_function", "functions", title, d, nil)
}
