package query_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/query"
)

type botocoreRequest struct {
	Name        string `json:"name"`
	Model       string `json:"model"`
	Protocol    string `json:"protocol"`
	Op          string `json:"op"`
	ContentType string `json:"contentType"`
	Form        string `json:"form"`
	JSON        string `json:"json"`
}

// TestDecodeBotocore decodes the form bodies botocore's QuerySerializer
// sends for real IAM and STS operations (and the test model), and checks
// that each is the value botocore's JSONSerializer sends for the same
// parameters: what the shared path of the JSON protocols validates,
// redacts and binds. The decoded values are golden files in
// testdata/decode.
func TestDecodeBotocore(t *testing.T) {
	var cases []botocoreRequest
	if err := json.Unmarshal(python(t, nil, "botocore_requests.py", testModelPath), &cases); err != nil {
		t.Fatal(err)
	}
	models := map[string]*model.Service{
		"iam": model.Load("iam"), "sts": model.Load("sts"), "test": testModel(t),
	}
	if len(cases) < 10 {
		t.Fatalf("only %d cases from botocore", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			m := models[c.Model]
			if c.Protocol == "ec2" {
				m = ec2Model(t)
			}
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(c.Form))
			r.Header.Set("Content-Type", c.ContentType)
			if !query.IsQuery(r) {
				t.Fatal("IsQuery is false for botocore's request")
			}
			action, version, form, err := query.ParseRequest(r, []byte(c.Form))
			if err != nil {
				t.Fatal(err)
			}
			if action != c.Op || version != m.Metadata.APIVersion {
				t.Fatalf("action %q version %q, want %q %q", action, version, c.Op, m.Metadata.APIVersion)
			}
			in := m.InputShape(c.Op)
			got, err := query.Decode(form, m, in)
			if err != nil {
				t.Fatal(err)
			}
			want := decodeJSON(t, []byte(c.JSON))
			if !sameValue(got, want) {
				t.Errorf("decoded\n%s\nbotocore's JSON for the same call\n%s", pretty(got), pretty(want))
			}
			// The shared path sees no difference.
			if g, w := fmt.Sprint(m.Validate(in, got)), fmt.Sprint(m.Validate(in, want)); g != w {
				t.Errorf("Validate: %s, for the JSON request %s", g, w)
			}
			if !sameValue(m.Redact(in, got), m.Redact(in, want)) {
				t.Errorf("Redact differs:\n%s\n%s", pretty(m.Redact(in, got)), pretty(m.Redact(in, want)))
			}
			golden(t, "decode/"+c.Name+".json", indentJSON(got))
		})
	}
}

// everythingInput is how a service would type the test model's input: the
// decoded value binds with encoding/json, timestamps as sealbox.Timestamp.
type everythingInput struct {
	Str       string
	Flag      *bool
	Count     *int32
	Big       int64
	Ratio     float64
	When      *sealbox.Timestamp
	Data      []byte
	Names     []string
	Renamed   string
	Attrs     map[string]string
	NamedMap  map[string]item
	Nested    *item
	Matrix    [][]string
	FlatNamed []string
}

type item struct {
	Id      string
	Enabled *bool
	Size    *int32
	Tags    []string
	Child   *item
}

