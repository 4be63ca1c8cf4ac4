package functions

import (
	"strconv"
	"strings"
)

// A reference is a CloudFormation dynamic reference in a variable's value,
// resolved at GetFunctionEnvironment:
//
//	{{resolve:ssm:parameter-name}}             a String or StringList
//	{{resolve:ssm:parameter-name:version}}     a version of it
//	{{resolve:ssm-secure:parameter-name[:version]}}   a SecureString, decrypted
//	{{resolve:secretsmanager:secret-id[:SecretString[:json-key[:version-stage[:version-id]]]]}}
//
// parameter-name is a name or a parameter ARN; secret-id a name or a full
// secret ARN (whose ':' do not split it). An empty json-key is the whole
// SecretString; version-stage and version-id exclude each other. A value
// may hold several references among other text.
type reference struct {
	start, end int    // the reference's place in the value
	service    string // "ssm", "ssm-secure" or "secretsmanager"
	name       string // the parameter name or the secret id
	version    int64  // ssm: the version, 0 for the current one
	jsonKey    string
	stage      string
	versionID  string
}

const (
	refOpen  = "{{resolve:"
	refClose = "}}"
)

// describe names what a reference reads, for messages: never a value.
func (r *reference) describe() string {
	switch r.service {
	case "secretsmanager":
		s := "secret " + r.name
		if r.jsonKey != "" {
			s += " (JSON key " + r.jsonKey + ")"
		}
		return s
	case "ssm-secure":
		return "SecureString parameter " + r.parameterName()
	}
	return "parameter " + r.parameterName()
}

// parameterName is the name GetParameter is asked for: with ":version"
// when the reference names one.
func (r *reference) parameterName() string {
	if r.version > 0 {
		return r.name + ":" + strconv.FormatInt(r.version, 10)
	}
	return r.name
}

// findReferences lists the references in variable's value; a malformed one
// is refused with a message that names the variable and the rule broken,
// never the value.
func findReferences(variable, value string) ([]reference, error) {
	var out []reference
	for i := 0; ; {
		j := strings.Index(value[i:], refOpen)
		if j < 0 {
			break
		}
		start := i + j
		k := strings.Index(value[start+len(refOpen):], refClose)
		if k < 0 {
			return nil, errReference(variable, "a {{resolve: reference must end with }}")
		}
		end := start + len(refOpen) + k + len(refClose)
		ref, why := parseReference(value[start+len(refOpen) : end-len(refClose)])
		if why != "" {
			return nil, errReference(variable, why)
		}
		ref.start, ref.end = start, end
		out = append(out, ref)
		i = end
	}
	return out, nil
}

func errReference(variable, why string) error {
	return errInvalid("Lambda was unable to configure your environment variables because the value of %s holds a malformed dynamic reference: %s.", variable, why)
}

// parseReference reads the text between "{{resolve:" and "}}"; why says
// what is wrong with it.
func parseReference(body string) (ref reference, why string) {
	svc, rest, ok := strings.Cut(body, ":")
	if !ok || rest == "" {
		return ref, "a reference is {{resolve:service:name…}}"
	}
	ref.service = svc
	switch svc {
	case "ssm", "ssm-secure":
		name, version := rest, ""
		if strings.HasPrefix(rest, "arn:") {
			// arn:partition:ssm:region:account:parameter/name[:version]
			parts := strings.SplitN(rest, ":", 7)
			if len(parts) < 6 || parts[2] != "ssm" || !strings.HasPrefix(parts[5], "parameter/") {
				return ref, "a parameter ARN is arn:aws:ssm:region:account:parameter/name"
			}
			name = strings.Join(parts[:6], ":")
			if len(parts) == 7 {
				version = parts[6]
			}
		} else if n, v, has := strings.Cut(rest, ":"); has {
			name, version = n, v
		}
		if name == "" || strings.ContainsAny(name, " {}") {
			return ref, "the parameter name is missing or malformed"
		}
		if version != "" {
			n, err := strconv.ParseInt(version, 10, 64)
			if err != nil || n < 1 || strings.Contains(version, ":") {
				return ref, "a parameter version is a positive number"
			}
			ref.version = n
		}
		ref.name = name
		return ref, ""
	case "secretsmanager":
		var id string
		var parts []string
		if strings.HasPrefix(rest, "arn:") {
			// arn:partition:secretsmanager:region:account:secret:name-suffix
			all := strings.Split(rest, ":")
			if len(all) < 7 || all[2] != "secretsmanager" || all[5] != "secret" || all[6] == "" {
				return ref, "a secret ARN is arn:aws:secretsmanager:region:account:secret:name"
			}
			id, parts = strings.Join(all[:7], ":"), all[7:]
		} else {
			all := strings.Split(rest, ":")
			id, parts = all[0], all[1:]
		}
		if id == "" {
			return ref, "the secret id is missing"
		}
		if len(parts) > 4 {
			return ref, "a secretsmanager reference is secret-id:SecretString:json-key:version-stage:version-id"
		}
		get := func(i int) string {
			if i < len(parts) {
				return parts[i]
			}
			return ""
		}
		if t := get(0); t != "" && t != "SecretString" {
			return ref, "the secret type must be SecretString"
		}
		ref.name, ref.jsonKey, ref.stage, ref.versionID = id, get(1), get(2), get(3)
		if ref.stage != "" && ref.versionID != "" {
			return ref, "name a version stage or a version id, not both"
		}
		return ref, ""
	}
	return ref, "the service must be ssm, ssm-secure or secretsmanager"
}
