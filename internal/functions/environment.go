package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/secrets"
)

// GetFunctionEnvironment is sealbox's cold start (sealbox exec): a
// version's environment in plain values, its references resolved, for the
// function's own execution role.
//
// Only a session of the version's Role may call it (AccessDeniedException
// otherwise; no IAM action grants it to anyone else). The environment is
// decrypted as that session, through KMS on its behalf (kms:ViaService
// lambda.<region>.amazonaws.com), so the role needs kms:Decrypt on the key,
// as in Lambda: a refusal is KMSAccessDeniedException and its kin, whose
// message carries KMS's. Each reference is then read as the session itself
// (ssm:GetParameter, secretsmanager:GetSecretValue, and kms:Decrypt via
// those services); one that is refused or missing fails the whole call
// with the underlying error. Every resolved reference is recorded as its
// own audit event, ResolveEnvironmentReference, naming the function, the
// version, the variable and the source; the Decrypt is recorded as the
// session's KMS event invoked by Lambda.
func (s *Service) GetFunctionEnvironment(ctx context.Context, in *GetFunctionEnvironmentRequest) (*GetFunctionEnvironmentResponse, error) {
	r := sealbox.MustRequest(ctx)
	ref, err := parseFunction(r, in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	r.AddResource(resourceType, ref.arn)
	p := r.Principal
	if !p.Temporary || p.RoleARN == "" {
		return nil, sealbox.Errorf("AccessDeniedException", "User: %s is not authorized to perform: lambda:GetFunctionEnvironment on resource: %s because only a session of the function's execution role may get its environment", p.ARN, ref.resource())
	}
	t, err := s.loadTarget(ctx, ref)
	if isNotFound(err) {
		return nil, errFunctionNotFound(ref.resource())
	}
	if err != nil {
		return nil, err
	}
	if !sameRole(p.RoleARN, t.cfg.Role) {
		return nil, sealbox.Errorf("AccessDeniedException", "User: %s is not authorized to perform: lambda:GetFunctionEnvironment on resource: %s because the caller is not the function's execution role %s", p.ARN, ref.resource(), t.cfg.Role)
	}
	vars, refs, err := s.plainEnvironment(ctx, t, in.FunctionName, in.Qualifier)
	if rf, ok := err.(*referenceFailure); ok {
		// The role's own call: it learns what failed.
		return nil, rf.err
	}
	if err != nil {
		return nil, err
	}
	return &GetFunctionEnvironmentResponse{FunctionName: t.fn.Name, FunctionArn: t.arn, Version: t.cfg.Version,
		Runtime: t.cfg.Runtime, Handler: t.cfg.Handler, MemorySize: int32(t.cfg.MemorySize), Timeout: int32(t.cfg.Timeout),
		Role: t.cfg.Role, Variables: vars, References: refs}, nil
}

// plainEnvironment decrypts t's environment as the caller of ctx (a
// session of the execution role), through KMS on its behalf, and resolves
// its references as that caller, each recorded as a
// ResolveEnvironmentReference event naming the function as the call named
// it (name, qualifier): the cold start's work, for GetFunctionEnvironment
// and for Invoke's INIT.
func (s *Service) plainEnvironment(ctx context.Context, t *target, name, qualifier string) (map[string]string, []SealboxResolvedReference, error) {
	r := sealbox.MustRequest(ctx)
	vars := map[string]string{}
	if t.cfg.Env != nil {
		var err error
		if vars, err = s.open(ctx, t.fn.ARN, t.cfg.Env); err != nil {
			return nil, nil, kmsReadError(err)
		}
	}
	out := []SealboxResolvedReference{}
	// References are read as the caller itself, on a copy of its request
	// that gathers the resources they touch apart from this call's.
	own := *r
	own.Resources, own.AuditParameters = nil, nil
	rctx := sealbox.NewContext(ctx, &own)
	for _, variable := range sortedNames(vars) {
		value := vars[variable]
		refs, err := findReferences(variable, value)
		if err != nil {
			return nil, nil, &referenceFailure{err}
		}
		if len(refs) == 0 {
			continue
		}
		var b strings.Builder
		last := 0
		for i := range refs {
			rf := &refs[i]
			v, src, err := s.resolve(rctx, variable, rf)
			if rerr := s.recordReference(ctx, t, name, qualifier, variable, rf, src, err); rerr != nil {
				return nil, nil, rerr
			}
			if err != nil {
				return nil, nil, &referenceFailure{err}
			}
			b.WriteString(value[last:rf.start])
			b.WriteString(v)
			last = rf.end
			out = append(out, SealboxResolvedReference{Variable: variable, Source: src})
		}
		b.WriteString(value[last:])
		vars[variable] = b.String()
	}
	return vars, out, nil
}

// referenceFailure is plainEnvironment's error for a reference it could
// not resolve, apart from KMS's for the environment itself: the role's
// own GetFunctionEnvironment answers err, Invoke a failed INIT.
type referenceFailure struct{ err error }

func (e *referenceFailure) Error() string { return e.err.Error() }

// sameRole reports whether the caller's role is the function's Role: the
// same ARN, or the same role of the same account named without its path
// (role names are unique in an account, whatever the path).
func sameRole(caller, role string) bool {
	if caller == role {
		return true
	}
	a, err1 := sealbox.ParseARN(caller)
	b, err2 := sealbox.ParseARN(role)
	if err1 != nil || err2 != nil || a.Service != "iam" || b.Service != "iam" || a.Partition != b.Partition || a.AccountID != b.AccountID ||
		!strings.HasPrefix(a.Resource, "role/") || !strings.HasPrefix(b.Resource, "role/") {
		return false
	}
	return a.Resource[strings.LastIndexByte(a.Resource, '/')+1:] == b.Resource[strings.LastIndexByte(b.Resource, '/')+1:]
}

// resolve reads what rf refers to, as the caller of ctx: the value and the
// ARN of its source.
func (s *Service) resolve(ctx context.Context, variable string, rf *reference) (value, source string, err error) {
	switch rf.service {
	case "ssm", "ssm-secure":
		if s.params == nil {
			return "", "", errInvalid("Variable %s refers to the %s, but Parameter Store is not served.", variable, rf.describe())
		}
		out, err := s.params.GetParameter(ctx, &parameters.GetParameterRequest{Name: rf.parameterName(), WithDecryption: rf.service == "ssm-secure"})
		if err != nil {
			return "", "", referenceError(err, variable, rf)
		}
		p := out.Parameter
		if rf.service == "ssm" && p.Type == "SecureString" {
			return "", p.ARN, errInvalid("Variable %s refers to the SecureString parameter %s with {{resolve:ssm:…}}: use {{resolve:ssm-secure:…}}.", variable, p.ARN)
		}
		return p.Value, p.ARN, nil
	}
	if s.secrets == nil {
		return "", "", errInvalid("Variable %s refers to the %s, but Secrets Manager is not served.", variable, rf.describe())
	}
	out, err := s.secrets.GetSecretValue(ctx, &secrets.GetSecretValueRequest{SecretId: rf.name, VersionStage: rf.stage, VersionId: rf.versionID})
	if err != nil {
		return "", "", referenceError(err, variable, rf)
	}
	if out.SecretString == nil {
		return "", out.ARN, errInvalid("Variable %s refers to the secret %s, whose value is binary: only a SecretString can be a variable.", variable, out.ARN)
	}
	if rf.jsonKey == "" {
		return *out.SecretString, out.ARN, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*out.SecretString), &obj); err != nil {
		// The decoder's error quotes the text: it is not passed on.
		return "", out.ARN, errInvalid("Variable %s refers to the JSON key %s of the secret %s, whose SecretString is not a JSON object.", variable, rf.jsonKey, out.ARN)
	}
	raw, ok := obj[rf.jsonKey]
	if !ok {
		return "", out.ARN, errInvalid("Variable %s refers to the JSON key %s of the secret %s, which has no such key.", variable, rf.jsonKey, out.ARN)
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str, out.ARN, nil
	}
	return string(raw), out.ARN, nil
}

