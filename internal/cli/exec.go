package cli

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

const execUsage = `Usage: sealbox exec --function NAME[:QUALIFIER] [flags] -- PROGRAM [ARGS...]

The cold start of a function, for any program on any machine: asks the
sealbox server for the function's environment as the function's execution
role, then replaces itself with PROGRAM (execve: same process id, signals
and exit status) with the decrypted variables, the references
({{resolve:ssm:...}}, {{resolve:secretsmanager:...}}) resolved with the
role's own permissions, and the variables Lambda sets (AWS_LAMBDA_FUNCTION_NAME,
AWS_LAMBDA_FUNCTION_VERSION, AWS_REGION, the role's credentials, ...).

The server answers only the function's execution role (an assumed-role
session of its Role) when that role may kms:Decrypt the function's key; a
refusal says what is missing, and PROGRAM is not started.

Credentials, as every AWS tool finds them: the environment, the shared
config and credentials files (--profile or $AWS_PROFILE), or --role-arn to
assume the execution role first. The endpoint: --endpoint, else
$AWS_ENDPOINT_URL_LAMBDA, else $AWS_ENDPOINT_URL, else http://127.0.0.1:8777.

--decrypt-prefix P also decrypts (kms:Decrypt, with the --context pairs as
encryption context) every variable named P<NAME> that holds a base64 KMS
ciphertext, such as 'sealbox encrypt' makes, and hands it to PROGRAM as
<NAME>, without the prefix.

Examples:
  sealbox exec --function orders -- ./server
  sealbox exec --function orders:prod --role-arn arn:aws:iam::123456789012:role/orders -- python app.py
  sealbox exec --decrypt-prefix ENCRYPTED_ --context LambdaFunctionName=orders -- ./server

Flags:
`

// defaultEndpoint is where a sealbox server listens unless told otherwise.
const defaultEndpoint = "http://127.0.0.1:8777"

// environment is GetFunctionEnvironment's answer (sealbox's extension of
// Lambda's API; see internal/awsapi/model/extensions/lambda.json).
type environment struct {
	FunctionName string
	FunctionArn  string
	Version      string
	Runtime      string
	Handler      string
	MemorySize   *int
	Timeout      *int
	Role         string
	Variables    map[string]string
	References   []struct{ Variable, Source string }
}

func runExec(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, execUsage); fs.PrintDefaults() }
	function := fs.String("function", "", "the function `NAME[:QUALIFIER]` (a name or ARN; qualifier: version or alias)")
	decryptPrefix := fs.String("decrypt-prefix", "", "also decrypt variables named `PREFIX`NAME holding a KMS ciphertext, as NAME")
	var encContext pairs
	fs.Var(&encContext, "context", "encryption context `key=value` for --decrypt-prefix (repeatable)")
	ao := addAWSFlags(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	argv := fs.Args()
	if len(argv) == 0 || *function == "" && *decryptPrefix == "" {
		fs.Usage()
		return errUsage
	}
	program, err := exec.LookPath(argv[0])
	if err != nil {
		return err
	}
	cfg, err := ao.load(ctx, env)
	if err != nil {
		return err
	}
	vars := environ(env)
	if *function != "" {
		fnEnv, err := getEnvironment(ctx, cfg, ao.endpointFor("LAMBDA", env), *function)
		if err != nil {
			return err
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return fmt.Errorf("credentials: %w", err)
		}
		lambdaVars(vars, fnEnv, cfg.Region, creds)
		for k, v := range fnEnv.Variables {
			vars[k] = v
		}
	}
	if *decryptPrefix != "" {
		client := kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = aws.String(ao.endpointFor("KMS", env)) })
		if err := decryptPrefixed(ctx, client, vars, *decryptPrefix, encContext.m); err != nil {
			return err
		}
	}
	envv := make([]string, 0, len(vars))
	for k, v := range vars {
		envv = append(envv, k+"="+v)
	}
	sort.Strings(envv)
	return env.Exec(program, argv, envv)
}

