package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"github.com/sealbox/sealbox"
)

// validVariable is the name Lambda allows a variable.
var validVariable = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]+$`)

// reserved are the names Lambda's runtime sets and refuses in a function's
// configuration (Lambda's "Defined runtime environment variables"). TZ is
// documented as reserved but Lambda accepts it, and AWS_XRAY_CONTEXT_MISSING
// and AWS_XRAY_DAEMON_ADDRESS are documented as unreserved: neither is here.
var reserved = map[string]bool{
	"_HANDLER":                        true,
	"_X_AMZN_TRACE_ID":                true,
	"AWS_DEFAULT_REGION":              true,
	"AWS_REGION":                      true,
	"AWS_EXECUTION_ENV":               true,
	"AWS_LAMBDA_FUNCTION_NAME":        true,
	"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION":     true,
	"AWS_LAMBDA_INITIALIZATION_TYPE":  true,
	"AWS_LAMBDA_LOG_GROUP_NAME":       true,
	"AWS_LAMBDA_LOG_STREAM_NAME":      true,
	"AWS_ACCESS_KEY":                  true,
	"AWS_ACCESS_KEY_ID":               true,
	"AWS_SECRET_ACCESS_KEY":           true,
	"AWS_SESSION_TOKEN":               true,
	"AWS_LAMBDA_RUNTIME_API":          true,
	"LAMBDA_TASK_ROOT":                true,
	"LAMBDA_RUNTIME_DIR":              true,
}

// checkNames refuses names Lambda does not allow: malformed, or reserved.
// Messages name variables, never values.
func checkNames(vars map[string]string) error {
	names := sortedNames(vars)
	var used []string
	for _, n := range names {
		if !validVariable.MatchString(n) {
			return errValidation("1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")
		}
		if reserved[n] {
			used = append(used, n)
		}
	}
	if len(used) > 0 {
		return errInvalid("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(used, ", "))
	}
	return nil
}

// envSize is the size Lambda measures an environment by: the bytes of the
// JSON of its variables.
func envSize(vars map[string]string) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(vars)
	n := buf.Len() - 1 // the encoder's newline
	clear(buf.Bytes())
	return n
}

// checkSize refuses an environment over Lambda's 4 KB. Lambda quotes the
// string it measured; sealbox says its size instead, for the string holds
// the values.
func checkSize(vars map[string]string) error {
	if n := envSize(vars); n > maxEnvBytes {
		return errInvalid("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d bytes (the values are not shown)", n)
	}
	return nil
}

// checkReferences refuses a value whose {{resolve:…}} references are
// malformed.
func checkReferences(vars map[string]string) error {
	for _, n := range sortedNames(vars) {
		if _, err := findReferences(n, vars[n]); err != nil {
			return err
		}
	}
	return nil
}

// maskedEnvironment shows env's names with every value masked.
func maskedEnvironment(env *sealedEnv) *EnvironmentResponse {
	vars := make(map[string]string, len(env.Names))
	for _, n := range env.Names {
		vars[n] = MaskedValue
	}
	return &EnvironmentResponse{Variables: vars}
}

// environment is a version's environment as the caller may see it, for
// the configuration of resource (the function, version or alias the call
// named). Masked unless the server shows values, or the caller may perform
// sealbox:RevealEnvironment on resource; either way the values are
// decrypted as the caller, whose kms:Decrypt on the key KMS decides. With
// masking, a refusal masks; without, it is Lambda's Environment.Error.
func (s *Service) environment(ctx context.Context, fn *functionRecord, c *configRecord, resource string) (*EnvironmentResponse, error) {
	if c.Env == nil {
		return nil, nil
	}
	if !s.unmask {
		if err := s.authorize(ctx, RevealAction, resource, fn, nil); err != nil {
			if isDenied(err) {
				return maskedEnvironment(c.Env), nil
			}
			return nil, err
		}
	}
	vars, err := s.open(ctx, fn.ARN, c.Env)
	if err == nil {
		return &EnvironmentResponse{Variables: vars}, nil
	}
	e, ok := sealbox.AsError(err)
	if !ok || e.Server {
		return nil, err
	}
	if !s.unmask {
		return maskedEnvironment(c.Env), nil
	}
	le, _ := sealbox.AsError(kmsReadError(err))
	return &EnvironmentResponse{Error: &EnvironmentError{ErrorCode: le.Code, Message: le.Message}}, nil
}

// newVariables is the environment an update asks for, with every variable
// sent as {{sealbox:masked}} given its current value (decrypted as the
// caller): a tool that reads a masked configuration and writes it back
// keeps the values it could not see. A masked variable with no current
// value is refused.
func (s *Service) newVariables(ctx context.Context, fn *functionRecord, cur *sealedEnv, vars map[string]string) (map[string]string, error) {
	var masked []string
	for _, n := range sortedNames(vars) {
		if vars[n] == MaskedValue {
			masked = append(masked, n)
		}
	}
	if len(masked) == 0 {
		return vars, nil
	}
	var old map[string]string
	if cur != nil {
		var err error
		if old, err = s.open(ctx, fn.ARN, cur); err != nil {
			return nil, kmsReadError(err)
		}
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		out[k] = v
	}
	for _, n := range masked {
		v, ok := old[n]
		if !ok {
			return nil, errInvalid("The environment variable %s is sent as %s, which keeps a current value, but the function has no variable %s.", n, MaskedValue, n)
		}
		out[n] = v
	}
	return out, nil
}

// checkEnvironment runs every check an environment a write sends must
// pass, in Lambda's order: names, then size; then sealbox's references.
func checkEnvironment(vars map[string]string) error {
	if err := checkNames(vars); err != nil {
		return err
	}
	if err := checkSize(vars); err != nil {
		return err
	}
	return checkReferences(vars)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
