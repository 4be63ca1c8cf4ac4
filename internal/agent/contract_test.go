//go:build !fuzzbinary

package agent_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// fixture is what the contract tests read: a JSON secret with two
// versions, a binary secret, and parameters of each type with versions
// and a label.
type fixture struct {
	secretARN, firstVersion string
	paramARN                string
}

const (
	dbFirst  = `{"username":"app","password":"first-pass-9f2"}`
	dbSecond = `{"username":"app","password":"second-pass-4c1"}`
	urlV1    = "https://v1.example.internal"
	urlV2    = "https://v2.example.internal"
	secure   = "s3cure-param-value-77"
)

var binary = []byte{0, 1, 2, 0xfe, 0xff, 'b', 'i', 'n'}

func makeFixture(t *testing.T, s *sealtest.Server) fixture {
	t.Helper()
	sm, ps := s.SecretsManager(), s.SSM()
	created := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String(dbFirst)}))
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String(dbSecond)}))
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret binary")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bin/key"), SecretBinary: binary}))
	put := func(name string, typ ssmtypes.ParameterType, value string, overwrite bool) *ssm.PutParameterOutput {
		return must[*ssm.PutParameterOutput](t, "PutParameter "+name)(ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Type: typ, Value: aws.String(value), Overwrite: aws.Bool(overwrite)}))
	}
	put("/app/url", ssmtypes.ParameterTypeString, urlV1, false)
	put("/app/url", ssmtypes.ParameterTypeString, urlV2, true)
	must[*ssm.LabelParameterVersionOutput](t, "LabelParameterVersion")(ps.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/app/url"), ParameterVersion: aws.Int64(1), Labels: []string{"blue"}}))
	put("/app/hosts", ssmtypes.ParameterTypeStringList, "a.internal,b.internal", false)
	put("/app/pass", ssmtypes.ParameterTypeSecureString, secure, false)
	put("flat", ssmtypes.ParameterTypeString, "no-hierarchy", false)
	p := must[*ssm.GetParameterOutput](t, "GetParameter")(ps.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/url")}))
	first := must[*secretsmanager.GetSecretValueOutput](t, "GetSecretValue")(sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionStage: aws.String("AWSPREVIOUS")}))
	return fixture{secretARN: aws.ToString(created.ARN), firstVersion: aws.ToString(first.VersionId), paramARN: aws.ToString(p.Parameter.ARN)}
}

