package audit

import "strings"

// ResourceName is the name part of a resource's ARN, which lookups (and
// CloudTrail's ResourceName attribute) match as well as the ARN: the key id
// of a key, "alias/x" of an alias, the path of a parameter, the name of a
// secret (with its suffix), of a function, a user or a role.
func ResourceName(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	res := parts[5]
	switch {
	case parts[2] == "ssm" && strings.HasPrefix(res, "parameter/"):
		return strings.TrimPrefix(res, "parameter") // "/app/db"
	case strings.HasPrefix(res, "key/"), strings.HasPrefix(res, "user/"), strings.HasPrefix(res, "role/"):
		return res[strings.LastIndexByte(res, '/')+1:]
	case strings.HasPrefix(res, "secret:"), strings.HasPrefix(res, "function:"):
		_, name, _ := strings.Cut(res, ":")
		return name
	}
	return res
}