func TestDecodeBinds(t *testing.T) {
	m := testModel(t)
	form, _ := url.ParseQuery("Action=Everything&Version=2020-01-01&Str=x&Flag=TRUE&Count=-7&Big=9223372036854775807" +
		"&Ratio=1e-3&When=2026-11-23T10:00:00.250Z&Data=AAFi&Names=&OtherName=r" +
		"&Attrs.entry.2.key=b&Attrs.entry.2.value=2&Attrs.entry.1.key=a&Attrs.entry.1.value=1" +
		"&NamedMap.entry.1.Name=k&NamedMap.entry.1.Val.Id=v&NamedMap.entry.1.Val.Child.Size=3" +
		"&Nested.Id=n&Nested.Tags.member.3=c&Nested.Tags.member.1=a" +
		"&Matrix.member.1.member.1=a&Matrix.member.2=&Entry.1=e1&Entry.2=e2")
	v, err := query.Decode(form, m, m.InputShape("Everything"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var in everythingInput
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatalf("binding %s: %v", b, err)
	}
	when := time.Date(2026, 11, 23, 10, 0, 0, 250e6, time.UTC)
	switch {
	case in.Str != "x", in.Flag == nil || !*in.Flag, in.Count == nil || *in.Count != -7, in.Big != 9223372036854775807,
		in.Ratio != 0.001, in.When == nil || !in.When.Equal(when), string(in.Data) != "\x00\x01b",
		in.Names == nil || len(in.Names) != 0, in.Renamed != "r",
		fmt.Sprint(in.Attrs) != "map[a:1 b:2]", in.NamedMap["k"].Id != "v", *in.NamedMap["k"].Child.Size != 3,
		fmt.Sprint(in.Nested.Tags) != "[a c]", fmt.Sprint(in.Matrix) != "[[a] []]", fmt.Sprint(in.FlatNamed) != "[e1 e2]":
		t.Errorf("bound %+v from %s", in, b)
	}
}

func TestDecodeLenient(t *testing.T) {
	iam := model.Load("iam")
	for _, tc := range []struct {
		op, form, want string
	}{
		// Unknown parameters, even repeated ones, and Action and Version,
		// are not members; names are matched exactly.
		{"ListUsers", "Action=ListUsers&Version=2010-05-08&Bogus=1&Bogus=2&MaxItems=5&Marker.member.1=x&maxitems=6", `{"MaxItems":5}`},
		// Gaps in the indexes close up (malformed indexes: TestDecodeListKeys).
		{"UntagRole", "RoleName=r&TagKeys.member.9=c&TagKeys.member.2=b", `{"RoleName":"r","TagKeys":["b","c"]}`},
		// Elements win over the empty-list marker.
		{"UntagRole", "TagKeys=&TagKeys.member.1=a", `{"TagKeys":["a"]}`},
		// A structure with no known member is absent.
		{"TagRole", "RoleName=r&Tags.member.1.Bogus=x&Tags.member.2.Key=k", `{"RoleName":"r","Tags":[{"Key":"k"}]}`},
		// An operation without input members.
		{"GetAccountSummary", "Foo=bar", `{}`},
		// A scalar sent as a structure is absent.
		{"GetRole", "RoleName.x=y", `{}`},
		// Whitespace is kept: strings are what the client sent.
		{"GetRole", "RoleName=+a+", `{"RoleName":" a "}`},
	} {
		form, err := url.ParseQuery(tc.form)
		if err != nil {
			t.Fatal(err)
		}
		got, err := query.Decode(form, iam, iam.InputShape(tc.op))
		if err != nil {
			t.Errorf("%s %s: %v", tc.op, tc.form, err)
			continue
		}
		if !sameValue(got, decodeJSON(t, []byte(tc.want))) {
			t.Errorf("%s %s: got %s, want %s", tc.op, tc.form, pretty(got), tc.want)
		}
	}
	got, err := query.Decode(url.Values{"A": {"b"}}, iam, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("nil input: %v %v", got, err)
	}
}

// TestDecodeListKeys: a list or map parameter whose element is not named
// by an index from 1 to 999999999 without leading zeros, or that carries
// something other than its elements, is a ValidationError (400) naming the
// parameter, never dropped: sealbox's rule, where AWS documents none.
func TestDecodeListKeys(t *testing.T) {
	iam, sts, test := model.Load("iam"), model.Load("sts"), testModel(t)
	for _, tc := range []struct {
		m     *model.Service
		op    string
		form  string
		param string
	}{
		{iam, "TagUser", "UserName=u&Tags.member.0.Key=k&Tags.member.0.Value=v", "Tags.member.0"},
		{iam, "TagUser", "UserName=u&Tags.member.1.Key=a&Tags.member.-1.Key=k", "Tags.member.-1"},
		{iam, "TagUser", "UserName=u&Tags.member.1000000000.Key=k", "Tags.member.1000000000"},
		{iam, "TagUser", "UserName=u&Tags.member.99999999999999999999.Key=k", "Tags.member.99999999999999999999"},
		{iam, "TagUser", "UserName=u&Tags.member.01.Key=k", "Tags.member.01"},
		{iam, "TagUser", "UserName=u&Tags.member.x.Key=k", "Tags.member.x"},
		{iam, "TagUser", "UserName=u&Tags.member.%2B1.Key=k", "Tags.member.+1"},
		{iam, "TagUser", "UserName=u&Tags.member..Key=k", "Tags.member."},
		{iam, "TagUser", "UserName=u&Tags.members.1.Key=k", "Tags.members"},
		{iam, "TagUser", "UserName=u&Tags.member=k", "Tags.member"},
		{iam, "TagUser", "UserName=u&Tags=k", "Tags"},
		{iam, "UntagRole", "RoleName=r&TagKeys.member.0=z", "TagKeys.member.0"},
		{sts, "AssumeRole", "RoleArn=arn:aws:iam::123456789012:role/r&RoleSessionName=s&Tags.member.0.Key=team&Tags.member.0.Value=red", "Tags.member.0"},
		{sts, "AssumeRole", "RoleArn=a&RoleSessionName=s&TransitiveTagKeys.member.2=a&TransitiveTagKeys.member.02=b", "TransitiveTagKeys.member.02"},
		{test, "Everything", "Attrs.entry.0.key=a&Attrs.entry.0.value=b", "Attrs.entry.0"},
		{test, "Everything", "Attrs.entries.1.key=a", "Attrs.entries"},
		{test, "Everything", "Matrix.member.1.member.0=a", "Matrix.member.1.member.0"},
	} {
		form, err := url.ParseQuery(tc.form)
		if err != nil {
			t.Fatal(err)
		}
		v, err := query.Decode(form, tc.m, tc.m.InputShape(tc.op))
		e, ok := sealbox.AsError(err)
		if !ok || e.Code != "ValidationError" || e.Status != 400 || !strings.Contains(e.Message, "Parameter "+tc.param+" is not a well-formed") {
			t.Errorf("Decode(%s %s) = %v, %v; want ValidationError 400 naming %s", tc.op, tc.form, pretty(v), err, tc.param)
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	iam, sts, test := model.Load("iam"), model.Load("sts"), testModel(t)
	for _, tc := range []struct {
		m       *model.Service
		op      string
		form    string
		message string
	}{
		{iam, "ListUsers", "MaxItems=abc", "Value (abc) for parameter MaxItems is invalid. Expected a 32-bit integer."},
		{iam, "ListUsers", "MaxItems=", "Value () for parameter MaxItems is invalid."},
		{iam, "ListUsers", "MaxItems=2147483648", "Value (2147483648) for parameter MaxItems is invalid."},
		{iam, "ListUsers", "MaxItems=1.5", "parameter MaxItems is invalid"},
		{iam, "UpdateAccountPasswordPolicy", "RequireSymbols=yes", "Value (yes) for parameter RequireSymbols is invalid. Expected true or false."},
		{iam, "GetRole", "RoleName=%FF", "Value (\uFFFD) for parameter RoleName is invalid. Expected UTF-8 text."},
		{sts, "AssumeRole", "RoleArn=a&DurationSeconds=9e9", "parameter DurationSeconds is invalid"},
		{test, "Everything", "Items.item.2.Child.Size=big", "Value (big) for parameter Items.item.2.Child.Size is invalid."},
		{test, "Everything", "When=yesterday", "Value (yesterday) for parameter When is invalid. Expected an ISO 8601 timestamp"},
		// Past 9999-12-31T23:59:59Z, the last an ISO 8601 timestamp (what
		// botocore sends in Query) names, as epoch seconds.
		{test, "Everything", "When=253402300800", "Value (253402300800) for parameter When is invalid. Expected an ISO 8601 timestamp"},
		{test, "Everything", "When=1e13", "Value (1e13) for parameter When is invalid."},
		{test, "Everything", "Data=not+base64!", "parameter Data is invalid. Expected base64"},
		{test, "Everything", "Ratio=NaN", "parameter Ratio is invalid"},
		{test, "Everything", "Big=9223372036854775808", "parameter Big is invalid"},
		{test, "Everything", "NamedMap.entry.1.Name=k&NamedMap.entry.1.Val.Enabled=maybe", "parameter NamedMap.entry.1.Val.Enabled is invalid"},
		// A sensitive value is not echoed.
		{test, "Everything", "Secret=%FFhunter2", "Value (***) for parameter Secret is invalid."},
		// Long values are shortened.
		{iam, "ListUsers", "MaxItems=" + strings.Repeat("9", 100), "Value (" + strings.Repeat("9", 64) + "...) for"},
		// A parameter given twice for one value is refused, at any depth,
		// whatever the values: which one is meant is not Decode's to guess.
		{iam, "GetRole", "RoleName=a&RoleName=b", "Value (a) for parameter RoleName is invalid. The parameter is repeated: it takes one value."},
		{iam, "GetRole", "RoleName=a&RoleName=a", "for parameter RoleName is invalid. The parameter is repeated"},
		{iam, "TagRole", "RoleName=r&Tags.member.1.Key=k&Tags.member.1.Value=v&Tags.member.1.Value=w", "for parameter Tags.member.1.Value is invalid. The parameter is repeated"},
		{test, "Everything", "NamedMap.entry.1.Name=k&NamedMap.entry.1.Name=j", "for parameter NamedMap.entry.1.Name is invalid. The parameter is repeated"},
	} {
		form, err := url.ParseQuery(tc.form)
		if err != nil {
			t.Fatal(err)
		}
		_, err = query.Decode(form, tc.m, tc.m.InputShape(tc.op))
		e, ok := sealbox.AsError(err)
		if !ok {
			t.Errorf("%s %s: %v, want a *sealbox.Error", tc.op, tc.form, err)
			continue
		}
		if e.Code != query.MalformedCode || e.Status != http.StatusBadRequest || e.Server || !strings.Contains(e.Message, tc.message) {
			t.Errorf("%s %s: %+v, want %s 400 with %q", tc.op, tc.form, e, query.MalformedCode, tc.message)
		}
	}
}

func TestParseRequest(t *testing.T) {
	form := "Action=GetCallerIdentity&Version=2011-06-15&X=1"
	for _, tc := range []struct {
		name, method, target, url, contentType, body string
		isQuery                                      bool
		action, code                                 string
		status                                       int
		params                                       string
	}{
		{name: "sdk POST", method: "POST", url: "/", contentType: "application/x-www-form-urlencoded; charset=utf-8", body: form,
			isQuery: true, action: "GetCallerIdentity", params: "X=1"},
		{name: "presigned GET", method: "GET", url: "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc",
			isQuery: true, action: "GetCallerIdentity", params: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"},
		{name: "POST with the action in the URL", method: "POST", url: "/?Action=GetCallerIdentity&Version=2011-06-15",
			isQuery: true, action: "GetCallerIdentity", params: ""},
		{name: "URL parameters after the body's", method: "POST", url: "/?X=2", contentType: "application/x-www-form-urlencoded", body: form,
			isQuery: true, action: "GetCallerIdentity", params: "X=1&X=2"},
		{name: "JSON protocol", method: "POST", target: "TrentService.Encrypt", url: "/", contentType: "application/x-amz-json-1.1", body: "{}",
			code: "InvalidAction", status: 400},
		{name: "JSON body without target", method: "POST", url: "/", contentType: "application/json", body: `{"Action":"x"}`,
			code: "InvalidAction", status: 400},
		{name: "no action", method: "POST", url: "/", contentType: "application/x-www-form-urlencoded", body: "Version=2011-06-15",
			isQuery: true, code: "MissingAction", status: 400},
		{name: "GET without action", method: "GET", url: "/?Version=1", code: "MissingAction", status: 400},
		{name: "bad escape", method: "POST", url: "/", contentType: "application/x-www-form-urlencoded", body: "Action=%zz",
			isQuery: true, code: "MalformedQueryString", status: 404},
		{name: "semicolon", method: "GET", url: "/?Action=GetCallerIdentity;Version=1", code: "MalformedQueryString", status: 404},
		{name: "PUT", method: "PUT", url: "/?Action=GetCallerIdentity", isQuery: true, code: "InvalidAction", status: 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://sealbox.test"+tc.url, strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			if tc.target != "" {
				r.Header.Set("X-Amz-Target", tc.target)
			}
			if got := query.IsQuery(r); got != tc.isQuery {
				t.Errorf("IsQuery = %v", got)
			}
			action, _, params, err := query.ParseRequest(r, []byte(tc.body))
			if tc.code != "" {
				e, ok := sealbox.AsError(err)
				if !ok || e.Code != tc.code || e.Status != tc.status || e.Message == "" {
					t.Fatalf("error %v, want %s %d", err, tc.code, tc.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if action != tc.action || params.Encode() != tc.params {
				t.Errorf("got %q %q, want %q %q", action, params.Encode(), tc.action, tc.params)
			}
		})
	}
}

// TestDecodeEpochBounds: epoch seconds are read up to
// 9999-12-31T23:59:59Z, the range of the ISO 8601 timestamps botocore
// sends, and REST-JSON's bound alike.
func TestDecodeEpochBounds(t *testing.T) {
	m := testModel(t)
	for s, want := range map[string]time.Time{
		"253402300799":  time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		"-62135596800":  time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		"1795428000.25": time.Date(2026, 11, 23, 10, 0, 0, 250e6, time.UTC),
	} {
		form, _ := url.ParseQuery("Action=Everything&Version=2020-01-01&When=" + s)
		v, err := query.Decode(form, m, m.InputShape("Everything"))
		if err != nil {
			t.Fatalf("When=%s: %v", s, err)
		}
		b, _ := json.Marshal(v)
		var in everythingInput
		if err := json.Unmarshal(b, &in); err != nil {
			t.Fatalf("binding %s: %v", b, err)
		}
		if in.When == nil || !in.When.Equal(want) {
			t.Errorf("When=%s: %v, want %v", s, in.When, want)
		}
	}
}
