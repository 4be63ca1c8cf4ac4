package functions_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

var ctx = context.Background()

const masked = "{{sealbox:masked}}"

func must[T any](t testing.TB, call string) func(T, error) T { return sealtest.Must[T](t, call) }

// wantError fails unless err is the Lambda error code with HTTP status,
// and returns its message.
func wantError(t *testing.T, call string, err error, code string, status int) string {
	t.Helper()
	return sealtest.APIError(t, call, err, code, status)
}

// zipOf is a ZIP archive holding one file.
func zipOf(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, err := z.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, content)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const trustAccount = `{"Version":"2012-10-17","Statement":[
	{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},
	{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

// execRole makes the role roleARN names, trusting Lambda, for the tests
// that need a function's Role to exist but never assume it.
func execRole(t *testing.T, s *sealtest.Server) {
	t.Helper()
	must[*iam.CreateRoleOutput](t, "CreateRole orders-exec")(s.IAM().CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("orders-exec"), AssumeRolePolicyDocument: aws.String(trustAccount)}))
}

// role is an IAM role and a session of it.
type role = sealtest.Role

// newRole makes a role trusting Lambda and the account, with the inline
// policy (empty: none), and a session of it.
func newRole(t testing.TB, s *sealtest.Server, name, policy string) role {
	t.Helper()
	return s.NewRole(t, name, trustAccount, policy, "cold-start")
}

func putPolicy(t *testing.T, s *sealtest.Server, roleName, policyName, doc string) {
	t.Helper()
	must[*iam.PutRolePolicyOutput](t, "PutRolePolicy "+policyName)(s.IAM().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(roleName),
		PolicyName: aws.String(policyName), PolicyDocument: aws.String(doc)}))
}

// lambdaAs is a Lambda client of the role's session.
func lambdaAs(s *sealtest.Server, r role) *lambda.Client {
	return lambda.NewFromConfig(s.AWSConfigAs("us-east-1", r.Creds))
}

// createFunction creates a python function with vars, under key ("" for
// alias/aws/lambda), executed by roleARN.
func createFunction(t *testing.T, c *lambda.Client, name, roleARN, key string, vars map[string]string) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(roleARN), Runtime: types.RuntimePython312,
		Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: zipOf(t, "app.py", "def handler(e, c):\n    return 'ok'\n")}}
	if vars != nil {
		in.Environment = &types.Environment{Variables: vars}
	}
	if key != "" {
		in.KMSKeyArn = aws.String(key)
	}
	return must[*lambda.CreateFunctionOutput](t, "CreateFunction "+name)(c.CreateFunction(ctx, in))
}

func configuration(t *testing.T, c *lambda.Client, name string) *lambda.GetFunctionConfigurationOutput {
	t.Helper()
	return must[*lambda.GetFunctionConfigurationOutput](t, "GetFunctionConfiguration "+name)(c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)}))
}

func variables(out *lambda.GetFunctionConfigurationOutput) map[string]string {
	if out.Environment == nil {
		return nil
	}
	return out.Environment.Variables
}

// environment is GetFunctionEnvironment's answer, or its error.
type environment struct {
	Status       int
	Code         string
	Message      string
	FunctionName string
	FunctionArn  string
	Version      string
	Role         string
	MemorySize   *int
	Variables    map[string]string
	References   []struct{ Variable, Source string }
}

// getEnvironment calls sealbox's GetFunctionEnvironment, which no SDK
// has, as sealbox exec does: a GET signed with SigV4 for lambda.
func getEnvironment(t *testing.T, s *sealtest.Server, creds aws.Credentials, name, qualifier string) environment {
	t.Helper()
	u := s.URL + "/2015-03-31/functions/" + url.PathEscape(name) + "/sealbox-environment"
	if qualifier != "" {
		u += "?Qualifier=" + url.QueryEscape(qualifier)
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(empty[:]), "lambda", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out environment
	out.Status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		// Lambda's exceptions carry Message or message.
		var e map[string]any
		json.Unmarshal(body, &e)
		out.Code = resp.Header.Get("X-Amzn-Errortype")
		for _, k := range []string{"Message", "message"} {
			if m, ok := e[k].(string); ok {
				out.Message = m
			}
		}
		return out
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("GetFunctionEnvironment answered %s: %v", body, err)
	}
	return out
}
