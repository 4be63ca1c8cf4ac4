package functions

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/lambdarun"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/secrets"
)

// Runner runs a version's code in an execution environment
// (lambdarun.Runner).
type Runner interface {
	Invoke(ctx context.Context, spec *lambdarun.Spec, inv *lambdarun.Invocation) (*lambdarun.Result, error)
}

// Sessions makes a session of a function's execution role, as Lambda
// assumes the role for an execution environment: the role must trust
// lambda.amazonaws.com.
type Sessions interface {
	RoleSession(ctx context.Context, roleARN, sessionName string) (*RoleSession, error)
	// Prepare readies ctx, whose Request is now the session's, for the
	// calls made as it, as the router readies a call's (its policies
	// read before any transaction begins).
	Prepare(ctx context.Context) (context.Context, error)
}

// RoleSession is a session of an execution role: who it is, and the
// credentials the function gets in its environment.
type RoleSession struct {
	Principal       sealbox.Principal
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Runtimes sealbox runs: a bootstrap executable in the package, as
// Lambda's OS-only runtimes.
var runnable = map[string]bool{"provided.al2023": true, "provided.al2": true}

// Payload limits of Invoke, as Lambda's.
const (
	maxSyncPayload  = 6291456
	maxAsyncPayload = 1048576
	// maxLogResult is how much of the log X-Amz-Log-Result carries.
	maxLogResult = 4096
)

// extensionLayer matches the AWS Parameters and Secrets Lambda Extension's
// layer (x86_64 or -Arm64, any account, region and version) and sealbox's
// own layer, "sealbox-agent": a function that lists either gets the agent
// as an extension.
var extensionLayer = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:(AWS-Parameters-and-Secrets-Lambda-Extension(-Arm64)?|sealbox-agent):[0-9]+$`)

// Invoke runs a version of a function (Qualifier, or a qualifier in the
// name: a version or alias; none is $LATEST) with the payload, as Lambda's
// Invoke: RequestResponse answers the function's result, Event starts it
// and answers 202, DryRun only checks that the caller may invoke it (204).
// The caller must be allowed lambda:InvokeFunction on the ARN as the call
// names it (a policy on the unqualified ARN does not cover a version or
// alias, as in Lambda).
//
// An execution environment is started when none of this configuration is
// warm: its INIT makes a session of the execution role, decrypts the
// environment as that session through KMS on its behalf (Decrypt invoked
// by Lambda) and resolves its references as it (one
// ResolveEnvironmentReference event each), as GetFunctionEnvironment
// does; a role that may not decrypt is KMSAccessDeniedException and the
// code never starts. A reference that cannot be resolved is a failed INIT,
// answered to the invoker naming nothing (initFailure). The function's
// errors (those its runtime posts), a timeout and a crash are answered
// with X-Amz-Function-Error: Unhandled and Lambda's error object; the
// function's context names the ARN the call invoked.
func (s *Service) Invoke(ctx context.Context, in *InvocationRequest) (*InvocationResponse, error) {
	r := sealbox.MustRequest(ctx)
	ref, err := parseFunction(r, in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	kind := in.InvocationType
	if kind == "" {
		kind = "RequestResponse"
	}
	t, err := s.access(ctx, "lambda:InvokeFunction", ref, nil)
	if err != nil {
		return nil, err
	}
	limit := maxSyncPayload
	if kind == "Event" {
		limit = maxAsyncPayload
	}
	if len(in.Payload) > limit {
		return nil, sealbox.Errorf("RequestTooLargeException", "Request must be smaller than %d bytes for the InvokeFunction operation", limit)
	}
	if len(in.Payload) > 0 && !json.Valid(in.Payload) {
		return nil, sealbox.Errorf("InvalidRequestContentException", "Could not parse request body into json: the payload is not valid JSON")
	}
	if kind == "DryRun" {
		return &InvocationResponse{StatusCode: 204}, nil
	}
	cfg := t.cfg
	if cfg.PackageType == packageImage || !runnable[cfg.Runtime] {
		runtime := cfg.Runtime
		if cfg.PackageType == packageImage {
			runtime = "a container image"
		}
		return nil, sealbox.Errorf("InvalidRuntimeException", "sealbox runs the provided.al2023 and provided.al2 runtimes (a bootstrap executable in a ZIP package); %s uses %s.", t.arn, runtime)
	}
	if s.runner == nil {
		return nil, s.noEmulator()
	}
	spec := s.spec(ctx, t)
	if kind == "RequestResponse" {
		// Authorized and valid: the answer may come after the server's
		// write timeout, as late as the function's own plus a cold start.
		extendAnswer(ctx, spec.Timeout+time.Minute)
	}
	inv := &lambdarun.Invocation{RequestID: r.ID, FunctionARN: t.arn, Payload: in.Payload, ClientContext: in.ClientContext, Tail: in.LogType == "Tail" && kind == "RequestResponse"}
	if kind == "Event" {
		// Lambda queues the event and answers at once; here it runs now,
		// detached from the call, retried as Lambda retries it (async.go).
		if err := s.invokeAsync(ctx, ref, t, spec, inv); err != nil {
			return nil, s.runError(err)
		}
		return &InvocationResponse{StatusCode: 202}, nil
	}
	res, err := s.runner.Invoke(ctx, spec, inv)
	var failed *initFailure
	if errors.As(err, &failed) {
		s.logInitFailure(t.arn, inv.RequestID, failed)
		return &InvocationResponse{StatusCode: 200, FunctionError: "Unhandled", ExecutedVersion: cfg.Version,
			Payload: initErrorPayload(inv.RequestID)}, nil
	}
	if err != nil {
		return nil, s.runError(err)
	}
	out := &InvocationResponse{StatusCode: 200, FunctionError: res.FunctionError, Payload: res.Payload, ExecutedVersion: cfg.Version}
	if inv.Tail {
		out.LogResult = base64.StdEncoding.EncodeToString(res.Log[max(len(res.Log)-maxLogResult, 0):])
	}
	return out, nil
}

// initFailure is an INIT that failed past the role's session: a
// reference not resolved, as the session (refused, missing, not a
// string), or the session not readied. The invoker, who may hold no more
// than lambda:InvokeFunction, is answered as Lambda answers a failed
// INIT, naming nothing (initErrorPayload); what failed, which names the
// secrets, parameters and the role, is the operator's: the server's log,
// and the audit trail's ResolveEnvironmentReference events.
type initFailure struct{ err error }

func (e *initFailure) Error() string {
	return "the execution environment's INIT failed: " + e.err.Error()
}

// initErrorType is the errorType of a failed INIT's answer.
const initErrorType = "Runtime.InitError"

// initErrorPayload is the error object of a failed INIT, as Lambda words
// its own errors ("RequestId: ID Error: ...").
func initErrorPayload(requestID string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{initErrorType, "RequestId: " + requestID + " Error: INIT failed: Lambda could not prepare the function's environment variables with its execution role"})
	return b
}

func (s *Service) logInitFailure(arn, requestID string, e *initFailure) {
	s.log.Warn("a function's INIT failed: answered "+initErrorType, "function", arn, "request", requestID, "error", e.err.Error())
}

type answerDeadlineKey struct{}

// WithAnswerDeadline returns ctx carrying set, which an authorized
// RequestResponse Invoke calls with the time its answer may take: the
// server's transport sets its write deadline there, and only for a call
// that waits on a function, after it is authorized.
func WithAnswerDeadline(ctx context.Context, set func(time.Duration)) context.Context {
	return context.WithValue(ctx, answerDeadlineKey{}, set)
}

func extendAnswer(ctx context.Context, d time.Duration) {
	if set, ok := ctx.Value(answerDeadlineKey{}).(func(time.Duration)); ok {
		set(d)
	}
}

// spec is what the runner needs to start or reuse an environment of t's
// configuration. Its Init runs at a cold start, on the Request of the
// Invoke that needed it.
func (s *Service) spec(ctx context.Context, t *target) *lambdarun.Spec {
	fn, cfg := t.fn, t.cfg
	watch := []string{functionKey(fn.Region, fn.Name)}
	if cfg.Version != latest {
		n, _ := strconv.ParseInt(cfg.Version, 10, 64)
		watch = []string{versionKey(fn.Region, fn.Name, n), functionKey(fn.Region, fn.Name)}
	}
	spec := &lambdarun.Spec{
		Key:   fn.ARN + "\x00" + cfg.Version + "\x00" + cfg.Change,
		Group: fn.ARN, Name: fn.Name, Version: cfg.Version, Handler: cfg.Handler,
		Timeout: time.Duration(cfg.Timeout) * time.Second, MemoryMB: cfg.MemorySize, EphemeralMB: cfg.Ephemeral,
		Watch:      watch,
		Reserved:   reservedConcurrency(fn.Reserved),
		Code:       func(ctx context.Context) ([]byte, error) { return s.readCode(ctx, fn, cfg, t.arn) },
		CodeDigest: hex.EncodeToString(mustDecode(cfg.Code.Sha256)),
	}
	r := sealbox.MustRequest(ctx)
	// The INIT's calls are made as Lambda makes them: from
	// lambda.amazonaws.com, as the role's session.
	initReq := *r
	initReq.Resources, initReq.AuditParameters = nil, nil
	initReq.SourceIP, initReq.UserAgent = lambdaService, lambdaService
	spec.Init = func(ctx context.Context, rt lambdarun.Runtime) (map[string]string, []string, error) {
		return s.initEnvironment(ctx, &initReq, t, rt, spec)
	}
	return spec
}

// initEnvironment is an environment's INIT: the execution role's session,
// the environment decrypted and resolved as it, the variables Lambda sets,
// and the extensions the layers ask for. It answers the variables and the
// store keys whose change makes them stale (the key, the referenced
// parameters and secrets).
func (s *Service) initEnvironment(ctx context.Context, req *sealbox.Request, t *target, rt lambdarun.Runtime, spec *lambdarun.Spec) (map[string]string, []string, error) {
	fn, cfg := t.fn, t.cfg
	if s.sessions == nil {
		return nil, nil, &sealbox.Error{Code: "ServiceException", Server: true, Message: "sealbox cannot assume execution roles here."}
	}
	sess, err := s.sessions.RoleSession(ctx, cfg.Role, fn.Name)
	if err != nil {
		if isDenied(err) {
			// Lambda's words, which name no role (STS's AccessDenied
			// names it).
			return nil, nil, errInvalid("The role defined for the function cannot be assumed by Lambda.")
		}
		return nil, nil, &initFailure{err}
	}
	own := *req
	own.Principal = sess.Principal
	sctx, err := s.sessions.Prepare(sealbox.NewContext(ctx, &own))
	if err != nil {
		return nil, nil, &initFailure{err}
	}
	// KMS's refusal is answered as Lambda answers it (KMSAccessDenied-
	// Exception and its kin, with KMS's message); a reference that
	// cannot be resolved is a failed INIT (initFailure).
	vars, refs, err := s.plainEnvironment(sctx, t, fn.Name, cfg.Version)
	if rf, ok := err.(*referenceFailure); ok {
		return nil, nil, &initFailure{rf.err}
	}
	if err != nil {
		return nil, nil, err
	}
	var watch []string
	if cfg.Env != nil {
		if a, err := sealbox.ParseARN(cfg.Env.KeyARN); err == nil {
			watch = append(watch, kms.RecordKey(a.Region, strings.TrimPrefix(a.Resource, "key/")))
		}
	}
	for _, ref := range refs {
		if k := sourceKey(ref.Source); k != "" {
			watch = append(watch, k)
		}
	}
	logGroup := "/aws/lambda/" + fn.Name
	if cfg.Logging != nil && cfg.Logging.LogGroup != "" {
		logGroup = cfg.Logging.LogGroup
	}
	endpoint := ""
	if s.endpoint != nil {
		endpoint = s.endpoint()
	}
	now := s.clock.Now().UTC()
	set := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     cfg.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(cfg.MemorySize),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       logGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      now.Format("2006/01/02") + "/[" + cfg.Version + "]" + strings.ReplaceAll(ids.UUID(), "-", ""),
		"AWS_REGION":                      fn.Region,
		"AWS_DEFAULT_REGION":              fn.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + cfg.Runtime,
		"AWS_ACCESS_KEY_ID":               sess.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":           sess.SecretAccessKey,
		"AWS_SESSION_TOKEN":               sess.SessionToken,
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
	}
	if endpoint != "" {
		set["AWS_ENDPOINT_URL"] = endpoint
	}
	for k, v := range set {
		vars[k] = v
	}
	spec.Extensions = s.extensions(cfg)
	return vars, watch, nil
}

// extensions are the external extensions cfg's layers ask for: the
// agent, for the Parameters and Secrets extension's layer (under the file
// name AWS's layer gives its extension, which code may look for) or
// sealbox's own. The emulator starts it from /opt/extensions with the
// function's variables (set: the endpoint, the region, the role
// session's credentials, its session token the token the agent asks of
// callers, as the extension's is).
func (s *Service) extensions(cfg *configRecord) []lambdarun.Extension {
	if s.agent == "" {
		return nil
	}
	for _, l := range cfg.Layers {
		m := extensionLayer.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		name := "AWSParametersAndSecretsLambdaExtension"
		if m[1] == "sealbox-agent" {
			name = "sealbox-agent"
		}
		return []lambdarun.Extension{{Name: name, Path: s.agent}}
	}
	return nil
}

// sourceKey is the store key of a reference's source (a parameter's or a
// secret's ARN), "" for another.
func sourceKey(arn string) string {
	a, err := sealbox.ParseARN(arn)
	if err != nil {
		return ""
	}
	switch a.Service {
	case "ssm":
		name, ok := strings.CutPrefix(a.Resource, "parameter")
		if !ok {
			return ""
		}
		return parameters.RecordKey(a.Region, name)
	case "secretsmanager":
		name, ok := strings.CutPrefix(a.Resource, "secret:")
		// A secret's ARN ends in "-" and six random characters.
		if !ok || len(name) < 8 || name[len(name)-7] != '-' {
			return ""
		}
		return secrets.RecordKey(a.Region, name[:len(name)-7])
	}
	return ""
}

// reservedConcurrency is a function's reservation as the runner takes it.
func reservedConcurrency(n *int32) *int {
	if n == nil {
		return nil
	}
	v := int(*n)
	return &v
}

// runError words the runner's refusals as Lambda does.
func (s *Service) runError(err error) error {
	var th *lambdarun.ThrottledError
	var pkg *lambdarun.PackageError
	switch {
	case errors.As(err, &th):
		return &sealbox.Error{Code: "TooManyRequestsException", Message: "Rate Exceeded.", Reason: th.Reason}
	case errors.Is(err, lambdarun.ErrNoEmulator):
		return s.noEmulator()
	case errors.Is(err, lambdarun.ErrNeedsLinux):
		return &sealbox.Error{Code: "ServiceException", Server: true, Message: "sealbox runs functions only on a Linux server (this one runs on " + runtime.GOOS + "): their runtimes are Linux programs. Every other Lambda operation works here."}
	case errors.As(err, &pkg):
		return sealbox.Errorf("InvalidZipFileException", "Lambda could not unzip the deployment package: %v", pkg.Why)
	case errors.Is(err, lambdarun.ErrPortsTaken):
		// The runner logged which ports; the invoker learns nothing of
		// the host.
		return &sealbox.Error{Code: "ServiceException", Server: true, Message: "Lambda could not start an execution environment for the function. Try again later."}
	case errors.Is(err, lambdarun.ErrExtensionsNeedRoot):
		return &sealbox.Error{Code: "ServiceException", Server: true, Message: fmt.Sprintf("The function lists the Parameters and Secrets extension's layer: sealbox runs it as an external extension, in a mount namespace of the execution environment's own where /opt/extensions holds it, which only a server running as root can make (this one runs as uid %d). Run the server as root, or remove the layer.", os.Geteuid())}
	}
	if _, ok := sealbox.AsError(err); ok {
		return err
	}
	// The runner's own errors name the host's folders, ports and
	// programs: the server's log has them, the invoker only Lambda's words.
	s.log.Warn("an execution environment failed", "error", err)
	return &sealbox.Error{Code: "ServiceException", Server: true, Message: "Lambda could not run the function: the server met an error, which its log records."}
}

func (s *Service) noEmulator() error {
	return &sealbox.Error{Code: "ServiceException", Server: true, Message: "sealbox runs functions with AWS's Lambda Runtime Interface Emulator, which this server cannot find: install it (" +
		lambdarun.InstallHint + ") and start the server with --lambda-rie PATH (or SEALBOX_LAMBDA_RIE=PATH), or put aws-lambda-rie on its PATH."}
}