// sdkAnswer is what the agent must answer for an SDK call's result: 200
// and the output as aws-sdk-go-v2 serialises it, or the upstream's status
// and {"__type", "message"}.
func sdkAnswer(t *testing.T, out any, err error) (int, string) {
	t.Helper()
	if err != nil {
		var api smithy.APIError
		var re *awshttp.ResponseError
		if !errors.As(err, &api) || !errors.As(err, &re) {
			t.Fatalf("SDK call: %v, want an API error", err)
		}
		b, _ := json.Marshal(map[string]string{"__type": api.ErrorCode(), "message": api.ErrorMessage()})
		return re.HTTPStatusCode(), string(b)
	}
	switch o := out.(type) {
	case *secretsmanager.GetSecretValueOutput:
		if o.CreatedDate != nil {
			*o.CreatedDate = o.CreatedDate.UTC()
		}
	case *ssm.GetParameterOutput:
		if o.Parameter != nil && o.Parameter.LastModifiedDate != nil {
			*o.Parameter.LastModifiedDate = o.Parameter.LastModifiedDate.UTC()
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return http.StatusOK, string(b)
}

// TestContractURLs replays the documented URLs of the Parameters and
// Secrets Lambda Extension and aws-secretsmanager-agent against the agent
// in front of a real sealbox, and checks each answer is, byte for byte,
// what aws-sdk-go-v2 makes of the same call: its output serialised with
// encoding/json, or the upstream's status with {"__type", "message"}.
func TestContractURLs(t *testing.T) {
	srv := sealtest.Start(t)
	f := makeFixture(t, srv)
	h := startAgent(t, srv)
	sm, ps := h.srv.SecretsManager(), h.srv.SSM()
	secret := func(in *secretsmanager.GetSecretValueInput) func() (int, string) {
		return func() (int, string) { out, err := sm.GetSecretValue(ctx, in); return sdkAnswer(t, out, err) }
	}
	param := func(name string, decrypt bool) func() (int, string) {
		return func() (int, string) {
			out, err := ps.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
			return sdkAnswer(t, out, err)
		}
	}
	id := aws.String
	q := url.QueryEscape
	ref := "/aws/reference/secretsmanager/prod/db"
	cases := []struct {
		name, path string
		want       func() (int, string)
		hasValue   string // the answer must also hold this value
	}{
		// The extension's Secrets Manager route, and the agent's.
		{"secret by name", "/secretsmanager/get?secretId=" + q("prod/db"), secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db")}), dbSecond},
		{"secret unescaped slash", "/secretsmanager/get?secretId=prod/db", secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db")}), dbSecond},
		{"slash before the query", "/secretsmanager/get/?secretId=prod/db", secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db")}), dbSecond},
		{"secret by ARN", "/secretsmanager/get?secretId=" + q(f.secretARN), secret(&secretsmanager.GetSecretValueInput{SecretId: id(f.secretARN)}), dbSecond},
		{"versionStage", "/secretsmanager/get?secretId=prod/db&versionStage=AWSPREVIOUS", secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db"), VersionStage: id("AWSPREVIOUS")}), dbFirst},
		{"versionId", "/secretsmanager/get?secretId=prod/db&versionId=" + f.firstVersion, secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db"), VersionId: id(f.firstVersion)}), dbFirst},
		{"binary secret", "/secretsmanager/get?secretId=bin/key", secret(&secretsmanager.GetSecretValueInput{SecretId: id("bin/key")}), ""},
		{"refreshNow", "/secretsmanager/get?secretId=prod/db&refreshNow=true", secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db")}), dbSecond},
		{"path style", "/v1/prod/db", secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db")}), dbSecond},
		{"path style escaped", "/v1/prod%2Fdb", secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db")}), dbSecond},
		{"path style versionStage", "/v1/prod/db?versionStage=AWSPREVIOUS&refreshNow=0", secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db"), VersionStage: id("AWSPREVIOUS")}), dbFirst},
		{"unknown secret", "/secretsmanager/get?secretId=nope", secret(&secretsmanager.GetSecretValueInput{SecretId: id("nope")}), ""},
		{"unknown stage", "/secretsmanager/get?secretId=prod/db&versionStage=NOPE", secret(&secretsmanager.GetSecretValueInput{SecretId: id("prod/db"), VersionStage: id("NOPE")}), ""},

		// The extension's Parameter Store route.
		{"parameter", "/systemsmanager/parameters/get?name=" + q("/app/url"), param("/app/url", false), urlV2},
		{"parameter slash before the query", "/systemsmanager/parameters/get/?name=" + q("/app/url"), param("/app/url", false), urlV2},
		{"parameter without hierarchy", "/systemsmanager/parameters/get?name=flat", param("flat", false), "no-hierarchy"},
		{"parameter by ARN", "/systemsmanager/parameters/get?name=" + q(f.paramARN), param(f.paramARN, false), urlV2},
		{"version", "/systemsmanager/parameters/get?name=" + q("/app/url") + "&version=1", param("/app/url:1", false), urlV1},
		{"label", "/systemsmanager/parameters/get?name=" + q("/app/url") + "&label=blue", param("/app/url:blue", false), urlV1},
		{"version first counts", "/systemsmanager/parameters/get?name=" + q("/app/url") + "&version=2&label=blue", param("/app/url:2", false), urlV2},
		{"label first counts", "/systemsmanager/parameters/get?label=blue&version=2&name=" + q("/app/url"), param("/app/url:blue", false), urlV1},
		{"StringList", "/systemsmanager/parameters/get?name=" + q("/app/hosts"), param("/app/hosts", false), "a.internal,b.internal"},
		{"SecureString decrypted", "/systemsmanager/parameters/get?name=" + q("/app/pass") + "&withDecryption=true", param("/app/pass", true), secure},
		{"SecureString not decrypted", "/systemsmanager/parameters/get?name=" + q("/app/pass") + "&withDecryption=false", param("/app/pass", false), ""},
		{"reference to a secret", "/systemsmanager/parameters/get?name=" + q(ref) + "&withDecryption=true", param(ref, true), ""},
		{"reference without withDecryption", "/systemsmanager/parameters/get?name=" + q(ref), param(ref, true), ""},
		{"reference with a label", "/systemsmanager/parameters/get?name=" + q(ref) + "&label=AWSPREVIOUS&withDecryption=true", param(ref+":AWSPREVIOUS", true), ""},
		{"unknown parameter", "/systemsmanager/parameters/get?name=" + q("/nope"), param("/nope", false), ""},
		{"unknown version", "/systemsmanager/parameters/get?name=" + q("/app/url") + "&version=99", param("/app/url:99", false), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode, wantBody := c.want()
			// Twice: the first answer comes from the upstream, the second
			// from the cache (for a 200), and both are the same.
			for _, from := range []string{"upstream", "cache"} {
				code, body := h.get(t, c.path)
				if code != wantCode || body != wantBody {
					t.Fatalf("GET %s (%s) = %d %s\nwant %d %s", c.path, from, code, body, wantCode, wantBody)
				}
			}
			if c.hasValue != "" && !strings.Contains(wantBody, strings.ReplaceAll(c.hasValue, `"`, `\"`)) {
				t.Fatalf("GET %s: answer %s lacks the value %q", c.path, wantBody, c.hasValue)
			}
			if wantCode == http.StatusOK {
				var doc map[string]any
				if err := json.Unmarshal([]byte(wantBody), &doc); err != nil {
					t.Fatal(err)
				}
				if _, ok := doc["ResultMetadata"]; !ok {
					t.Fatalf("answer %s has no ResultMetadata, as the extension's has", wantBody)
				}
			}
		})
	}

	// The extension's fields and their forms, spelt out once.
	_, body := h.get(t, "/secretsmanager/get?secretId=prod/db")
	for _, want := range []string{`"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-`, `"CreatedDate":"20`, `Z","Name":"prod/db","SecretBinary":null,"SecretString":`, `"VersionStages":["AWSCURRENT"],"ResultMetadata":{}}`} {
		if !strings.Contains(body, want) {
			t.Errorf("secret answer %s lacks %s", body, want)
		}
	}
	_, body = h.get(t, "/systemsmanager/parameters/get?name=%2Fapp%2Furl&version=1")
	for _, want := range []string{`{"Parameter":{"ARN":"arn:aws:ssm:us-east-1:123456789012:parameter/app/url","DataType":"text","LastModifiedDate":"20`, `"Name":"/app/url","Selector":":1","SourceResult":null,"Type":"String","Value":"` + urlV1 + `","Version":1},"ResultMetadata":{}}`} {
		if !strings.Contains(body, want) {
			t.Errorf("parameter answer %s lacks %s", body, want)
		}
	}
	_, body = h.get(t, "/secretsmanager/get?secretId=bin/key")
	if !strings.Contains(body, `"SecretBinary":"AAEC/v9iaW4=","SecretString":null`) {
		t.Errorf("binary secret answer %s: want SecretBinary in base64 and SecretString null", body)
	}
}

// TestContractRequests replays the two anchors' rules for what a request
// must carry: the token, no forwarding, GET only, known routes and
// parameters.
func TestContractRequests(t *testing.T) {
	srv := sealtest.Start(t)
	makeFixture(t, srv)
	h := startAgent(t, srv)
	good := map[string]string{"X-Aws-Parameters-Secrets-Token": token}
	cases := []struct {
		name, method, path string
		headers            map[string]string
		code               int
		body               string // "" : any
	}{
		{"ping needs no token", "GET", "/ping", nil, 200, "healthy"},
		{"ping with a wrong token", "GET", "/ping", map[string]string{"X-Aws-Parameters-Secrets-Token": "wrong"}, 200, "healthy"},
		{"ping by POST", "POST", "/ping", nil, 405, "Not allowed"},
		{"no token", "GET", "/secretsmanager/get?secretId=prod/db", nil, 403, "Bad Token"},
		{"wrong token", "GET", "/secretsmanager/get?secretId=prod/db", map[string]string{"X-Aws-Parameters-Secrets-Token": token + "x"}, 403, "Bad Token"},
		{"empty token", "GET", "/systemsmanager/parameters/get?name=flat", map[string]string{"X-Aws-Parameters-Secrets-Token": ""}, 403, "Bad Token"},
		{"token prefix", "GET", "/systemsmanager/parameters/get?name=flat", map[string]string{"X-Aws-Parameters-Secrets-Token": token[:5]}, 403, "Bad Token"},
		{"X-Vault-Token", "GET", "/secretsmanager/get?secretId=prod/db", map[string]string{"X-Vault-Token": token}, 200, ""},
		{"wrong token, right X-Vault-Token", "GET", "/v1/prod/db", map[string]string{"X-Aws-Parameters-Secrets-Token": "wrong", "X-Vault-Token": token}, 200, ""},
		{"path style without token", "GET", "/v1/prod/db", nil, 403, "Bad Token"},
		{"metrics without token", "GET", "/metrics", nil, 403, "Bad Token"},
		{"forwarded", "GET", "/secretsmanager/get?secretId=prod/db", map[string]string{"X-Aws-Parameters-Secrets-Token": token, "X-Forwarded-For": "10.0.0.1"}, 400, "Forwarded"},
		{"forwarded without token", "GET", "/secretsmanager/get?secretId=prod/db", map[string]string{"X-Forwarded-For": "10.0.0.1"}, 400, "Forwarded"},
		{"POST", "POST", "/secretsmanager/get?secretId=prod/db", good, 405, "Not allowed"},
		{"PUT parameter", "PUT", "/systemsmanager/parameters/get?name=flat", good, 405, "Not allowed"},
		{"POST without token", "POST", "/secretsmanager/get?secretId=prod/db", nil, 403, "Bad Token"},
		{"unknown path", "GET", "/secretsmanager/list", good, 404, "Not found"},
		{"root", "GET", "/", good, 404, "Not found"},
		{"missing secretId", "GET", "/secretsmanager/get", good, 400, "missing parameter secretId"},
		{"empty secretId", "GET", "/secretsmanager/get?secretId=", good, 400, "missing parameter secretId"},
		{"unknown parameter", "GET", "/secretsmanager/get?secretId=prod/db&abc=123", good, 400, "unknown parameter: abc"},
		{"bad refreshNow", "GET", "/secretsmanager/get?secretId=prod/db&refreshNow=123", good, 400, "invalid refreshNow value"},
		{"path style without id", "GET", "/v1/", good, 400, "missing secret ID"},
		{"path style with secretId", "GET", "/v1/prod/db?secretId=x", good, 400, "unknown parameter: secretId"},
		{"missing name", "GET", "/systemsmanager/parameters/get", good, 400, "missing parameter name"},
		{"bad withDecryption", "GET", "/systemsmanager/parameters/get?name=flat&withDecryption=yes", good, 400, "invalid withDecryption value"},
		{"bad version", "GET", "/systemsmanager/parameters/get?name=flat&version=latest", good, 400, "invalid version value"},
		{"unknown parameter on the parameter route", "GET", "/systemsmanager/parameters/get?name=flat&secretId=x", good, 400, "unknown parameter: secretId"},
		{"bad escape", "GET", "/systemsmanager/parameters/get?name=%zz", good, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := h.do(t, c.method, c.path, c.headers)
			if code != c.code || c.body != "" && body != c.body {
				t.Fatalf("%s %s %v = %d %q, want %d %q", c.method, c.path, c.headers, code, body, c.code, c.body)
			}
		})
	}
}