// referenceError is the error a service answered for a reference, with
// the variable and the reference it was resolving added to its message.
func referenceError(err error, variable string, rf *reference) error {
	e, ok := sealbox.AsError(err)
	if !ok {
		return err
	}
	msg := e.Message
	if msg == "" && e.Code == "ParameterNotFound" {
		msg = "Parameter " + rf.name + " not found."
	}
	return &sealbox.Error{Code: e.Code, Status: e.Status, Server: e.Server,
		Message: fmt.Sprintf("%s (resolving variable %s: a reference to the %s)", msg, variable, rf.describe())}
}

// recordReference records the resolution of rf for variable as its own
// audit event: the request's function name and qualifier as it gave them,
// the function and the source as its resources, never the value; a
// failure with its error.
func (s *Service) recordReference(ctx context.Context, t *target, name, qualifier, variable string, rf *reference, source string, callErr error) error {
	if s.recorder == nil {
		return nil
	}
	if source == "" {
		source = rf.name
	}
	rec := &sealbox.Record{
		EventSource:       lambdaService,
		EventName:         "ResolveEnvironmentReference",
		ReadOnly:          true,
		RequestParameters: map[string]any{"functionName": name, "qualifier": qualifier},
		Resources:         []sealbox.Resource{{AccountID: t.fn.Account, Type: resourceType, ARN: t.fn.ARN}},
		AdditionalData: map[string]any{"functionName": t.fn.Name, "functionVersion": t.cfg.Version,
			"variable": variable, "source": source},
	}
	if a, err := sealbox.ParseARN(source); err == nil {
		typ := "AWS::SSM::Parameter"
		if a.Service == "secretsmanager" {
			typ = "AWS::SecretsManager::Secret"
		}
		rec.Resources = append(rec.Resources, sealbox.Resource{AccountID: a.AccountID, Type: typ, ARN: source})
	}
	if callErr != nil {
		e, ok := sealbox.AsError(callErr)
		if !ok {
			return nil // an internal failure: the call fails and is logged
		}
		rec.ErrorCode, rec.ErrorMessage = e.Code, e.Message
	}
	return s.recorder.Record(ctx, rec)
}
