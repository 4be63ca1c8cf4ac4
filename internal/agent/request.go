package agent

import (
	"net/url"
	"strconv"
	"strings"
)

// kind is the upstream service a request goes to.
type kind int

const (
	kindSecret kind = iota // Secrets Manager GetSecretValue
	kindParam              // Parameter Store GetParameter
	kinds
)

var kindNames = [...]string{"secretsmanager", "ssm"}

// referencePrefix names a Secrets Manager secret through Parameter Store.
const referencePrefix = "/aws/reference/secretsmanager/"

// request is one item asked for: a secret version or a parameter version.
type request struct {
	kind kind
	// id is the secret's id (name or ARN) or the parameter's name or ARN,
	// without selector.
	id string
	// versionID and stage select a secret's version.
	versionID, stage string
	// selector selects a parameter's version (":3") or label (":prod").
	selector string
	// decrypt is GetParameter's WithDecryption (always true for a
	// reference to a secret, which Parameter Store requires).
	decrypt bool
	// refresh skips the cache (refreshNow=true).
	refresh bool
}

// key is the cache key: everything that selects the answer.
// The query is the caller's, so a field may hold any byte, NUL included:
// the lengths of a secret's id and version id come first, so that no two
// requests share a key however their fields are cut.
func (r request) key() string {
	switch r.kind {
	case kindSecret:
		return "s" + strconv.Itoa(len(r.id)) + ":" + strconv.Itoa(len(r.versionID)) + "\x00" + r.id + r.versionID + r.stage
	default:
		d := "0"
		if r.decrypt {
			d = "1"
		}
		return "p" + d + r.id + r.selector
	}
}

// withDecrypt is r with WithDecryption set to d.
func (r request) withDecrypt(d bool) request { r.decrypt = d; return r }

func (r request) reference() bool {
	return r.kind == kindParam && strings.HasPrefix(r.id, referencePrefix)
}

// queryError is a 400 answer about the request's query.
type queryError string

func (e queryError) Error() string { return string(e) }

// pairs parses a raw query in order, as the extension reads it: "when
// both version and label are given, the first one counts".
func pairs(raw string) ([][2]string, error) {
	var out [][2]string
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, queryError("invalid query: " + err.Error())
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			return nil, queryError("invalid query: " + err.Error())
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, queryError("invalid " + name + " value")
}

// parseSecretQuery reads /secretsmanager/get's query, or with pathStyle
// /v1/<id>'s, whose secret id is pathID.
func parseSecretQuery(raw string, pathStyle bool, pathID string) (request, error) {
	r := request{kind: kindSecret, id: pathID}
	ps, err := pairs(raw)
	if err != nil {
		return r, err
	}
	for _, p := range ps {
		switch p[0] {
		case "secretId":
			if pathStyle {
				return r, queryError("unknown parameter: secretId")
			}
			r.id = p[1]
		case "versionId":
			r.versionID = p[1]
		case "versionStage":
			r.stage = p[1]
		case "refreshNow":
			if r.refresh, err = parseBool("refreshNow", p[1]); err != nil {
				return r, err
			}
		default:
			return r, queryError("unknown parameter: " + p[0])
		}
	}
	if r.id == "" {
		if pathStyle {
			return r, queryError("missing secret ID")
		}
		return r, queryError("missing parameter secretId")
	}
	return r, nil
}

// parseParameterQuery reads /systemsmanager/parameters/get's query.
func parseParameterQuery(raw string) (request, error) {
	r := request{kind: kindParam}
	ps, err := pairs(raw)
	if err != nil {
		return r, err
	}
	for _, p := range ps {
		switch p[0] {
		case "name":
			r.id = p[1]
		case "version":
			if _, err := strconv.ParseUint(p[1], 10, 63); err != nil {
				return r, queryError("invalid version value")
			}
			if r.selector == "" {
				r.selector = ":" + p[1]
			}
		case "label":
			if p[1] == "" {
				return r, queryError("invalid label value")
			}
			if r.selector == "" {
				r.selector = ":" + p[1]
			}
		case "withDecryption":
			if r.decrypt, err = parseBool("withDecryption", p[1]); err != nil {
				return r, err
			}
		case "refreshNow":
			if r.refresh, err = parseBool("refreshNow", p[1]); err != nil {
				return r, err
			}
		default:
			return r, queryError("unknown parameter: " + p[0])
		}
	}
	if r.id == "" {
		return r, queryError("missing parameter name")
	}
	if r.reference() {
		// Parameter Store answers a reference only with decryption.
		r.decrypt = true
	}
	return r, nil
}