// environ is the process environment as a map; the last of duplicate names
// wins, as getenv(3) finds the first but a shell exports the last.
func environ(env Env) map[string]string {
	vars := map[string]string{}
	if env.Environ == nil {
		return vars
	}
	for _, kv := range env.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			vars[k] = v
		}
	}
	return vars
}

// lambdaVars sets the variables Lambda sets in a function's execution
// environment, with the execution role's credentials as Lambda gives them.
func lambdaVars(vars map[string]string, e *environment, region string, creds aws.Credentials) {
	vars["AWS_LAMBDA_FUNCTION_NAME"] = e.FunctionName
	vars["AWS_LAMBDA_FUNCTION_VERSION"] = e.Version
	vars["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand"
	vars["AWS_REGION"] = region
	vars["AWS_DEFAULT_REGION"] = region
	if e.MemorySize != nil {
		vars["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(*e.MemorySize)
	}
	if e.Handler != "" {
		vars["_HANDLER"] = e.Handler
	}
	if e.Runtime != "" {
		vars["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + e.Runtime
	}
	vars["AWS_ACCESS_KEY_ID"] = creds.AccessKeyID
	vars["AWS_SECRET_ACCESS_KEY"] = creds.SecretAccessKey
	delete(vars, "AWS_SESSION_TOKEN")
	if creds.SessionToken != "" {
		vars["AWS_SESSION_TOKEN"] = creds.SessionToken
	}
	// The credentials above are the role's; a profile would shadow them in
	// some tools.
	delete(vars, "AWS_PROFILE")
}

// getEnvironment calls GetFunctionEnvironment, signed as the caller.
func getEnvironment(ctx context.Context, cfg aws.Config, endpoint, function string) (*environment, error) {
	name, qualifier := function, ""
	// A qualifier follows the name or ARN after one more colon: name:q, or
	// arn:aws:lambda:region:account:function:name:q.
	if parts := strings.Split(function, ":"); len(parts) == 2 || len(parts) == 8 {
		name, qualifier = strings.Join(parts[:len(parts)-1], ":"), parts[len(parts)-1]
	}
	u := strings.TrimRight(endpoint, "/") + "/2015-03-31/functions/" + url.PathEscape(name) + "/sealbox-environment"
	if qualifier != "" {
		u += "?Qualifier=" + url.QueryEscape(qualifier)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(empty[:]), "lambda", cfg.Region, time.Now()); err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, awsError(resp, body)
	}
	var e environment
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("the server's answer is not an environment: %w", err)
	}
	return &e, nil
}

// awsError reads a REST-JSON error answer: its code and message.
func awsError(resp *http.Response, body []byte) error {
	var shape struct {
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	json.Unmarshal(body, &shape)
	code := resp.Header.Get("X-Amzn-ErrorType")
	code, _, _ = strings.Cut(code, ":")
	if code == "" {
		code = resp.Status
	}
	msg := shape.Message
	if msg == "" {
		msg = shape.MessageU
	}
	return fmt.Errorf("%s: %s", code, msg)
}

// decryptPrefixed replaces each variable prefix+NAME holding a base64 KMS
// ciphertext with NAME holding its plaintext.
func decryptPrefixed(ctx context.Context, client *kms.Client, vars map[string]string, prefix string, encContext map[string]string) error {
	names := make([]string, 0)
	for k := range vars {
		if strings.HasPrefix(k, prefix) && len(k) > len(prefix) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		blob, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vars[k]))
		if err != nil {
			return fmt.Errorf("%s is not base64: %w", k, err)
		}
		out, err := client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: encContext})
		if err != nil {
			return fmt.Errorf("decrypting %s: %w", k, err)
		}
		delete(vars, k)
		vars[strings.TrimPrefix(k, prefix)] = string(out.Plaintext)
	}
	return nil
}

// pairs is a repeatable key=value flag.
type pairs struct{ m map[string]string }

func (p *pairs) String() string {
	if p == nil || len(p.m) == 0 {
		return ""
	}
	var s []string
	for k, v := range p.m {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func (p *pairs) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return errors.New("want key=value")
	}
	if p.m == nil {
		p.m = map[string]string{}
	}
	p.m[k] = v
	return nil
}
